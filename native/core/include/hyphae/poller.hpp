#pragma once
// A worker's own epoll set for the connections on the own frame path
// (RawSession). Each socket is registered once, edge-triggered, for input,
// output and hang-up; the set itself is one descriptor in the io_context's
// reactor, waited on once per io round. Without an io_context (the JS
// thread's loop), the owner waits on fd() itself and calls dispatch().
//
// Why not asio's reactor per socket: asio re-arms a descriptor with
// epoll_ctl on every async_wait (a wait is never speculative), one extra
// syscall with a poll of the socket per read; it allocates an operation per
// wait and per write and posts every completion. Profiled in BENCHMARKS.md.
#include <sys/epoll.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "hyphae/asio.hpp"

namespace hyphae {

class Poller {
public:
    class Client {
    public:
        // `events`: EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLHUP, EPOLLERR.
        virtual void on_ready(std::uint32_t events) = 0;

    protected:
        ~Client() = default;
    };

    // Events taken from the kernel per dispatch(); more stay ready.
    static constexpr std::size_t kBatch = 256;

    explicit Poller(net::io_context& io);
    Poller();
    ~Poller();
    Poller(const Poller&) = delete;
    Poller& operator=(const Poller&) = delete;

    // The epoll descriptor: readable when some socket is ready.
    int fd() const { return fd_; }
    // Takes the ready events from the kernel (without blocking) and hands
    // them to their clients. Returns how many were taken (at most one batch).
    std::size_t dispatch();

    // Registers `fd`; readiness already present is reported too. Returns
    // false (errno set) when epoll refuses it.
    bool add(int fd, Client* client);
    // Unregisters `fd` (call before closing it); events for `client` already
    // taken from the kernel in this round are dropped.
    void remove(int fd, Client* client);

    // With an io_context: while held, the owner polls by calling dispatch()
    // itself, and a wake-up does not re-arm the wait in the io_context's
    // reactor (each re-arm is an epoll_ctl); release() re-arms it.
    void hold() { held_ = true; }
    void release();

private:
    void arm();
    void on_wake(std::uint64_t generation, beast::error_code ec);

    int fd_;
    // With an io_context: fd_ as seen by its reactor (which then owns it).
    std::optional<net::posix::stream_descriptor> set_;
    std::vector<epoll_event> ready_;
    std::size_t next_ = 0;  // the event being dispatched
    std::size_t count_ = 0;
    std::size_t clients_ = 0;
    // A wait outlived by a cancel carries an old generation and is ignored.
    std::uint64_t generation_ = 0;
    bool armed_ = false;
    bool held_ = false;
};

}  // namespace hyphae
