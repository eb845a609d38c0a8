#pragma once
// The decision taken on an HTTP request before the WebSocket handshake. It is
// one pure function so that later policy (origin, auth verdicts, connection
// limits) slots in here and is testable without sockets.
#include <boost/beast/http.hpp>
#include <string>
#include <string_view>

namespace hyphae {

using UpgradeRequest = boost::beast::http::request<boost::beast::http::empty_body>;

struct UpgradePolicy {
    std::string path;  // empty: any path
};

struct UpgradeVerdict {
    bool accept = false;
    unsigned status = 0;  // HTTP status when rejected
    std::string body;
};

UpgradeVerdict evaluate_upgrade(const UpgradeRequest& request, const UpgradePolicy& policy);

// The path part of a request target ("/ws?x=1" -> "/ws").
std::string_view target_path(std::string_view target);

}  // namespace hyphae
