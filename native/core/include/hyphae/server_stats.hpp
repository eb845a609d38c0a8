#pragma once
// Counters kept by each worker (relaxed atomics: statistics, not
// synchronisation) and their sum over a server.
#include <atomic>
#include <cstdint>

namespace hyphae {

struct StatsSnapshot {
    std::uint64_t connections_opened = 0;
    std::uint64_t connections_closed = 0;
    std::uint64_t messages_in = 0;
    std::uint64_t bytes_in = 0;
    std::uint64_t messages_out = 0;
    std::uint64_t bytes_out = 0;
    std::uint64_t publishes = 0;
    std::uint64_t dropped = 0;        // messages not queued: backpressure limit
    std::uint64_t backpressure = 0;   // times a connection went over its limit
    std::uint64_t reads_paused = 0;   // times a socket stopped being read (inbound)
    std::uint64_t tls_failed = 0;     // TLS handshakes that failed (wss)
    std::uint64_t ping_timeouts = 0;  // connections dropped by the heartbeat
    std::uint64_t accept_errors = 0;  // accepts that failed (out of descriptors...)
};

struct WorkerStats {
    std::atomic<std::uint64_t> connections_opened{0};
    std::atomic<std::uint64_t> connections_closed{0};
    std::atomic<std::uint64_t> messages_in{0};
    std::atomic<std::uint64_t> bytes_in{0};
    std::atomic<std::uint64_t> messages_out{0};
    std::atomic<std::uint64_t> bytes_out{0};
    std::atomic<std::uint64_t> dropped{0};
    std::atomic<std::uint64_t> backpressure{0};
    std::atomic<std::uint64_t> reads_paused{0};
    std::atomic<std::uint64_t> tls_failed{0};
    std::atomic<std::uint64_t> ping_timeouts{0};
    std::atomic<std::uint64_t> accept_errors{0};

    static void bump(std::atomic<std::uint64_t>& counter, std::uint64_t by = 1) {
        counter.fetch_add(by, std::memory_order_relaxed);
    }
    // For the per-message counters, which only the owning thread writes:
    // a plain load and store, no locked instruction; readers elsewhere
    // still see whole values.
    static void add_owned(std::atomic<std::uint64_t>& counter, std::uint64_t by = 1) {
        counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
    }
    void add_to(StatsSnapshot& total) const {
        total.connections_opened += connections_opened.load(std::memory_order_relaxed);
        total.connections_closed += connections_closed.load(std::memory_order_relaxed);
        total.messages_in += messages_in.load(std::memory_order_relaxed);
        total.bytes_in += bytes_in.load(std::memory_order_relaxed);
        total.messages_out += messages_out.load(std::memory_order_relaxed);
        total.bytes_out += bytes_out.load(std::memory_order_relaxed);
        total.dropped += dropped.load(std::memory_order_relaxed);
        total.backpressure += backpressure.load(std::memory_order_relaxed);
        total.reads_paused += reads_paused.load(std::memory_order_relaxed);
        total.tls_failed += tls_failed.load(std::memory_order_relaxed);
        total.ping_timeouts += ping_timeouts.load(std::memory_order_relaxed);
        total.accept_errors += accept_errors.load(std::memory_order_relaxed);
    }
};

}  // namespace hyphae
