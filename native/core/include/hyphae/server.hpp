#pragma once
// The WebSocket server: io threads, the listening socket and the entry points
// other threads (the JS thread among them) use. Every entry point returns at
// once; work is posted to the io thread that owns the connection.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hyphae/accepted_socket.hpp"
#include "hyphae/asio.hpp"
#include "hyphae/command.hpp"
#include "hyphae/connection_status.hpp"
#include "hyphae/event_sink.hpp"
#include "hyphae/handoff.hpp"
#include "hyphae/outbound_message.hpp"
#include "hyphae/server_options.hpp"
#include "hyphae/server_stats.hpp"

namespace hyphae {

class Listener;
class TopicTable;
class Worker;
struct ServerContext;

struct Endpoint {
    std::string address;
    std::uint16_t port = 0;
    bool ipv6 = false;
};

class Server {
public:
    // With an adopter (same-thread mode), plain connections are handed to it
    // after their handshake, or, on the own handshake path, it takes the
    // listening socket (take_listener) and stops it when the application
    // stops the server. Its end comes after the io threads' (it hears of
    // theirs through handoffs_ended()), and on_server_closed() waits for its
    // adopter_finished().
    Server(ServerOptions options, std::shared_ptr<EventSink> sink,
           std::shared_ptr<ConnectionAdopter> adopter = nullptr);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Binds, listens and starts the io threads. Throws boost::system::system_error.
    Endpoint listen();
    // Starts the io threads without a listening socket: connections come
    // only through adopt(), from an HTTP server that accepted them.
    void start();
    // Serves a connected TCP socket whose HTTP request another server has
    // already read: `preread` holds that request again (and any bytes the
    // client sent behind it), and the session parses it as if it had read
    // it off the socket. Takes `fd` (closed when refused). Any thread.
    // Returns the connection's id: its events follow (open..close, or one
    // on_refused). 0 while not running, and with a TLS context (the TLS
    // session, if any, belongs to whoever accepted the socket): no event.
    ConnectionId adopt(int fd, std::string preread);
    std::optional<Endpoint> local_endpoint() const;
    unsigned thread_count() const { return static_cast<unsigned>(workers_.size()); }
    bool listening() const { return state_.load() == State::listening; }

    // Returns the bytes queued on the wire, or 0 when the id cannot belong to
    // a connection of this server. A connection that closed meanwhile drops it.
    // With `status` (the connection's, from its open event) the bytes count
    // in its buffered_amount() from this call on; such sends to one
    // connection come from one thread at a time (ConnectionStatus::sent).
    std::size_t send(ConnectionId id, OutboundMessage message,
                     std::shared_ptr<ConnectionStatus> status = nullptr);
    bool close(ConnectionId id, std::uint16_t code, std::string reason);
    bool ping(ConnectionId id, std::string payload);
    bool pong(ConnectionId id, std::string payload);
    bool terminate(ConnectionId id);
    // The application stops (true) or resumes (false) reading a connection.
    bool set_paused(ConnectionId id, bool paused);

    // Topics. Changes are posted to the connection's io thread, so they take
    // effect in call order with sends and publishes from the same thread.
    bool subscribe(ConnectionId id, std::string topic);
    bool unsubscribe(ConnectionId id, std::string topic);
    // Copies nothing per subscriber: one shared payload is posted to every io
    // thread, which queues it for its own subscribers. Returns the frame size.
    std::size_t publish(std::string topic, OutboundMessage message, ConnectionId exclude = 0);
    // Queries see the subscriptions the io threads have applied.
    std::size_t subscriber_count(const std::string& topic) const;
    bool is_subscribed(ConnectionId id, const std::string& topic) const;
    std::vector<std::string> topics_of(ConnectionId id) const;
    // Topic names are counted once across io threads (and `extra`, a table
    // of the same server kept elsewhere: the JS thread's in same-thread mode).
    std::size_t topic_count(const TopicTable* extra = nullptr) const;
    const std::shared_ptr<const ServerContext>& context() const { return context_; }

    // Hands a batch of commands to one io thread (at most one post) and
    // leaves `commands` empty, with storage to reuse. Commands run in order;
    // use the same thread for every batch that must keep order. Returns
    // false (and drops the batch) when the server takes no commands.
    bool submit(unsigned worker, std::vector<Command>& commands);
    bool accepting_commands() const;

    // Inbound backpressure: re-arms reads the sink paused. Any thread.
    void resume_reading();
    StatsSnapshot stats() const;
    // A send the caller refused at the backpressure limit (counted in stats).
    void note_dropped() { dropped_.fetch_add(1, std::memory_order_relaxed); }
    // A publish issued (it is submitted to every io thread, counted once).
    void note_publish() { publishes_.fetch_add(1, std::memory_order_relaxed); }

    // Stops accepting, closes every connection with 1001 and, after `grace`,
    // drops the ones still open. The sink's on_server_closed() follows.
    void stop(std::chrono::milliseconds grace);
    // Stops at once and waits for the io threads (teardown path).
    void stop_now();
    // Waits for the io threads; call after on_server_closed().
    void join();
    // The adopter has closed its last connection after stop(). Any thread.
    void adopter_finished() { report_closed(); }

    std::size_t connection_count() const;

private:
    enum class State { idle, listening, stopping, stopped };

    void accept_next();
    // Own handshake path: a connection from the listener, on worker 0.
    void dispatch_accepted(AcceptedSocket socket);
    void start_workers();
    // An io thread has left run(); the last one ends the server, or tells
    // the adopter that nothing more is handed over.
    void io_thread_done();
    void report_closed();
    bool submit_one(Command command);
    bool submit_control(Command::Kind kind, ConnectionId id, std::string payload);

    std::shared_ptr<const ServerContext> context_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::optional<tcp::acceptor> acceptor_;  // lives on worker 0
    // Own handshake path: the listening socket, released from acceptor_.
    // Declared after workers_: destroyed before them, once they have ended.
    std::unique_ptr<Listener> listener_;
    std::optional<net::steady_timer> accept_retry_;
    std::optional<Endpoint> endpoint_;
    unsigned next_worker_ = 0;
    std::atomic<unsigned> next_adopter_{0};  // round robin of adopt()
    std::atomic<unsigned> live_threads_{0};  // io threads still in run()
    std::atomic<State> state_{State::idle};
    std::atomic<std::uint64_t> publishes_{0};
    std::atomic<std::uint64_t> dropped_{0};
};

}  // namespace hyphae
