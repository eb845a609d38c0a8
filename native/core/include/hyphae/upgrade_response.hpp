#pragma once
// The HTTP side of an opening handshake that hyphae answers itself (plain
// connections on the own handshake path, raw_handshake.cpp), and what the
// application is told about the request on either path.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hyphae/upgrade_policy.hpp"

namespace hyphae {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct Refusal {
    unsigned status;
    std::string body;
};

// The checks Beast's websocket accept makes on a request the policy let
// through, with the same answers: 400 for a malformed upgrade, 426 for a
// version other than 13.
std::optional<Refusal> check_websocket_request(const UpgradeRequest& request);

// The 101 for `key`. Header names or values that would end a header early
// (CR, LF, a colon in a name) are left out.
std::string switching_protocols_response(std::string_view key, std::string_view protocol,
                                         const HeaderList& headers);

// An error answer that closes the connection (426 names the version we speak).
std::string refusal_response(unsigned status, std::string_view body);

// The request's headers in order, names in lower case.
HeaderList request_headers(const UpgradeRequest& request);

}  // namespace hyphae
