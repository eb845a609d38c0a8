#pragma once
// State of one connection that threads other than its owner may read.
//
// bufferedAmount is kept as two counters, each written by one thread only,
// so neither side needs a locked read-modify-write per message (a locked
// add on the JS thread and a locked subtract on the io thread were a third
// of ServerWrap::send's time, and more on the io thread, at depth 4):
// - `sent`: frame bytes the sender queued (the JS thread, before posting);
// - `settled`: bytes the owning session wrote or dropped, less the bytes of
//   published messages it shows as still queued (the owner's thread).
// A reader on the sending thread sees what is queued, including messages
// still on their way to the io thread; a stale `settled` only overstates it.
#include <atomic>
#include <cstdint>

namespace hyphae {

struct ConnectionStatus {
    std::atomic<std::int64_t> sent{0};
    std::atomic<std::int64_t> settled{0};
    // Served on the JS thread (same-thread mode). Set before the open event
    // is reported and never changed after.
    bool on_js_thread = false;

    // The sending thread only (Server::send callers: one thread per
    // connection at a time; in the addon, the JS thread).
    void add_sent(std::int64_t bytes) {
        sent.store(sent.load(std::memory_order_relaxed) + bytes, std::memory_order_relaxed);
    }
    // The owning session's thread only.
    void add_settled(std::int64_t bytes) {
        settled.store(settled.load(std::memory_order_relaxed) + bytes, std::memory_order_relaxed);
    }
    std::int64_t buffered_amount() const {
        return sent.load(std::memory_order_relaxed) - settled.load(std::memory_order_relaxed);
    }
};

}  // namespace hyphae
