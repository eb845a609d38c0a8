#pragma once
// A connection served by hyphae's own frame reader and writer on a plain
// TCP socket (no Beast websocket::stream). It starts in one of two ways:
// from a socket just accepted, when it does the opening handshake itself
// (raw_handshake.cpp; uses_own_handshake), or handed over, open, from the
// JS thread's loop's adoption (same-thread mode; see handoff.hpp).
//
// Why: frames queued in one round (a batch of JS commands, a burst of
// publishes) leave in one sendmsg, small frames laid out contiguously;
// control frames share that queue (so they stay ordered behind data);
// reads take everything the socket has into the worker's buffer and parse
// all of it; the socket sits in the worker's epoll set (Poller) once for
// its whole life, so no syscall, allocation or posted completion is spent
// per read or write; and an idle connection holds only its descriptor and
// parser state (BENCHMARKS.md).
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hyphae/accepted_socket.hpp"
#include "hyphae/connection_status.hpp"
#include "hyphae/deadline_queue.hpp"
#include "hyphae/frame_parser.hpp"
#include "hyphae/handoff.hpp"
#include "hyphae/poller.hpp"
#include "hyphae/session.hpp"
#include "hyphae/session_host.hpp"
#include "hyphae/upgrade_response.hpp"

namespace hyphae {

class RawSession final : public Session, private Poller::Client, private DeadlineQueue::Entry {
public:
    // A connection whose handshake is done elsewhere: open() starts it.
    RawSession(SessionHost& owner, ConnectionId id, Handoff handoff);
    // A socket just accepted: start() does the handshake.
    RawSession(SessionHost& owner, ConnectionId id, AcceptedSocket socket);
    ~RawSession() override;

    // Reports the open event, parses bytes that arrived with the upgrade
    // request and starts reading.
    void open(ConnectionInfo info, const std::string& early_bytes);

    bool is_open() const override { return state_ == State::open; }
    const std::shared_ptr<ConnectionStatus>& status() const { return status_; }
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
    void write_deferred() override;

private:
    enum class State : std::uint8_t { handshaking, open, closing, finished };
    struct Handshake;
    struct Outgoing {
        SharedPayload payload;
        std::uint8_t opcode;
        bool data;     // a data frame: counts in buffered and stats
        bool from_js;  // JS added its bytes to buffered_amount when it sent it
    };
    // How the session ends once everything queued is written.
    struct Ending {
        std::uint16_t code;
        std::string reason;
    };

    std::shared_ptr<RawSession> self() {
        return std::static_pointer_cast<RawSession>(shared_from_this());
    }
    void on_ready(std::uint32_t events) override;
    // The handshake timeout, the wait for the answer to our close, or the
    // linger: whichever this session is in.
    void on_deadline() override;

    // The opening handshake (raw_handshake.cpp).
    void handshake_ready(std::uint32_t events);
    void read_request();
    // Feeds what was received to the request parser; false when the
    // handshake stopped reading (request complete or refused).
    bool parse_request();
    void on_request();
    void accept_upgrade(std::string protocol, const HeaderList& headers);
    void refuse(unsigned status, std::string_view body);
    // Writes the handshake's answer; once it is out, opens or ends.
    void write_answer();
    void answer_written();
    // Reports the open event and serves frames (or hands the connection to
    // the same-thread loop).
    void begin(ConnectionInfo info, const std::string& early_bytes);
    // close() before the connection is open.
    void close_handshake(std::uint16_t code, std::string reason);
    // One non-blocking recv: bytes read, 0 at the peer's FIN or an error,
    // -1 when nothing is waiting.
    ssize_t receive(std::vector<unsigned char>& buffer);
    // Reads and parses what is waiting; while lingering, reads and drops.
    void read_ready();
    void post_read();
    // Parses received bytes; returns false when the session stopped reading
    // for good (error, close, finished).
    bool consume(const unsigned char* data, std::size_t size);
    void pause_reading();
    void on_peer_close(std::uint16_t code, std::string reason);
    void fail(std::uint16_t code, const char* text);
    void queue_control(std::uint8_t opcode, std::string payload);
    void enqueue(Outgoing frame);
    // Writes queued frames until done or the socket is full; false when the
    // connection failed.
    bool write_queued();
    // Retires `written` bytes from the front of the queue.
    void retire(std::size_t written);
    void after_write();
    // Brings buffered_amount in line with the published bytes still queued.
    void show_published();
    void drop_unsent();
    void close_for_backpressure();
    // `graceful`: the close handshake (or our failure close frame) is done;
    // the socket lingers for the peer's FIN instead of being reset.
    void finish(bool report, std::uint16_t code, std::string reason, bool graceful = false);
    void linger();
    void end_linger();
    void close_socket();

    SessionHost& owner_;
    int fd_ = -1;  // from open() on: open means registered in the Poller
    std::shared_ptr<ConnectionStatus> status_;
    FrameParser parser_;
    std::vector<Outgoing> queue_;
    std::size_t queue_head_ = 0;
    std::size_t head_written_ = 0;  // bytes of the frame at queue_head_ already sent
    std::size_t buffered_ = 0;
    // Bytes of published frames queued, and how many of them buffered_amount
    // shows (updated after each write, not per delivery).
    std::size_t published_queued_ = 0;
    std::size_t published_shown_ = 0;
    std::optional<Ending> ending_;          // set: finish when the queue is written
    std::unique_ptr<Handshake> handshake_;  // only while handshaking
    // Holds the session while it lingers, when nothing else does.
    std::shared_ptr<RawSession> lingering_;
    net::ip::address peer_;
    State state_ = State::open;
    bool counted_ = false;
    bool read_paused_ = false;  // the sink is full: not reading
    bool app_paused_ = false;   // the application paused reading (set_paused)
    // Reading is held by the sink or by the application.
    bool reads_held() const { return read_paused_ || app_paused_; }
    bool read_stopped_ = false;    // a close frame or a protocol error was read
    bool hung_up_ = false;         // the peer's FIN or an error was signalled
    bool read_posted_ = false;     // a read continues in a posted handler
    bool write_deferred_ = false;  // in the worker's list of writes for this round
    bool write_blocked_ = false;   // the socket is full: waiting for EPOLLOUT
    bool backpressured_ = false;
    bool awaiting_pong_ = false;
    bool close_sent_ = false;  // our close frame is written
    bool ping_queued_ = false;
};

}  // namespace hyphae
