#pragma once
// A connection whose opening handshake is done, on its way from the session
// that did the handshake to the one that serves its frames (RawSession),
// possibly on another thread.
#include <functional>
#include <memory>
#include <string>

#include "hyphae/asio.hpp"
#include "hyphae/connection_id.hpp"
#include "hyphae/connection_status.hpp"
#include "hyphae/event_sink.hpp"

namespace hyphae {

struct Handoff {
    int fd = -1;  // the socket, released from asio (non-blocking)
    std::shared_ptr<ConnectionStatus> status;
    bool counted = false;  // in the server's connection counts
    net::ip::address peer;
};

// A host outside the server's io threads that serves plain connections once
// their handshake is done: the JS thread's loop (same-thread mode). On the
// own handshake path it also takes the listening socket and does the
// handshakes itself, so a connection never touches an io thread.
class ConnectionAdopter {
public:
    virtual ~ConnectionAdopter() = default;
    // The thread that called Server::listen(), before listen() returns.
    // Takes `fd`, a listening socket, and serves every connection accepted
    // from it, from the request on; `next_id` hands out their ids.
    virtual void take_listener(int fd, std::function<ConnectionId()> next_id) = 0;
    // Any io thread. Takes over the connection; reporting its open event,
    // with `info`, and parsing `early_bytes` are the adopter's from here on.
    virtual void adopt(ConnectionId id, Handoff handoff, ConnectionInfo info,
                       std::string early_bytes) = 0;
    // The last io thread, once, as it ends: no adopt() call follows. Until
    // then a handshake finishing during shutdown may still hand over its
    // connection, so the adopter must not declare itself finished before.
    virtual void handoffs_ended() = 0;
};

}  // namespace hyphae
