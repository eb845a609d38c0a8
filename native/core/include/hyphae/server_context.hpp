#pragma once
// Settings and the event sink shared, read-only, by every session of a server.
#include <memory>

#include "hyphae/connection_counts.hpp"
#include "hyphae/event_sink.hpp"
#include "hyphae/handoff.hpp"
#include "hyphae/server_options.hpp"
#include "hyphae/tls.hpp"

namespace hyphae {

struct ServerContext {
    ServerOptions options;
    std::shared_ptr<EventSink> sink;
    std::shared_ptr<ConnectionCounts> counts = std::make_shared<ConnectionCounts>();
    // Set when options.tls is: every session speaks TLS (wss).
    std::shared_ptr<net::ssl::context> tls;
    // Set (same-thread mode): plain connections go to it after their handshake.
    std::shared_ptr<ConnectionAdopter> adopter;
};

}  // namespace hyphae
