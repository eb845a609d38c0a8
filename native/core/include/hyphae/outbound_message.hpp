#pragma once
// A message queued for sending. The payload is immutable and shared, so one
// copy can serve any number of recipients (broadcast, publish).
#include <cstddef>

#include "hyphae/payload.hpp"

namespace hyphae {

struct OutboundMessage {
    SharedPayload payload;
    bool binary = false;
};

// Bytes a server frame with this payload occupies on the wire (unmasked).
constexpr std::size_t frame_size(std::size_t payload) {
    return payload + (payload < 126 ? 2 : payload <= 0xFFFF ? 4 : 10);
}

}  // namespace hyphae
