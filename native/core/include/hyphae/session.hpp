#pragma once
// One client connection, from the first byte of its HTTP request to its close.
// A session lives on its worker's thread; every method is called there.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hyphae/asio.hpp"
#include "hyphae/connection_id.hpp"
#include "hyphae/connection_status.hpp"
#include "hyphae/event_sink.hpp"
#include "hyphae/outbound_message.hpp"

namespace hyphae {

class Worker;

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(Worker& owner, ConnectionId id, Socket socket);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    ConnectionId id() const { return id_; }
    bool is_open() const { return state_ == State::open; }
    std::size_t buffered_amount() const { return buffered_; }
    const std::shared_ptr<ConnectionStatus>& status() const { return status_; }

    // Reads the upgrade request, applies the policy, completes the handshake.
    void start();
    // Queues a message; dropped unless the connection is open. `counted`:
    // the sender already added its frame bytes to status().buffered_amount
    // and decided about the limit (JS sends). Otherwise (publishes) the
    // backpressure limit is applied here. Returns whether it was queued.
    bool send(OutboundMessage message, bool counted = false);
    // Inbound backpressure: reading stopped because the sink was full.
    void resume_reading();
    // The application's verdict on an upgrade waiting for it.
    void decide_upgrade(UpgradeDecision decision);
    // Starts the close handshake after everything already queued is written.
    void close(std::uint16_t code, std::string reason);
    void ping(std::string payload);
    // Closes the socket now; the session finishes with 1006.
    void terminate();

private:
    enum class State : std::uint8_t { handshaking, open, closing, finished };
    struct Handshake;

    void on_request(beast::error_code ec);
    void reject(unsigned status, std::string body);
    void on_accept(beast::error_code ec);
    void accept_upgrade(std::string protocol,
                        std::vector<std::pair<std::string, std::string>> headers);
    void read_message();
    void on_read(beast::error_code ec);
    void write_next();
    void on_write(beast::error_code ec, std::size_t frame_bytes);
    void start_close();
    void on_read_failed(beast::error_code ec);
    void on_close_sent(beast::error_code ec);
    void finish_close_handshake();
    void finish(bool report, std::uint16_t code, std::string reason);
    void enqueue(OutboundMessage message, std::size_t bytes);
    void close_for_backpressure();

    Worker& owner_;
    ConnectionId id_;
    websocket::stream<Stream> ws_;
    std::unique_ptr<Handshake> handshake_;  // only while handshaking
    // Incoming message bytes; moved out whole to the event sink so the
    // payload reaches JS without another copy.
    std::string read_bytes_;
    std::optional<net::dynamic_string_buffer<char, std::char_traits<char>, std::allocator<char>>>
        read_buffer_;
    // Write queue: a vector with a head index (an empty std::deque allocates).
    std::vector<OutboundMessage> queue_;
    std::size_t queue_head_ = 0;
    std::size_t buffered_ = 0;
    std::shared_ptr<ConnectionStatus> status_ = std::make_shared<ConnectionStatus>();
    std::optional<websocket::close_reason> pending_close_;
    State state_ = State::handshaking;
    bool writing_ = false;
    bool pinging_ = false;
    // A server-initiated close ends when both the close operation and the
    // pending read have completed (Beast aborts the read once the peer answers).
    bool read_ended_ = false;
    bool close_ended_ = false;
    bool close_failed_ = false;
    bool counted_ = false;  // in the server's connection counts
    net::ip::address peer_;
    bool backpressured_ = false;  // went over max_backpressure; drain pending
    bool read_paused_ = false;    // no read pending: the sink is full
    // What to report when the session ends without a handshake because we
    // cut it (backpressure limit): code and reason instead of 1006.
    std::optional<std::pair<std::uint16_t, std::string>> cut_reason_;
};

}  // namespace hyphae
