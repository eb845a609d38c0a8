#pragma once
// Incremental UTF-8 validation (RFC 3629: no overlongs, no surrogates, at
// most U+10FFFF) for text messages that arrive in pieces: a sequence may
// span frames, and an invalid byte is found as soon as it arrives.
#include <cstddef>
#include <cstdint>

namespace hyphae {

// How many bytes from the start are ASCII, eight at a time while it can.
std::size_t ascii_prefix(const unsigned char* data, std::size_t size);

class Utf8Validator {
public:
    // Feeds more bytes; false once the text can no longer be valid.
    bool feed(const unsigned char* data, std::size_t size);
    // True when the bytes so far end on a character boundary.
    bool complete() const { return needed_ == 0; }
    void reset() {
        needed_ = 0;
        lower_ = 0x80;
        upper_ = 0xBF;
    }

private:
    std::uint8_t needed_ = 0;  // continuation bytes still expected
    // Allowed range of the next continuation byte (narrower right after some
    // lead bytes, to exclude overlongs and surrogates).
    std::uint8_t lower_ = 0x80;
    std::uint8_t upper_ = 0xBF;
};

}  // namespace hyphae
