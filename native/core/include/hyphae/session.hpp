#pragma once
// One client connection, from the first byte of its HTTP request to its close.
// A session lives on its worker's thread; every method is called there.
// The worker sees this interface only: the transport (plain TCP or TLS) is a
// template parameter of the implementation (basic_session.hpp).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "hyphae/asio.hpp"
#include "hyphae/connection_id.hpp"
#include "hyphae/event_sink.hpp"
#include "hyphae/outbound_message.hpp"

namespace hyphae {

class Worker;
class SessionHost;

class Session : public std::enable_shared_from_this<Session> {
public:
    explicit Session(ConnectionId id) : id_(id) {}
    virtual ~Session() = default;
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    ConnectionId id() const { return id_; }
    virtual bool is_open() const = 0;

    // Reads the upgrade request (after the TLS handshake, for wss), applies
    // the policy, completes the handshake. `preread`: bytes of the request
    // another server already took off the socket, parsed before reading on.
    virtual void start(std::string preread) = 0;
    // Queues a message; dropped unless the connection is open. `counted`:
    // the sender already added its frame bytes to the connection's `sent`
    // count and decided about the limit (JS sends). Otherwise
    // (publishes) the backpressure limit is applied here. Returns whether it
    // was queued.
    virtual bool send(OutboundMessage message, bool counted = false) = 0;
    // Inbound backpressure: reading stopped because the sink was full.
    virtual void resume_reading() = 0;
    // The application pauses (or resumes) reading, as ws's pause()/resume():
    // a message already being read may still be delivered; then the socket is
    // left unread, so TCP pushes back on the peer. Independent of the
    // sink's pause: reading goes on only when neither holds it. A pause
    // that comes once the session is closing is ignored (the close
    // handshake needs the peer's answer).
    virtual void set_paused(bool paused) = 0;
    // The application's verdict on an upgrade waiting for it.
    virtual void decide_upgrade(UpgradeDecision decision) = 0;
    // Starts the close handshake after everything already queued is written.
    virtual void close(std::uint16_t code, std::string reason) = 0;
    virtual void ping(std::string payload) = 0;
    // An unsolicited pong (RFC 6455 5.5.3: a one-way heartbeat).
    virtual void pong(std::string payload) = 0;
    // Closes the socket now; the session finishes with 1006.
    virtual void terminate() = 0;
    // Heartbeat round (driven by the worker's timer): ping, then later drop
    // the connection if nothing arrived since that ping.
    virtual void heartbeat_ping() = 0;
    virtual void heartbeat_check() = 0;
    // Writes what was queued this round (sessions that cork their writes
    // ask the worker for this call with Worker::defer_write).
    virtual void write_deferred() {}

protected:
    // The last step of every session: leave the worker's registry and topics
    // (so an observer of the close event never finds the connection
    // subscribed), then report the close. A cut reason replaces 1006.
    void report_end(SessionHost& owner, bool report, std::uint16_t code, std::string reason);

    // Why we cut the connection (backpressure, heartbeat), reported instead
    // of 1006.
    std::optional<std::pair<std::uint16_t, std::string>> cut_reason_;

private:
    ConnectionId id_;
};

// A session for a freshly accepted socket: TLS when the server has a TLS
// context, plain TCP otherwise.
std::shared_ptr<Session> make_session(Worker& owner, ConnectionId id, Socket socket);

}  // namespace hyphae
