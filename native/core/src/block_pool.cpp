#include "hyphae/block_pool.hpp"

#include <atomic>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#define HYPHAE_POOL_OFF 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HYPHAE_POOL_OFF 1
#endif
#endif

namespace hyphae::block_pool {

#ifdef HYPHAE_POOL_OFF

void* allocate(std::size_t size) {
    return ::operator new(size);
}

void release(void* block, std::size_t) noexcept {
    ::operator delete(block);
}

#else

namespace {

struct Node {
    Node* next;
};

// Bounds on what is kept: 4096 blocks (512 KiB) per thread, 16k (2 MiB)
// shared. A thread must hold a whole round: the JS thread frees a round's
// events before its sends allocate their payloads, and at 1000 echo
// connections a round is ~500 events. With 256 per thread the surplus went
// through the shared stack and back (the pool: 1.9% of the server's CPU,
// now 0.4%).
constexpr std::size_t kLocalMax = 4096;
constexpr std::size_t kSharedMax = 16 * 1024;

void free_list(Node* list) noexcept {
    while (list) {
        Node* next = list->next;
        ::operator delete(static_cast<void*>(list));
        list = next;
    }
}

struct Shared {
    std::atomic<Node*> head{nullptr};
    std::atomic<std::size_t> count{0};
    ~Shared() { free_list(head.exchange(nullptr)); }

    void push(Node* node) noexcept {
        Node* top = head.load(std::memory_order_relaxed);
        do {
            node->next = top;
        } while (!head.compare_exchange_weak(top, node, std::memory_order_release,
                                             std::memory_order_relaxed));
    }
};

Shared shared;

// The cache itself is plain data, so its accesses compile to a fixed offset
// from the thread pointer (initial-exec model: the default for a dlopen'ed
// addon calls __tls_get_addr on every use, 0.5% of the echo server's CPU).
// A thread_local with a destructor would bring a guard variable and that
// call back, so the destructor lives in a second object, touched once.
struct Local {
    Node* head;
    std::size_t count;
    bool registered;  // the Flusher below exists for this thread
    bool ended;       // the thread is exiting: no caching any more
};

thread_local Local local __attribute__((tls_model("initial-exec"))) = {nullptr, 0, false, false};

struct Flusher {
    bool armed = false;
    ~Flusher() {
        free_list(local.head);
        local.head = nullptr;
        local.count = 0;
        local.ended = true;
    }
};

thread_local Flusher flusher;

void register_flusher() {
    local.registered = true;
    // The first use constructs it, which schedules its destructor for this
    // thread's exit.
    flusher.armed = true;
}

}  // namespace

void* allocate(std::size_t size) {
    if (size > kBlockSize) return ::operator new(size);
    if (local.head == nullptr && shared.head.load(std::memory_order_relaxed) != nullptr) {
        Node* list = shared.head.exchange(nullptr, std::memory_order_acquire);
        std::size_t taken = 0;
        for (Node* node = list; node; node = node->next) ++taken;
        shared.count.fetch_sub(taken, std::memory_order_relaxed);
        local.head = list;
        local.count = taken;
    }
    if (Node* node = local.head) {
        local.head = node->next;
        --local.count;
        return node;
    }
    return ::operator new(kBlockSize);
}

void release(void* block, std::size_t size) noexcept {
    if (block == nullptr) return;
    if (size > kBlockSize) return ::operator delete(block);
    auto* node = static_cast<Node*>(block);
    if (!local.registered && !local.ended) register_flusher();
    if (local.count < kLocalMax && !local.ended) {
        node->next = local.head;
        local.head = node;
        ++local.count;
        return;
    }
    if (shared.count.load(std::memory_order_relaxed) >= kSharedMax) {
        return ::operator delete(block);
    }
    shared.count.fetch_add(1, std::memory_order_relaxed);
    shared.push(node);
}

#endif

}  // namespace hyphae::block_pool
