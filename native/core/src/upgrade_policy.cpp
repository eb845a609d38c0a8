#include "hyphae/upgrade_policy.hpp"

#include <boost/beast/websocket/rfc6455.hpp>
#include <cctype>

namespace hyphae {

std::string_view target_path(std::string_view target) {
    const auto query = target.find_first_of("?#");
    return query == std::string_view::npos ? target : target.substr(0, query);
}

namespace {

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i]))) {
            return false;
        }
    }
    return true;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

UpgradeVerdict reject(unsigned status, std::string body) {
    return {false, status, std::move(body), {}};
}

}  // namespace

std::string choose_protocol(std::string_view offered, const std::vector<std::string>& ours) {
    std::vector<std::string_view> theirs;
    while (!offered.empty()) {
        const auto comma = offered.find(',');
        theirs.push_back(trim(offered.substr(0, comma)));
        offered = comma == std::string_view::npos ? std::string_view{} : offered.substr(comma + 1);
    }
    for (const auto& protocol : ours) {
        for (const auto candidate : theirs) {
            if (candidate == protocol) return protocol;
        }
    }
    return {};
}

UpgradeVerdict evaluate_upgrade(const UpgradeRequest& request, const UpgradePolicy& policy,
                                const UpgradeContext& context) {
    namespace http = boost::beast::http;
    if (!policy.path.empty() && target_path(request.target()) != policy.path) {
        return reject(404, "Not Found");
    }
    if (!boost::beast::websocket::is_upgrade(request)) return reject(426, "Upgrade Required");
    if (!policy.allowed_origins.empty()) {
        const auto origin = request[http::field::origin];
        bool allowed = false;
        for (const auto& candidate : policy.allowed_origins) {
            allowed = allowed || equals_ignoring_case(origin, candidate);
        }
        if (!allowed) return reject(403, "Origin Not Allowed");
    }
    if (policy.max_connections != 0 && context.connections > policy.max_connections) {
        return reject(503, "Server Full");
    }
    if (policy.max_connections_per_ip != 0 &&
        context.connections_from_ip > policy.max_connections_per_ip) {
        return reject(429, "Too Many Connections From This Address");
    }
    // Version and key are checked by Beast's accept, which answers 400 / 426.
    UpgradeVerdict verdict{true, 0, {}, {}};
    if (!policy.protocols.empty()) {
        verdict.protocol =
            choose_protocol(request[http::field::sec_websocket_protocol], policy.protocols);
    }
    return verdict;
}

}  // namespace hyphae
