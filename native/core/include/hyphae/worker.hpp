#pragma once
// One io thread: its io_context, the sessions pinned to it and the state of
// a shutdown in progress. Everything here except `start`/`join` runs on the
// worker's own thread.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "hyphae/accepted_socket.hpp"
#include "hyphae/asio.hpp"
#include "hyphae/command.hpp"
#include "hyphae/deadline_queue.hpp"
#include "hyphae/outbound_message.hpp"
#include "hyphae/poller.hpp"
#include "hyphae/registry.hpp"
#include "hyphae/server_context.hpp"
#include "hyphae/server_stats.hpp"
#include "hyphae/session_host.hpp"
#include "hyphae/session_lists.hpp"
#include "hyphae/topic_table.hpp"

namespace hyphae {

class Worker final : public SessionHost {
public:
    Worker(unsigned index, std::shared_ptr<const ServerContext> context);
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    unsigned index() const { return index_; }
    net::io_context& io() { return io_; }
    const ServerContext& context() const override { return *context_; }
    const std::shared_ptr<const ServerContext>& shared_context() const { return context_; }
    Registry& sessions() { return sessions_; }
    // Where this worker's sessions report events: the server's sink, with one
    // flush() requested per round of ready handlers.
    EventSink& events() override { return events_; }
    TopicTable& topics() { return topics_; }
    std::vector<unsigned char>& read_buffer() override { return read_buffer_; }
    std::vector<unsigned char>& write_buffer() override { return write_buffer_; }
    // The epoll set of this worker's RawSession sockets.
    Poller& poller() override { return poller_; }
    // The round's writes run after a batch of commands, or after the ready
    // handlers.
    void defer_write(Session& session) override;
    void post(std::function<void()> task) override;
    std::unique_ptr<HostTimer> start_timer(std::chrono::milliseconds delay,
                                           std::function<void()> callback) override;
    DeadlineQueue& handshake_deadlines() override { return handshake_deadlines_; }
    DeadlineQueue& linger_deadlines() override { return linger_deadlines_; }
    const TopicTable& topics() const { return topics_; }
    WorkerStats& stats() override { return stats_; }
    const WorkerStats& stats() const { return stats_; }

    // Inbound backpressure: a session whose read was not re-armed.
    void pause(std::shared_ptr<Session> session) override;
    void resume_paused();
    // Any thread: queues a batch of commands to run in order on this thread
    // and leaves `commands` empty. The storage handed back is that of an
    // earlier batch, so a steady flow of batches allocates nothing: a round
    // of 500 echo replies was a 40 KB vector allocated on the JS thread and
    // freed here (glibc's slow path, another arena's lock).
    void deliver(std::vector<Command>& commands);

    // Runs the io_context on a new thread; `on_exit` is called on that thread
    // when the io_context runs out of work.
    void start(std::function<void()> on_exit);
    void join();

    // The next connection id of this worker, or 0 when they ran out. Any thread.
    ConnectionId reserve_id();
    // Takes ownership of a freshly accepted socket (on this thread), with an
    // id from reserve_id(). `preread`: the start of its HTTP request, read
    // by another server (Server::adopt), or empty.
    void adopt(Socket socket, ConnectionId id, std::string preread);
    // The same for a socket on the own handshake path (uses_own_handshake).
    void adopt(AcceptedSocket socket, ConnectionId id, std::string preread);
    // Called by a session when it has finished, on this thread.
    void session_finished(ConnectionId id) override;
    ConnectionAdopter* open_connections_adopter() const override { return context_->adopter.get(); }
    // Closes every session with 1001; after `grace`, drops those still open.
    // The thread exits once no session is left.
    void begin_shutdown(std::chrono::milliseconds grace);
    // Drops every session at once (used when the process or worker exits).
    void terminate_all();

private:
    class RoundSink : public EventSink {
    public:
        explicit RoundSink(Worker& owner) : owner_(owner) {}
        void on_upgrade(UpgradeInfo info) override;
        void on_open(ConnectionInfo info) override;
        bool on_message(ConnectionId id, std::string& payload, bool binary) override;
        bool on_control(ConnectionId id, Control kind, std::string_view payload) override;
        void on_drain(ConnectionId id) override;
        void on_error(ConnectionId id, std::string what) override;
        void on_close(ConnectionId id, std::uint16_t code, std::string reason) override;
        void on_refused(ConnectionId id) override;
        void on_server_closed() override;

    private:
        Worker& owner_;
    };

    // Runs what deliver() queued (posted once per batch or run of batches).
    void run_inbox();
    void request_flush();
    void post_flush(std::uint64_t seen, unsigned passes);
    // The round's deferred writes, behind the handlers already queued.
    void post_writes();
    // Heartbeat: one timer per worker for all its sessions (a timer per
    // connection would cost memory and a wake-up each).
    void schedule_heartbeat(std::chrono::milliseconds delay, bool check);
    // adopt(): a connection that comes while stopping (or without an id) is
    // not served; an adopted one is reported refused.
    bool refuses(ConnectionId id, const std::string& preread);
    void begin_session(std::shared_ptr<Session> session, std::string preread);
    void release_when_idle();

    unsigned index_;
    std::shared_ptr<const ServerContext> context_;
    net::io_context io_{1};
    std::optional<net::executor_work_guard<net::io_context::executor_type>> guard_;
    // Declared after io_ and before the sessions: outlives them, and is
    // destroyed while its io_context exists.
    Poller poller_{io_};
    // Declared after io_ (their timers are asio timers) and before the
    // sessions, whose destruction unlinks them. A lingering session's
    // deadline keeps the io_context running, so it ends before the thread.
    DeadlineQueue handshake_deadlines_{*this, context_->options.handshake_timeout};
    DeadlineQueue linger_deadlines_{*this, kLingerLimit};
    // Declared after io_: destroyed first, while the sockets' io_context exists.
    Registry sessions_;
    TopicTable topics_;
    WorkerStats stats_;
    SessionLists lists_;
    std::optional<net::steady_timer> shutdown_timer_;
    std::optional<net::steady_timer> heartbeat_timer_;
    std::vector<unsigned char> read_buffer_ = std::vector<unsigned char>(64 * 1024);
    std::vector<unsigned char> write_buffer_ = std::vector<unsigned char>(64 * 1024);
    std::atomic<std::uint64_t> next_sequence_{1};
    bool stopping_ = false;
    bool flush_posted_ = false;
    std::uint64_t round_events_ = 0;  // events reported to the sink so far
    RoundSink events_{*this};
    std::mutex inbox_mutex_;
    std::vector<Command> inbox_;    // guarded by inbox_mutex_
    bool inbox_posted_ = false;     // guarded by inbox_mutex_: run_inbox() is queued
    std::vector<Command> running_;  // this thread: the batch being run
    bool running_batch_ = false;    // run_inbox() is running commands
    std::thread thread_;
};

}  // namespace hyphae
