#pragma once
// Recycled memory for the small blocks every message needs: its event on the
// way to JS and its payload on the way out. On the echo path one thread
// allocates what another frees (events: io thread -> JS thread; payloads:
// the reverse), which glibc serves from the slow path, with the owning
// arena's lock taken by the freeing thread. Here a block freed on a thread is
// kept in that thread's cache for its next allocation, and a cache that
// overflows hands blocks to a shared lock-free stack that any thread empties
// in one exchange (no ABA: a list is only ever taken whole).
//
// Sanitized builds go straight to operator new/delete, so that ASan still
// sees every use after free.
#include <cstddef>

namespace hyphae::block_pool {

// Blocks up to this size are pooled; larger requests are plain new/delete.
inline constexpr std::size_t kBlockSize = 128;

void* allocate(std::size_t size);
// `size` as given to allocate().
void release(void* block, std::size_t size) noexcept;

}  // namespace hyphae::block_pool
