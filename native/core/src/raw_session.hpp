#pragma once
// An open connection served by hyphae's own frame reader and writer on a
// plain TCP socket (no Beast websocket::stream). A BasicSession<Stream>
// does the opening handshake and hands the socket over (see
// BasicSession::hand_off); from then on this object is the session.
//
// Why: every frame queued for a connection goes out in one gather write,
// control frames share that queue (so they stay ordered behind data), reads
// take everything the socket has into the worker's buffer and parse all of
// it, no timer is armed per operation, and an idle connection holds only
// its socket and parser state (BENCHMARKS.md).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hyphae/connection_status.hpp"
#include "hyphae/frame_parser.hpp"
#include "hyphae/session.hpp"

namespace hyphae {

class RawSession final : public Session {
public:
    struct Handoff {
        Socket socket;
        std::shared_ptr<ConnectionStatus> status;
        bool counted = false;  // in the server's connection counts
        net::ip::address peer;
    };

    RawSession(Worker& owner, ConnectionId id, Handoff handoff);
    ~RawSession() override;

    // Reports the open event, parses bytes that arrived with the upgrade
    // request and starts reading.
    void open(ConnectionInfo info, const std::string& early_bytes);

    bool is_open() const override { return state_ == State::open; }
    void start() override {}
    bool send(OutboundMessage message, bool counted) override;
    void resume_reading() override;
    void decide_upgrade(UpgradeDecision) override {}
    void close(std::uint16_t code, std::string reason) override;
    void ping(std::string payload) override;
    void terminate() override;
    void heartbeat_ping() override;
    void heartbeat_check() override;

private:
    enum class State : std::uint8_t { open, closing, finished };
    struct Outgoing {
        SharedPayload payload;
        std::uint8_t opcode;
        bool counted;  // a data frame: counts in buffered_amount and stats
    };
    // How the session ends once everything queued is written.
    struct Ending {
        std::uint16_t code;
        std::string reason;
    };

    std::shared_ptr<RawSession> self() {
        return std::static_pointer_cast<RawSession>(shared_from_this());
    }
    void wait_readable();
    void on_readable(beast::error_code ec);
    // Parses received bytes; returns false when the session stopped reading
    // for good (error, close, finished).
    bool consume(const unsigned char* data, std::size_t size);
    void on_peer_close(std::uint16_t code, std::string reason);
    void fail(std::uint16_t code, const char* text);
    void queue_control(std::uint8_t opcode, std::string payload);
    void enqueue(Outgoing frame);
    void write_queued();
    void on_written(beast::error_code ec, std::size_t frames);
    void drop_unsent();
    void close_for_backpressure();
    // `graceful`: the close handshake (or our failure close frame) is done;
    // the socket lingers for the peer's FIN instead of being reset.
    void finish(bool report, std::uint16_t code, std::string reason, bool graceful = false);
    void linger();
    void drain();

    Worker& owner_;
    Socket socket_;
    std::shared_ptr<ConnectionStatus> status_;
    FrameParser parser_;
    std::vector<Outgoing> queue_;
    std::size_t queue_head_ = 0;
    std::size_t in_flight_ = 0;  // frames of the write in progress, from queue_head_
    // Headers and buffer list of the write in progress.
    std::vector<unsigned char> write_headers_;
    std::vector<net::const_buffer> write_buffers_;
    std::size_t buffered_ = 0;
    std::optional<Ending> ending_;                    // set: finish when the queue is written
    std::unique_ptr<net::steady_timer> close_timer_;  // only while closing
    net::ip::address peer_;
    State state_ = State::open;
    bool counted_ = false;
    bool waiting_ = false;      // an async_wait for readability is pending
    bool read_paused_ = false;  // the sink is full: not reading
    bool backpressured_ = false;
    bool awaiting_pong_ = false;
    bool close_sent_ = false;  // our close frame is written
    bool ping_queued_ = false;
};

}  // namespace hyphae
