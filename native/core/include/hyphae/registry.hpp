#pragma once
// The sessions owned by one io thread. Only that thread touches a shard;
// other threads reach a session by posting to the owner (see connection_id).
#include <atomic>
#include <cstddef>
#include <memory>
#include <unordered_map>
#include <vector>

#include "hyphae/connection_id.hpp"

namespace hyphae {

class Session;

class Registry {
public:
    void add(ConnectionId id, std::shared_ptr<Session> session);
    // Removes the session and hands over the registry's reference (null when
    // there is none). The host keeps it until its next task
    // (SessionLists::keep_finished), so that no session ends inside one of
    // its own handlers.
    std::shared_ptr<Session> take(ConnectionId id);
    // The session, or null. No reference count changes (a locked increment
    // and decrement per command): valid until the current handler returns,
    // since a session that finishes meanwhile is kept alive (see take).
    Session* find(ConnectionId id) const;
    std::vector<std::shared_ptr<Session>> snapshot() const;
    bool empty() const { return sessions_.empty(); }
    // Readable from any thread, for statistics.
    std::size_t size() const { return size_.load(std::memory_order_relaxed); }

private:
    std::unordered_map<ConnectionId, std::shared_ptr<Session>> sessions_;
    std::atomic<std::size_t> size_{0};
};

}  // namespace hyphae
