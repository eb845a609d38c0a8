#pragma once
// The sessions a host (io thread or JS-thread loop) keeps aside between
// handlers: those whose queued frames wait for the round's write, those
// whose reading the sink paused, and those that finished this round. One
// thread only.
#include <memory>
#include <vector>

#include "hyphae/connection_id.hpp"

namespace hyphae {

class Session;

class SessionLists {
public:
    // Returns true when it is the round's first: the host schedules one
    // write_deferred() for the round.
    // The session must stay alive until write_deferred() has run, which
    // keep_finished() sees to.
    bool defer_write(Session& session);
    bool writes_waiting() const { return !deferred_writes_.empty(); }
    // Writes every deferred session once (writing never defers another).
    void write_deferred();

    void pause(std::shared_ptr<Session> session);
    void resume_paused();
    // A finished session leaves the paused list.
    void forget(ConnectionId id);
    // Holds a finished session (taken from the registry) until the host's
    // next task calls release_finished(): the handler it finished in, and
    // the raw pointers of Registry::find and the deferred writes, may still
    // use it. Returns true when it is the first since the last release: the
    // host posts one release_finished().
    bool keep_finished(std::shared_ptr<Session> session);
    // Runs the deferred writes (they may point to a finished session, which
    // writes nothing), then lets the finished sessions go.
    void release_finished();
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
    std::vector<std::shared_ptr<Session>> finished_;
};

}  // namespace hyphae
