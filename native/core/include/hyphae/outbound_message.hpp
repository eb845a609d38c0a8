#pragma once
// A message queued for sending. The payload is immutable and shared, so one
// copy can serve any number of recipients (broadcast, publish).
#include <memory>
#include <string>

namespace hyphae {

using SharedPayload = std::shared_ptr<const std::string>;

struct OutboundMessage {
    SharedPayload payload;
    bool binary = false;
};

inline SharedPayload make_payload(std::string bytes) {
    return std::make_shared<const std::string>(std::move(bytes));
}

// Bytes a server frame with this payload occupies on the wire (unmasked).
constexpr std::size_t frame_size(std::size_t payload) {
    return payload + (payload < 126 ? 2 : payload <= 0xFFFF ? 4 : 10);
}

}  // namespace hyphae
