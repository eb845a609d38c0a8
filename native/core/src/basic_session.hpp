#pragma once
// The session over one transport: `Stream` (ws://) or `TlsStream` (wss://).
// Both are instantiated in basic_session.cpp; nothing else names this type.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "hyphae/connection_status.hpp"
#include "hyphae/session.hpp"
#include "hyphae/tls.hpp"

namespace hyphae {

template <class Transport>
class BasicSession final : public Session {
public:
    static constexpr bool kTls = std::is_same_v<Transport, TlsStream>;

    BasicSession(Worker& owner, ConnectionId id, Socket socket) requires(!kTls);
    BasicSession(Worker& owner, ConnectionId id, Socket socket) requires(kTls);
    ~BasicSession() override;

    bool is_open() const override { return state_ == State::open; }
    void start(std::string preread) override;
    bool send(OutboundMessage message, bool counted) override;
    void resume_reading() override;
    void set_paused(bool paused) override;
    void decide_upgrade(UpgradeDecision decision) override;
    void close(std::uint16_t code, std::string reason) override;
    void ping(std::string payload) override;
    void pong(std::string payload) override;
    void terminate() override;
    void heartbeat_ping() override;
    void heartbeat_check() override;

private:
    enum class State : std::uint8_t { handshaking, open, closing, finished };
    struct Handshake;

    std::shared_ptr<BasicSession> self() {
        return std::static_pointer_cast<BasicSession>(shared_from_this());
    }
    void read_request();
    void on_request(beast::error_code ec);
    void reject(unsigned status, std::string_view body);
    void on_accept(beast::error_code ec);
    ConnectionInfo connection_info();
    void accept_upgrade(std::string protocol,
                        std::vector<std::pair<std::string, std::string>> headers);
    void read_message();
    // Reading stops with no read pending (the sink's pause or the
    // application's): Beast's idle timer must not drop a peer whose pongs
    // are left unread, so the idle timeout is off until reading resumes.
    void hold_reading();
    // Reading resumes: the idle timeout again (the read re-arms Beast's timer).
    void resume_read();
    void on_read(beast::error_code ec);
    // Writes a ping or a pong (one at a time, as Beast requires).
    void write_control(Control kind, std::string_view payload);
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
    websocket::stream<Transport> ws_;
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
    struct Closing {
        std::uint16_t code;
        std::string reason;
    };
    // close() came while the 101 was on its way: applied once open.
    std::optional<Closing> close_when_open_;
    State state_ = State::handshaking;
    bool writing_ = false;
    bool pinging_ = false;        // a ping or pong is being written (Beast takes one at a time)
    bool awaiting_pong_ = false;  // heartbeat ping sent, nothing received since
    // A server-initiated close ends when both the close operation and the
    // pending read have completed (Beast aborts the read once the peer answers).
    bool read_ended_ = false;
    bool close_ended_ = false;
    bool close_failed_ = false;
    bool counted_ = false;  // in the server's connection counts
    bool adopted_ = false;  // handed in by Server::adopt(): reports on_refused
    net::ip::address peer_;
    bool backpressured_ = false;  // went over max_backpressure; drain pending
    bool read_paused_ = false;    // no read pending: the sink is full
    bool app_paused_ = false;     // the application paused reading (set_paused)
    bool read_held_ = false;      // no read pending: app_paused_ holds it
    // Reading is held by the sink or by the application (a read may still
    // be pending): the heartbeat does not judge the session.
    bool reads_held() const { return read_paused_ || app_paused_; }
    // No read is pending, so none will report the peer's close or a failure.
    bool not_reading() const { return read_paused_ || read_held_; }
    bool pause_after_read_ = false;  // a ping or pong found the sink full
};

}  // namespace hyphae
