#pragma once
// Timestamps carried in payloads as 16 hex digits (valid UTF-8): the echo
// client stamps with its own monotonic clock; fan-out servers stamp with
// wall-clock microseconds.
#include <chrono>
#include <cstdint>

namespace hyphae::load {

inline std::uint64_t now_ns() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::steady_clock::now().time_since_epoch())
                                          .count());
}

// Wall-clock microseconds: what servers in other runtimes can stamp with
// (performance.timeOrigin + performance.now()), unlike a monotonic clock
// whose origin differs between runtimes.
inline std::uint64_t wall_us() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
}

inline void encode_stamp(std::uint64_t value, char* out) {
    static constexpr char digits[] = "0123456789abcdef";
    for (int i = 15; i >= 0; --i, value >>= 4) out[i] = digits[value & 0xF];
}

inline std::uint64_t decode_stamp(const char* in) {
    std::uint64_t value = 0;
    for (int i = 0; i < 16; ++i) {
        const char c = in[i];
        value = (value << 4) | static_cast<std::uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    return value;
}

}  // namespace hyphae::load
