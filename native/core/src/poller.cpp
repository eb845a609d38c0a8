#include "hyphae/poller.hpp"

#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace hyphae {

namespace {

int create_epoll() {
    const int fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
    return fd;
}

}  // namespace

Poller::Poller(net::io_context& io) : fd_(create_epoll()), ready_(kBatch) {
    set_.emplace(io, fd_);
}

Poller::Poller() : fd_(create_epoll()), ready_(kBatch) {}

Poller::~Poller() {
    if (!set_) ::close(fd_);
}

bool Poller::add(int fd, Client* client) {
    epoll_event event{};
    event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    event.data.ptr = client;
    if (::epoll_ctl(fd_, EPOLL_CTL_ADD, fd, &event) != 0) return false;
    ++clients_;
    if (!armed_) arm();
    return true;
}

void Poller::remove(int fd, Client* client) {
    epoll_event ignored{};
    ::epoll_ctl(fd_, EPOLL_CTL_DEL, fd, &ignored);
    for (std::size_t i = next_; i < count_; ++i) {
        if (ready_[i].data.ptr == client) ready_[i].data.ptr = nullptr;
    }
    if (--clients_ == 0 && armed_) {
        // Nothing left to wait for: let the io_context run out of work.
        armed_ = false;
        ++generation_;
        beast::error_code ignored_ec;
        set_->cancel(ignored_ec);
    }
}

void Poller::release() {
    held_ = false;
    if (clients_ > 0 && !armed_) arm();
}

void Poller::arm() {
    if (!set_) return;  // the owner waits on fd()
    armed_ = true;
    set_->async_wait(
        net::posix::stream_descriptor::wait_read,
        [this, generation = ++generation_](beast::error_code ec) { on_wake(generation, ec); });
}

void Poller::on_wake(std::uint64_t generation, beast::error_code ec) {
    if (generation != generation_) return;
    armed_ = false;
    if (ec) return;
    dispatch();
    if (clients_ > 0 && !armed_ && !held_) arm();
}

std::size_t Poller::dispatch() {
    const int got = ::epoll_wait(fd_, ready_.data(), static_cast<int>(kBatch), 0);
    count_ = got > 0 ? static_cast<std::size_t>(got) : 0;
    const std::size_t taken = count_;
    for (next_ = 0; next_ < count_;) {
        const epoll_event& event = ready_[next_++];
        if (event.data.ptr != nullptr) static_cast<Client*>(event.data.ptr)->on_ready(event.events);
    }
    next_ = count_ = 0;
    return taken;
}

}  // namespace hyphae
