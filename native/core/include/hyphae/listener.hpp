#pragma once
// The listening socket on the own handshake path (uses_own_handshake): a
// client of one worker's Poller that takes every waiting connection with
// accept4 (non-blocking and close-on-exec from the start, the peer's
// address included) and hands each to `on_accept`, on that worker's
// thread. Against asio's acceptor this saves, per connection, the socket's
// registration in asio's reactor and its removal, an ioctl and a
// getpeername (BENCHMARKS.md, churn).
#include <cstdint>
#include <functional>
#include <memory>

#include "hyphae/accepted_socket.hpp"
#include "hyphae/poller.hpp"

namespace hyphae {

class SessionHost;
class HostTimer;

class Listener final : private Poller::Client {
public:
    using AcceptHandler = std::function<void(AcceptedSocket)>;

    // Takes `fd`, a listening socket. Nothing happens before start().
    Listener(SessionHost& home, int fd, AcceptHandler on_accept);
    ~Listener();
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;

    // The home's thread, both.
    void start();
    // Stops accepting and closes the socket; connections still queued are
    // reset by the kernel.
    void stop();

private:
    void on_ready(std::uint32_t events) override;
    void accept_waiting();

    SessionHost& home_;
    int fd_;
    bool started_ = false;
    AcceptHandler on_accept_;
    // Set while accepting waits out an error such as EMFILE.
    std::unique_ptr<HostTimer> retry_;
};

}  // namespace hyphae
