#pragma once
// A socket accepted for the own handshake path, before any session owns it:
// the descriptor (closed unless taken) and the peer's address. Posted
// between threads, it closes its descriptor if the handler carrying it is
// destroyed unrun (a worker that ended).
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "hyphae/asio.hpp"

namespace hyphae {

class AcceptedSocket {
public:
    AcceptedSocket() = default;
    AcceptedSocket(int fd, tcp::endpoint peer) : fd_(fd), peer_(std::move(peer)) {}
    AcceptedSocket(AcceptedSocket&& other) noexcept
        : fd_(std::exchange(other.fd_, -1)), peer_(other.peer_) {}
    AcceptedSocket& operator=(AcceptedSocket&& other) noexcept {
        if (this != &other) {
            reset();
            fd_ = std::exchange(other.fd_, -1);
            peer_ = other.peer_;
        }
        return *this;
    }
    ~AcceptedSocket() { reset(); }

    const tcp::endpoint& peer() const { return peer_; }
    // The descriptor, now the caller's to close.
    int release() { return std::exchange(fd_, -1); }
    void reset() {
        if (fd_ >= 0) ::close(std::exchange(fd_, -1));
    }

private:
    int fd_ = -1;
    tcp::endpoint peer_;
};

// The endpoint of an address filled in by accept4 or getpeername.
inline tcp::endpoint endpoint_of(const sockaddr_storage& address, socklen_t length) {
    tcp::endpoint endpoint;
    const std::size_t size = std::min<std::size_t>(length, endpoint.capacity());
    std::memcpy(endpoint.data(), &address, size);
    endpoint.resize(size);
    return endpoint;
}

}  // namespace hyphae
