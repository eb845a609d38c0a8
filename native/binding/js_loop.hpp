#pragma once
// Same-thread mode: plain connections served on the JS thread: read,
// parsed, dispatched to JS and written there, with no thread hand-off and
// no context switch per message (docs/architecture.md, BENCHMARKS.md).
// On the own handshake path (no TLS, deflate or idleTimeout) this loop also
// accepts and does the handshakes (take_listener). Otherwise the io threads
// accept and do the handshakes, TLS, permessage-deflate and idleTimeout
// connections, and hand each plain connection over here once it is open
// (adopt); so do they for sockets given to Server::adopt (handleUpgrade).
//
// The sessions' epoll set is one uv_poll in Node's loop; their timers are
// uv_timers; deferred work (posted tasks, the round's writes, events for
// JS) runs at the end of each loop callback that produced it, or in a
// uv_check when it was produced by a JS call.
#include <uv.h>

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "hyphae/command.hpp"
#include "hyphae/deadline_queue.hpp"
#include "hyphae/handoff.hpp"
#include "hyphae/listener.hpp"
#include "hyphae/poller.hpp"
#include "hyphae/registry.hpp"
#include "hyphae/session.hpp"
#include "hyphae/session_host.hpp"
#include "hyphae/session_lists.hpp"
#include "hyphae/topic_table.hpp"

namespace hyphae::binding {

class JsLoop final : public SessionHost, public ConnectionAdopter {
public:
    struct Hooks {
        // Delivers the events queued in the sink to JS now (called outside
        // any JS call, from a loop callback).
        std::function<void()> dispatch_events;
        // After begin_shutdown(): the last connection has finished.
        std::function<void()> finished;
    };

    JsLoop(uv_loop_t* loop, Hooks hooks);
    ~JsLoop() override;
    JsLoop(const JsLoop&) = delete;
    JsLoop& operator=(const JsLoop&) = delete;

    // JS thread, before the server listens: the settings and sink to serve
    // with. The server owns them (and this loop, through them) and outlives
    // every use: close() comes before the server is destroyed.
    void attach(const ServerContext& context);

    // JS thread, from Server::listen().
    void take_listener(int fd, std::function<ConnectionId()> next_id) override;
    // io threads.
    void adopt(ConnectionId id, Handoff handoff, ConnectionInfo info,
               std::string early_bytes) override;
    void handoffs_ended() override;

    // JS thread. Runs a command for one of this loop's connections (or a
    // publish to its subscribers) at once; what it queues is written at the
    // end of the dispatch it was issued from, or in this loop turn's check
    // phase. Nothing calls back into JS from here: events go to the sink.
    void execute(Command& command);
    // The application's verdict on an upgrade, if `id` is one of this
    // loop's connections (one it accepted, still in its handshake); false
    // (and `decision` untouched) if not.
    bool decide_upgrade(ConnectionId id, UpgradeDecision& decision);
    void resume_paused();
    // Closes every connection with 1001; after `grace`, drops those left.
    void begin_shutdown(std::chrono::milliseconds grace);
    // After the io threads are joined: drops every connection without
    // events and releases the loop's handles.
    void close();

    const TopicTable& topics() const { return topics_; }
    const WorkerStats& stats() const { return stats_; }
    std::size_t connection_count() const { return sessions_.size(); }

