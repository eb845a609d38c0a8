#include "hyphae/session.hpp"

#include "hyphae/close_codes.hpp"
#include "hyphae/session_host.hpp"

namespace hyphae {

void Session::report_end(SessionHost& owner, bool report, std::uint16_t code, std::string reason) {
    if (cut_reason_ && code == close_code::abnormal) {
        code = cut_reason_->first;
        reason = cut_reason_->second;
    }
    auto keep_alive = shared_from_this();
    owner.session_finished(id());
    if (report) {
        WorkerStats::bump(owner.stats().connections_closed);
        owner.events().on_close(id(), code, std::move(reason));
    }
}

}  // namespace hyphae
