#pragma once
// The decision taken on an HTTP request before the WebSocket handshake. It is
// one pure function so that later policy (origin, auth verdicts, connection
// limits) slots in here and is testable without sockets.
#include <boost/beast/http.hpp>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace hyphae {

using UpgradeRequest = boost::beast::http::request<boost::beast::http::empty_body>;

struct UpgradePolicy {
    std::string path;                          // empty: any path
    std::vector<std::string> allowed_origins;  // empty: any origin (compared case-insensitively)
    std::size_t max_connections = 0;           // 0: no limit
    std::size_t max_connections_per_ip = 0;    // 0: no limit
    std::vector<std::string> protocols;        // subprotocols we speak, preferred first
};

// What the server knows about the connection asking, beside its request.
struct UpgradeContext {
    std::size_t connections = 0;          // open or upgrading, this one included
    std::size_t connections_from_ip = 0;  // the same, from this peer's address
};

struct UpgradeVerdict {
    bool accept = false;
    unsigned status = 0;  // HTTP status when rejected
    std::string body;
    std::string protocol;  // chosen subprotocol (empty: none)
};

UpgradeVerdict evaluate_upgrade(const UpgradeRequest& request, const UpgradePolicy& policy,
                                const UpgradeContext& context = {});

// The first of our protocols that the client offered (Sec-WebSocket-Protocol), or "".
std::string choose_protocol(std::string_view offered, const std::vector<std::string>& ours);

// The path part of a request target ("/ws?x=1" -> "/ws").
std::string_view target_path(std::string_view target);

}  // namespace hyphae
