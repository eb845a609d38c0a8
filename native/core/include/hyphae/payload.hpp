#pragma once
// An immutable byte string shared by every frame that carries it (one send,
// or all the recipients of a publish), with its reference count and its
// bytes in ONE allocation. std::shared_ptr<const std::string> took three
// (string object with control block, then the bytes, plus the string the
// bytes were first copied into): on the echo path that was a malloc/free
// pair per message more than needed.
#include <atomic>
#include <cstddef>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <utility>

#include "hyphae/block_pool.hpp"

namespace hyphae {

class SharedPayload {
public:
    SharedPayload() = default;
    SharedPayload(const SharedPayload& other) noexcept : block_(other.block_) { retain(); }
    SharedPayload(SharedPayload&& other) noexcept : block_(std::exchange(other.block_, nullptr)) {}
    SharedPayload& operator=(SharedPayload other) noexcept {
        std::swap(block_, other.block_);
        return *this;
    }
    ~SharedPayload() { release(); }

    // A payload holding a copy of `size` bytes at `data`.
    static SharedPayload copy(const void* data, std::size_t size) {
        SharedPayload payload;
        payload.block_ = Block::create(size);
        if (size > 0) std::memcpy(payload.block_->bytes(), data, size);
        return payload;
    }

    // A payload of `size` bytes written by `fill(char* bytes)`, which may
    // also write one byte past them (room for a C string's terminator).
    template <class Fill>
    static SharedPayload build(std::size_t size, Fill&& fill) {
        SharedPayload payload;
        payload.block_ = Block::create(size);
        fill(payload.block_->bytes());
        return payload;
    }

    const char* data() const noexcept { return block_ ? block_->bytes() : nullptr; }
    std::size_t size() const noexcept { return block_ ? block_->size : 0; }
    bool empty() const noexcept { return size() == 0; }
    std::string_view view() const noexcept { return {data(), size()}; }

    explicit operator bool() const noexcept { return block_ != nullptr; }
    void reset() noexcept {
        release();
        block_ = nullptr;
    }

private:
    struct Block {
        std::atomic<std::size_t> references{1};
        std::size_t size = 0;

        char* bytes() noexcept { return reinterpret_cast<char*>(this + 1); }
        // One byte past the payload is always allocated (see build()).
        static std::size_t footprint(std::size_t size) { return sizeof(Block) + size + 1; }
        static Block* create(std::size_t size) {
            void* memory = block_pool::allocate(footprint(size));
            auto* block = new (memory) Block;
            block->size = size;
            return block;
        }
    };

    void retain() const noexcept {
        if (block_) block_->references.fetch_add(1, std::memory_order_relaxed);
    }
    // The last owner frees without a locked decrement: with one reference
    // left, no other thread holds one it could copy or drop meanwhile.
    void release() noexcept {
        if (!block_) return;
        if (block_->references.load(std::memory_order_acquire) == 1 ||
            block_->references.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            const std::size_t footprint = Block::footprint(block_->size);
            block_->~Block();
            block_pool::release(block_, footprint);
        }
    }

    Block* block_ = nullptr;
};

inline SharedPayload make_payload(std::string_view bytes) {
    return SharedPayload::copy(bytes.data(), bytes.size());
}

}  // namespace hyphae
