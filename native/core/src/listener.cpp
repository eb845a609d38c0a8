#include "hyphae/listener.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "hyphae/session_host.hpp"

namespace hyphae {

namespace {

// Accept errors such as EMFILE repeat at once; wait a little before retrying.
constexpr std::chrono::milliseconds kAcceptRetryDelay{50};
// Connections taken per turn before the home's other work runs.
constexpr int kAcceptsPerTurn = 64;

}  // namespace

Listener::Listener(SessionHost& home, int fd, AcceptHandler on_accept)
    : home_(home), fd_(fd), on_accept_(std::move(on_accept)) {
    // accept4's flags shape the accepted socket only: the listening socket
    // itself must not block, or the last accept of a turn parks the thread.
    const int flags = ::fcntl(fd_, F_GETFL);
    if (flags >= 0) ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
}

Listener::~Listener() {
    if (fd_ >= 0) ::close(fd_);
}

void Listener::start() {
    if (fd_ < 0 || started_) return;
    // Edge-triggered: connections already queued are reported by the first wait.
    started_ = home_.poller().add(fd_, this);
}

void Listener::stop() {
    retry_.reset();
    if (fd_ < 0) return;
    if (started_) home_.poller().remove(fd_, this);
    ::close(fd_);
    fd_ = -1;
}

void Listener::on_ready(std::uint32_t events) {
    if ((events & EPOLLIN) != 0 && !retry_) accept_waiting();
}

void Listener::accept_waiting() {
    for (int taken = 0; fd_ >= 0; ++taken) {
        if (taken == kAcceptsPerTurn) {
            // Edge-triggered: no new edge comes for those still queued.
            home_.post([this] { accept_waiting(); });
            return;
        }
        sockaddr_storage address{};
        socklen_t length = sizeof(address);
        const int fd = ::accept4(fd_, reinterpret_cast<sockaddr*>(&address), &length,
                                 SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            // Out of descriptors or memory: the queue keeps its connections
            // and raises no new edge for them, so try again shortly.
            WorkerStats::bump(home_.stats().accept_errors);
            retry_ = home_.start_timer(kAcceptRetryDelay, [this] {
                auto fired = std::move(retry_);
                accept_waiting();
            });
            return;
        }
        on_accept_(AcceptedSocket(fd, endpoint_of(address, length)));
    }
}

}  // namespace hyphae
