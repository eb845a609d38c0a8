#pragma once
// What a RawSession needs from the thread that serves it: settings, the
// event sink, scratch buffers, the epoll set, deferred work and timers.
// Two hosts implement it: an io thread (Worker, on asio) and the JS thread
// (the binding's JsLoop, on libuv), so the session's code is the same on
// both.
#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "hyphae/connection_id.hpp"
#include "hyphae/event_sink.hpp"
#include "hyphae/server_context.hpp"
#include "hyphae/server_stats.hpp"

namespace hyphae {

class ConnectionAdopter;
class DeadlineQueue;

// How long a finished connection waits for the peer's FIN (RawSession::linger).
constexpr std::chrono::milliseconds kLingerLimit{2000};

class Poller;
class Session;

// A one-shot timer; cancel() (or destruction) drops the callback unrun, and
// with it whatever the callback held.
class HostTimer {
public:
    virtual ~HostTimer() = default;
    virtual void cancel() = 0;
};

class SessionHost {
public:
    virtual const ServerContext& context() const = 0;
    // Events of this host's sessions.
    virtual EventSink& events() = 0;
    virtual WorkerStats& stats() = 0;
    // Scratch space for reads: a session reads and parses at once, so one
    // buffer per thread serves them all.
    virtual std::vector<unsigned char>& read_buffer() = 0;
    // Scratch space where small frames are laid out for one sendmsg.
    virtual std::vector<unsigned char>& write_buffer() = 0;
    virtual Poller& poller() = 0;
    // Corking: the session's write_deferred() is called once, at the end of
    // the round, so frames queued together leave in one syscall. The host
    // holds no reference: a session that finishes is kept alive until the
    // host's next task, which runs the deferred writes first.
    virtual void defer_write(Session& session) = 0;
    // Inbound backpressure: a session that stopped reading.
    virtual void pause(std::shared_ptr<Session> session) = 0;
    // Runs `task` on this thread after the current handler returns.
    virtual void post(std::function<void()> task) = 0;
    virtual std::unique_ptr<HostTimer> start_timer(std::chrono::milliseconds delay,
                                                   std::function<void()> callback) = 0;
    // Deadlines of the handshake timeout's length (the opening handshake,
    // the wait for the peer's answer to our close), and of the linger after
    // a close (kLingerLimit).
    virtual DeadlineQueue& handshake_deadlines() = 0;
    virtual DeadlineQueue& linger_deadlines() = 0;
    // Called by a session when it has finished: leaves registry and topics.
    virtual void session_finished(ConnectionId id) = 0;
    // Where a connection goes once its handshake is done, when this host
    // does not serve open connections itself (an io thread in same-thread
    // mode); null when it does.
    virtual ConnectionAdopter* open_connections_adopter() const = 0;

protected:
    ~SessionHost() = default;
};

}  // namespace hyphae
