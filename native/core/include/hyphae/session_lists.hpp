#pragma once
// The sessions a host (io thread or JS-thread loop) keeps aside between
// handlers: those whose queued frames wait for the round's write, and those
// whose reading the sink paused. One thread only.
#include <memory>
#include <vector>

#include "hyphae/connection_id.hpp"

namespace hyphae {

class Session;

class SessionLists {
public:
    // Returns true when it is the round's first: the host schedules one
    // write_deferred() for the round.
    // The session must stay alive until write_deferred() has run (hosts keep
    // finished sessions that long; see Registry::take).
    bool defer_write(Session& session);
    bool writes_waiting() const { return !deferred_writes_.empty(); }
    // Writes every deferred session once (writing never defers another).
    void write_deferred();

    void pause(std::shared_ptr<Session> session);
    void resume_paused();
    // A finished session leaves the paused list.
    void forget(ConnectionId id);
    // Every session is being dropped: none will read again.
    void drop_paused();
    // The host is closing: nothing is written or resumed any more.
    void clear();

private:
    // Raw: a reference count per deferred write was a locked increment and
    // decrement per connection and round.
    std::vector<Session*> deferred_writes_;
    std::vector<Session*> writing_;
    std::vector<std::shared_ptr<Session>> paused_;
};

}  // namespace hyphae
