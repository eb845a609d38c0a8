#pragma once
// A connection id carries the index of the io thread that owns the session in
// its low bits, so any thread can route an operation to the owner with one
// post and no shared lookup table. Ids stay below 2^53 so JavaScript numbers
// represent them exactly.
#include <cstdint>

namespace hyphae {

using ConnectionId = std::uint64_t;

inline constexpr unsigned kThreadBits = 6;
inline constexpr unsigned kMaxThreads = 1u << kThreadBits;
inline constexpr std::uint64_t kMaxSequence = (std::uint64_t{1} << (53 - kThreadBits)) - 1;

constexpr ConnectionId make_connection_id(std::uint64_t sequence, unsigned thread) {
    return (sequence << kThreadBits) | thread;
}

constexpr unsigned owner_thread(ConnectionId id) {
    return static_cast<unsigned>(id & (kMaxThreads - 1));
}

}  // namespace hyphae
