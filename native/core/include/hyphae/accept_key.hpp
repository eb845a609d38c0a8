#pragma once
// The opening handshake's key check (RFC 6455 4.2.1/4.2.2).
#include <string>
#include <string_view>

namespace hyphae {

// A Sec-WebSocket-Key must be the base64 form of 16 bytes.
bool valid_websocket_key(std::string_view key);
// Sec-WebSocket-Accept: base64(SHA-1(key + the RFC's GUID)).
std::string websocket_accept(std::string_view key);

}  // namespace hyphae
