#pragma once
// RFC 6455 frame constants shared by the frame parser, the own writer and
// the Beast-based session.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace hyphae {

namespace opcode {
inline constexpr std::uint8_t continuation = 0x0;
inline constexpr std::uint8_t text = 0x1;
inline constexpr std::uint8_t binary = 0x2;
inline constexpr std::uint8_t close = 0x8;
inline constexpr std::uint8_t ping = 0x9;
inline constexpr std::uint8_t pong = 0xA;
}  // namespace opcode

inline constexpr std::size_t kMaxControlPayload = 125;
inline constexpr std::size_t kMaxCloseReason = 123;  // the control limit minus the code

// Cuts text to at most `limit` bytes without splitting a UTF-8 sequence.
inline std::string_view utf8_prefix(std::string_view text, std::size_t limit) {
    if (text.size() <= limit) return text;
    std::size_t end = limit;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    return text.substr(0, end);
}

// Writes the header of an unmasked server frame (FIN set) into `out` (at
// least 10 bytes); returns its size.
std::size_t write_frame_header(unsigned char* out, std::uint8_t opcode, std::size_t length);

}  // namespace hyphae
