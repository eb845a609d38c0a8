#pragma once
// State of one connection that threads other than its owner may read. The
// sender adds a message's frame bytes before posting it; the owning session
// subtracts them once the frame is written or dropped. So a reader sees what
// is queued, including messages still on their way to the io thread.
#include <atomic>
#include <cstdint>

namespace hyphae {

struct ConnectionStatus {
    std::atomic<std::int64_t> buffered_amount{0};
    // Served on the JS thread (same-thread mode). Set before the open event
    // is reported and never changed after.
    bool on_js_thread = false;
};

}  // namespace hyphae
