// Load for hyphae_tcp_echo: <connections> loopback TCP connections, each
// with one 32-byte message in flight, on one thread with a level-triggered
// epoll set (as hyphae_load's echo loop). After 1 s of warm-up it measures
// for <seconds> and prints messages per second and the server's CPU per
// message, read from /proc/<server pid>/stat at both ends of the window.
// Usage: hyphae_tcp_load <port> <connections> <seconds> <server pid>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "../load/process_cpu.hpp"

using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
    if (argc != 5) {
        std::fprintf(stderr,
                     "usage: hyphae_tcp_load <port> <connections> <seconds> <server pid>\n");
        return 2;
    }
    const int port = std::atoi(argv[1]);
    const int count = std::atoi(argv[2]);
    const double seconds = std::atof(argv[3]);
    const int server = std::atoi(argv[4]);

    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const int set = ::epoll_create1(0);
    const int one = 1;
    char message[32] = {};
    for (int i = 0; i < count; ++i) {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
            std::perror("connect");
            return 1;
        }
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.fd = fd;
        ::epoll_ctl(set, EPOLL_CTL_ADD, fd, &event);
        ::send(fd, message, sizeof message, MSG_NOSIGNAL);
    }

    std::vector<epoll_event> events(512);
    char buffer[4096];
    long messages = 0;
    const auto start = Clock::now() + std::chrono::seconds(1);
    const auto end =
        start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    bool measuring = false;
    hyphae::load::ProcessCpu before{};
    for (;;) {
        const auto now = Clock::now();
        if (!measuring && now >= start) {
            measuring = true;
            messages = 0;
            before = hyphae::load::process_cpu(server);
        }
        if (now >= end) break;
        const int ready = ::epoll_wait(set, events.data(), static_cast<int>(events.size()), 100);
        for (int k = 0; k < ready; ++k) {
            const int fd = events[k].data.fd;
            const ssize_t got = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
            if (got <= 0) {
                std::fprintf(stderr, "the server closed a connection\n");
                return 1;
            }
            messages += got / static_cast<ssize_t>(sizeof message);
            ::send(fd, message, sizeof message, MSG_NOSIGNAL);
        }
    }
    const auto after = hyphae::load::process_cpu(server);
    const double user = (after.user - before.user) * 1e6 / static_cast<double>(messages);
    const double kernel = (after.kernel - before.kernel) * 1e6 / static_cast<double>(messages);
    std::printf("%.0f msgs/s, server %.2f us/msg (user %.2f + kernel %.2f)\n",
                static_cast<double>(messages) / seconds, user + kernel, user, kernel);
    return 0;
}
