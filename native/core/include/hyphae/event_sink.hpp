#pragma once
// The only way events leave the core. Implementations are called from io
// threads (several at once when the server has several) and must be
// thread-safe; they must not call back into the session synchronously.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hyphae/connection_id.hpp"
#include "hyphae/connection_status.hpp"

namespace hyphae {

struct ConnectionInfo {
    ConnectionId id = 0;
    std::string remote_address;
    std::uint16_t remote_port = 0;
    std::string target;  // request target as sent: path plus query
    std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
    std::shared_ptr<ConnectionStatus> status;                  // readable from any thread
    std::string protocol;                                      // negotiated subprotocol, or empty
};

// A request the application decides on (ServerOptions::decide_upgrades).
struct UpgradeInfo {
    ConnectionId id = 0;
    std::string remote_address;
    std::uint16_t remote_port = 0;
    std::string target;
    std::string protocols;                                     // Sec-WebSocket-Protocol as offered
    std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
};

// The application's answer to an UpgradeInfo.
struct UpgradeDecision {
    bool accept = false;
    unsigned status = 401;  // when rejected
    std::string message;    // when rejected: the response body
    std::string protocol;   // when accepted: overrides the policy's choice if set
    std::vector<std::pair<std::string, std::string>> headers;  // added to the response
};

// The control frames a peer's ping or pong reports (close has its own event).
enum class Control : std::uint8_t { ping, pong };

class EventSink {
public:
    virtual ~EventSink() = default;

    // With decide_upgrades: a request passed the policy and waits for
    // Server::decide_upgrade(). Default: accepted at once.
    virtual void on_upgrade(UpgradeInfo info) { (void)info; }

    // After the 101 response went out; the first event of a connection.
    virtual void on_open(ConnectionInfo info) = 0;
    // One complete message; text payloads are valid UTF-8. The sink copies
    // the payload or takes it (moves from it); the session reuses whatever is
    // left, so small messages need no allocation of their own on the way in.
    // Returns false when the sink is over its high-water mark: the session
    // then stops reading until Server::resume_reading() (inbound backpressure).
    virtual bool on_message(ConnectionId id, std::string& payload, bool binary) = 0;
    // A ping or a pong from the peer, with its payload (at most 125 bytes,
    // valid during the call); a ping has been answered already. Returns
    // false, as on_message does, when the sink is over its high-water mark.
    // Default: ignored.
    virtual bool on_control(ConnectionId id, Control kind, std::string_view payload) {
        (void)id;
        (void)kind;
        (void)payload;
        return true;
    }
    // The connection's outbound queue went over max_backpressure and has now
    // been written out completely.
    virtual void on_drain(ConnectionId id) = 0;
    // Protocol or transport failure of an open connection; a close follows.
    virtual void on_error(ConnectionId id, std::string what) = 0;
    // Exactly once per opened connection, as its last event.
    virtual void on_close(ConnectionId id, std::uint16_t code, std::string reason) = 0;
    // A connection handed in by Server::adopt() ended without opening
    // (refused, timed out, gone, or the server stopped): its only event.
    virtual void on_refused(ConnectionId id) { (void)id; }
    // After stop(): every io thread has finished; no event follows.
    virtual void on_server_closed() = 0;
    // Called by an io thread once it has run the handlers that were ready
    // together, after it reported events: a sink that wakes a consumer can
    // wake it once per round instead of once per event.
    virtual void flush() {}
};

}  // namespace hyphae
