#pragma once
// The only way events leave the core. Implementations are called from io
// threads (several at once when the server has several) and must be
// thread-safe; they must not call back into the session synchronously.
#include <cstdint>
#include <memory>
#include <string>
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

class EventSink {
public:
    virtual ~EventSink() = default;

    // After the 101 response went out; the first event of a connection.
    virtual void on_open(ConnectionInfo info) = 0;
    // One complete message; text payloads are valid UTF-8 (checked by Beast).
    // Returns false when the sink is over its high-water mark: the session
    // then stops reading until Server::resume_reading() (inbound backpressure).
    virtual bool on_message(ConnectionId id, std::string payload, bool binary) = 0;
    // The connection's outbound queue went over max_backpressure and has now
    // been written out completely.
    virtual void on_drain(ConnectionId id) = 0;
    // Protocol or transport failure of an open connection; a close follows.
    virtual void on_error(ConnectionId id, std::string what) = 0;
    // Exactly once per opened connection, as its last event.
    virtual void on_close(ConnectionId id, std::uint16_t code, std::string reason) = 0;
    // After stop(): every io thread has finished; no event follows.
    virtual void on_server_closed() = 0;
    // Called by an io thread once it has run the handlers that were ready
    // together, after it reported events: a sink that wakes a consumer can
    // wake it once per round instead of once per event.
    virtual void flush() {}
};

}  // namespace hyphae
