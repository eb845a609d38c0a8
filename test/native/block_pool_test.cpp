// The block pool hands out each block to one owner at a time, across
// threads: blocks allocated on one thread and released on another (the
// echo path's pattern) keep their contents, and no block is given twice.
#include "hyphae/block_pool.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace {

using namespace hyphae;

struct Handover {
    std::mutex mutex;
    std::condition_variable ready;
    std::deque<unsigned char*> blocks;
    bool done = false;

    void put(unsigned char* block) {
        std::lock_guard lock(mutex);
        blocks.push_back(block);
        ready.notify_one();
    }
    unsigned char* take() {
        std::unique_lock lock(mutex);
        ready.wait(lock, [this] { return !blocks.empty() || done; });
        if (blocks.empty()) return nullptr;
        auto* block = blocks.front();
        blocks.pop_front();
        return block;
    }
};

TEST(BlockPool, BlocksMovingBetweenThreadsKeepTheirContents) {
    constexpr int kBlocks = 200000;
    constexpr std::size_t kSize = 96;
    Handover to_consumer;
    int corrupted = 0;
    std::thread consumer([&] {
        while (auto* block = to_consumer.take()) {
            // Every byte carries the block's number: a block given to two
            // owners at once would show the other's pattern.
            const unsigned char mark = block[0];
            for (std::size_t i = 1; i < kSize; ++i) {
                if (block[i] != mark) {
                    ++corrupted;
                    break;
                }
            }
            block_pool::release(block, kSize);
            // Allocate here too, as the JS thread does for its payloads.
            auto* own = static_cast<unsigned char*>(block_pool::allocate(kSize));
            std::memset(own, 0xEE, kSize);
            block_pool::release(own, kSize);
        }
    });
    for (int n = 0; n < kBlocks; ++n) {
        auto* block = static_cast<unsigned char*>(block_pool::allocate(kSize));
        std::memset(block, n & 0xFF, kSize);
        to_consumer.put(block);
    }
    {
        std::lock_guard lock(to_consumer.mutex);
        to_consumer.done = true;
        to_consumer.ready.notify_one();
    }
    consumer.join();
    EXPECT_EQ(corrupted, 0);
}

TEST(BlockPool, NoBlockIsHandedOutTwice) {
    // More than one thread's cache holds, so blocks overflow to the shared
    // stack and come back on another thread.
    constexpr int kBlocks = 5000;
    std::vector<void*> released;
    std::thread freeing([&] {
        std::vector<void*> blocks;
        for (int n = 0; n < kBlocks; ++n) blocks.push_back(block_pool::allocate(64));
        for (void* block : blocks) block_pool::release(block, 64);
    });
    freeing.join();
    std::set<void*> seen;
    std::vector<void*> live;
    for (int n = 0; n < kBlocks; ++n) {
        void* block = block_pool::allocate(64);
        EXPECT_TRUE(seen.insert(block).second) << "block " << block << " handed out twice";
        live.push_back(block);
    }
    for (void* block : live) block_pool::release(block, 64);
}

}  // namespace
