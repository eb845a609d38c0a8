#include "hyphae/server_options.hpp"

#include <algorithm>
#include <thread>

#include "hyphae/connection_id.hpp"

namespace hyphae {

unsigned resolve_thread_count(unsigned requested) {
    if (requested == 0) {
        // Leave one core to the JS thread, which drains every event.
        const unsigned cores = std::thread::hardware_concurrency();
        requested = cores > 1 ? cores - 1 : 1;
    }
    return std::clamp(requested, 1u, kMaxThreads);
}

bool uses_own_handshake(const ServerOptions& options) {
    return options.own_frames && !options.tls && !options.deflate.enabled &&
           options.idle_timeout.count() == 0;
}

}  // namespace hyphae
