#pragma once
// Drives the upgraded echo connections on one thread with a level-triggered
// epoll set: one recv per readiness and one send per batch of replies, so a
// message costs the generator two socket calls plus its share of epoll_wait.
#include <sys/epoll.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <vector>

#include "echo_client.hpp"

namespace hyphae::load {

class EchoLoop {
public:
    // spin: poll without sleeping, so a server's send never has to wake the
    // generator (on loopback the sender pays for waking the receiver).
    EchoLoop(std::vector<std::shared_ptr<EchoClient>>& clients, bool spin)
        : clients_(clients),
          epoll_(::epoll_create1(EPOLL_CLOEXEC)),
          watching_out_(clients.size()),
          spin_(spin) {
        if (epoll_ < 0) throw std::runtime_error("epoll_create1 failed");
        for (std::size_t i = 0; i < clients_.size(); ++i) {
            watching_out_[i] = clients_[i]->wants_write();
            watch(i, interest(watching_out_[i]), EPOLL_CTL_ADD);
        }
    }
    ~EchoLoop() { ::close(epoll_); }
    EchoLoop(const EchoLoop&) = delete;
    EchoLoop& operator=(const EchoLoop&) = delete;

    void run_for(double seconds) {
        const auto deadline = std::chrono::steady_clock::now() +
                              std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                  std::chrono::duration<double>(seconds));
        std::array<epoll_event, 256> events{};
        while (std::chrono::steady_clock::now() < deadline) {
            const int ready = ::epoll_wait(epoll_, events.data(), events.size(), spin_ ? 0 : 10);
            for (int e = 0; e < ready; ++e) {
                const std::size_t index = events[e].data.u64;
                EchoClient& client = *clients_[index];
                if (!client.open()) continue;
                if (events[e].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
                    client.on_readable(input_.data(), input_.size());
                if (client.open() && (events[e].events & EPOLLOUT)) client.on_writable();
                // A closed descriptor has left the set by itself.
                if (client.open() && client.wants_write() != watching_out_[index]) {
                    watching_out_[index] = client.wants_write();
                    watch(index, interest(watching_out_[index]), EPOLL_CTL_MOD);
                }
            }
        }
    }

private:
    static std::uint32_t interest(bool out) {
        return EPOLLIN | (out ? static_cast<std::uint32_t>(EPOLLOUT) : 0u);
    }

    void watch(std::size_t index, std::uint32_t events, int operation) {
        epoll_event event{};
        event.events = events;
        event.data.u64 = index;
        ::epoll_ctl(epoll_, operation, clients_[index]->fd(), &event);
    }

    std::vector<std::shared_ptr<EchoClient>>& clients_;
    int epoll_;
    std::vector<bool> watching_out_;
    bool spin_;
    std::array<char, 64 * 1024> input_{};
};

}  // namespace hyphae::load
