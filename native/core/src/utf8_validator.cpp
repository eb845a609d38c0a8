#include "hyphae/utf8_validator.hpp"

#include <cstring>

namespace hyphae {

std::size_t ascii_prefix(const unsigned char* data, std::size_t size) {
    std::size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        std::uint64_t word;
        std::memcpy(&word, data + i, sizeof word);
        if (word & 0x8080808080808080ULL) break;
    }
    while (i < size && data[i] < 0x80) ++i;
    return i;
}

bool Utf8Validator::feed(const unsigned char* data, std::size_t size) {
    std::size_t i = 0;
    while (i < size) {
        // Fast path: ASCII runs between characters.
        if (needed_ == 0) {
            i += ascii_prefix(data + i, size - i);
            if (i == size) break;
        }
        const unsigned char byte = data[i++];
        if (needed_ == 0) {
            if (byte < 0x80) continue;
            lower_ = 0x80;
            upper_ = 0xBF;
            if (byte >= 0xC2 && byte <= 0xDF) {
                needed_ = 1;
            } else if (byte >= 0xE0 && byte <= 0xEF) {
                needed_ = 2;
                if (byte == 0xE0) lower_ = 0xA0;  // overlong
                if (byte == 0xED) upper_ = 0x9F;  // surrogates
            } else if (byte >= 0xF0 && byte <= 0xF4) {
                needed_ = 3;
                if (byte == 0xF0) lower_ = 0x90;  // overlong
                if (byte == 0xF4) upper_ = 0x8F;  // above U+10FFFF
            } else {
                return false;
            }
            continue;
        }
        if (byte < lower_ || byte > upper_) return false;
        lower_ = 0x80;
        upper_ = 0xBF;
        --needed_;
    }
    return true;
}

}  // namespace hyphae
