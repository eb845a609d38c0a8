#pragma once
// Connections open or upgrading, in all and per peer address, for the
// connection limits of the upgrade policy. Touched once when a connection is
// accepted and once when it finishes, from any io thread.
#include <atomic>
#include <cstddef>
#include <map>
#include <mutex>

#include "hyphae/asio.hpp"

namespace hyphae {

class ConnectionCounts {
public:
    // Counts a new connection; returns the totals with it included.
    std::pair<std::size_t, std::size_t> add(const net::ip::address& peer) {
        const std::size_t total = total_.fetch_add(1) + 1;
        std::lock_guard lock(mutex_);
        return {total, ++by_peer_[peer]};
    }

    void remove(const net::ip::address& peer) {
        total_.fetch_sub(1);
        std::lock_guard lock(mutex_);
        const auto it = by_peer_.find(peer);
        if (it != by_peer_.end() && --it->second == 0) by_peer_.erase(it);
    }

    std::size_t total() const { return total_.load(); }

private:
    std::atomic<std::size_t> total_{0};
    std::mutex mutex_;
    std::map<net::ip::address, std::size_t> by_peer_;
};

}  // namespace hyphae