    // SessionHost (JS thread).
    const ServerContext& context() const override { return *context_; }
    EventSink& events() override { return events_; }
    WorkerStats& stats() override { return stats_; }
    std::vector<unsigned char>& read_buffer() override { return read_buffer_; }
    std::vector<unsigned char>& write_buffer() override { return write_buffer_; }
    Poller& poller() override { return poller_; }
    void defer_write(Session& session) override;
    void pause(std::shared_ptr<Session> session) override;
    void post(std::function<void()> task) override;
    std::unique_ptr<HostTimer> start_timer(std::chrono::milliseconds delay,
                                           std::function<void()> callback) override;
    DeadlineQueue& handshake_deadlines() override { return *handshake_deadlines_; }
    DeadlineQueue& linger_deadlines() override { return *linger_deadlines_; }
    void session_finished(ConnectionId id) override;
    ConnectionAdopter* open_connections_adopter() const override { return nullptr; }

private:
    class Timer;
    struct TimerHandle;
    struct Adoption {
        ConnectionId id;
        Handoff handoff;
        ConnectionInfo info;
        std::string early_bytes;
    };
    // Forwards to the server's sink and has the events dispatched this round.
    class LoopSink : public EventSink {
    public:
        explicit LoopSink(JsLoop& owner) : owner_(owner) {}
        void on_upgrade(UpgradeInfo info) override;
        void on_open(ConnectionInfo info) override;
        bool on_message(ConnectionId id, std::string& payload, bool binary) override;
        bool on_control(ConnectionId id, Control kind, std::string_view payload) override;
        void on_drain(ConnectionId id) override;
        void on_error(ConnectionId id, std::string what) override;
        void on_close(ConnectionId id, std::uint16_t code, std::string reason) override;
        void on_refused(ConnectionId id) override;
        void on_server_closed() override {}

    private:
        JsLoop& owner_;
    };

    // Runs `work` as a callback of this loop: deferred work it produces is
    // settled once, at its end.
    template <class Work>
    void from_loop(Work work);
    // Reads every socket that has input waiting.
    void read_waiting_input();
    // An event went to the sink: JS gets it this round.
    void note_event();
    // Runs deferred work until none is left (not reentrant).
    void settle();
    // Deferred work was produced: settle at the end of this callback, or in
    // the check phase when not inside one.
    void request_settle();
    void take_adoptions();
    void accept(AcceptedSocket socket);
    void reject(Adoption& adoption);
    void schedule_heartbeat(std::chrono::milliseconds delay, bool check);
    void terminate_all();
    void check_finished();

    uv_loop_t* loop_;
    Hooks hooks_;
    const ServerContext* context_ = nullptr;
    // libuv handles live apart from this object: they are freed by their
    // close callbacks, which run after this object may be gone.
    uv_poll_t* poll_ = nullptr;
    uv_async_t* async_ = nullptr;
    uv_check_t* check_ = nullptr;
    uv_idle_t* idle_ = nullptr;
    Poller poller_;
    Registry sessions_;
    TopicTable topics_;
    WorkerStats stats_;
    LoopSink events_{*this};
    std::unordered_set<TimerHandle*> timers_;
    std::vector<std::function<void()>> tasks_;
    SessionLists lists_;
    std::vector<unsigned char> read_buffer_ = std::vector<unsigned char>(64 * 1024);
    std::vector<unsigned char> write_buffer_ = std::vector<unsigned char>(64 * 1024);
    // Set by attach() (the handshake timeout is a server setting).
    std::optional<DeadlineQueue> handshake_deadlines_;
    std::optional<DeadlineQueue> linger_deadlines_;
    // On the own handshake path; kept until this loop is destroyed, since
    // a task it posted may still refer to it after stop().
    std::unique_ptr<Listener> listener_;
    std::function<ConnectionId()> next_id_;
    std::unique_ptr<HostTimer> heartbeat_timer_;
    std::unique_ptr<HostTimer> shutdown_timer_;
    std::mutex inbox_mutex_;
    std::vector<Adoption> inbox_;     // guarded by inbox_mutex_
    bool handoffs_ended_ = false;     // guarded by inbox_mutex_
    bool no_more_adoptions_ = false;  // JS thread: handoffs_ended_, seen
    std::chrono::milliseconds grace_{0};
    bool settling_ = false;
    // Inside one of this loop's libuv callbacks, which settles at its end.
    bool in_callback_ = false;
    bool check_started_ = false;
    bool events_pending_ = false;
    bool stopping_ = false;
    bool finished_ = false;
    bool closed_ = false;
};

}  // namespace hyphae::binding
