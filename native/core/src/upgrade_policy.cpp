#include "hyphae/upgrade_policy.hpp"

#include <boost/beast/websocket/rfc6455.hpp>

namespace hyphae {

std::string_view target_path(std::string_view target) {
    const auto query = target.find_first_of("?#");
    return query == std::string_view::npos ? target : target.substr(0, query);
}

UpgradeVerdict evaluate_upgrade(const UpgradeRequest& request, const UpgradePolicy& policy) {
    if (!policy.path.empty() && target_path(request.target()) != policy.path) {
        return {false, 404, "Not Found"};
    }
    if (!boost::beast::websocket::is_upgrade(request)) {
        return {false, 426, "Upgrade Required"};
    }
    // Version and key are checked by Beast's accept, which answers 400.
    return {true, 0, {}};
}

}  // namespace hyphae
