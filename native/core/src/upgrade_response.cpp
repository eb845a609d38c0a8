#include "hyphae/upgrade_response.hpp"

#include <algorithm>
#include <cctype>

#include "hyphae/accept_key.hpp"

namespace hyphae {

namespace http = boost::beast::http;

namespace {

void add_header(std::string& response, std::string_view name, std::string_view value) {
    // A value from the application must not end the header early.
    if (name.empty() || name.find_first_of("\r\n:") != std::string_view::npos ||
        value.find_first_of("\r\n") != std::string_view::npos) {
        return;
    }
    response.append(name).append(": ").append(value).append("\r\n");
}

std::string_view view(boost::beast::string_view text) {
    return {text.data(), text.size()};
}

}  // namespace

std::optional<Refusal> check_websocket_request(const UpgradeRequest& request) {
    if (request.version() != 11 || request.method() != http::verb::get ||
        request.find(http::field::host) == request.end()) {
        return Refusal{400, "Bad Request"};
    }
    if (!valid_websocket_key(view(request[http::field::sec_websocket_key]))) {
        return Refusal{400, "Bad Request"};
    }
    if (request[http::field::sec_websocket_version] != "13") {
        return Refusal{426, "Upgrade Required"};
    }
    return std::nullopt;
}

std::string switching_protocols_response(std::string_view key, std::string_view protocol,
                                         const HeaderList& headers) {
    std::string response =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Server: hyphae\r\nSec-WebSocket-Accept: ";
    response += websocket_accept(key);
    response += "\r\n";
    if (!protocol.empty()) add_header(response, "Sec-WebSocket-Protocol", protocol);
    for (const auto& [name, value] : headers) add_header(response, name, value);
    response += "\r\n";
    return response;
}

std::string refusal_response(unsigned status, std::string_view body) {
    std::string response = "HTTP/1.1 ";
    response += std::to_string(status);
    response += ' ';
    response += view(http::obsolete_reason(http::int_to_status(status)));
    response += "\r\nServer: hyphae\r\nContent-Type: text/plain; charset=utf-8\r\n";
    if (status == 426) response += "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n";
    response += "Connection: close\r\nContent-Length: ";
    response += std::to_string(body.size());
    response += "\r\n\r\n";
    response += body;
    return response;
}

HeaderList request_headers(const UpgradeRequest& request) {
    HeaderList headers;
    for (const auto& field : request) {
        std::string name(view(field.name_string()));
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        headers.emplace_back(std::move(name), std::string(view(field.value())));
    }
    return headers;
}

}  // namespace hyphae
