// The floor under every echo server here: a plain TCP echo of 32-byte
// messages with no WebSocket framing and no JS, on one thread, in one of two
// ways:
//   epoll  an edge-triggered epoll set, one recv per ready socket, then one
//          send per reply (hyphae's io thread does the same syscalls);
//   uring  io_uring: a multishot recv per socket into a ring of provided
//          buffers, and the round's replies submitted together with the next
//          wait (one io_uring_enter per round), registered files, deferred
//          task work.
// BENCHMARKS.md uses it to tell what the kernel costs per echo and whether
// io_uring lowers it. Usage: hyphae_tcp_echo epoll|uring <connections>.
// Prints "listening <port>", accepts that many connections, echoes until
// one of them closes.
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace {

constexpr std::size_t kBufferSize = 256;

[[noreturn]] void die(const char* what) {
    std::perror(what);
    std::exit(1);
}

int listen_loopback() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::listen(fd, 1024) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        die("listen");
    }
    std::printf("listening %u\n", static_cast<unsigned>(ntohs(address.sin_port)));
    std::fflush(stdout);
    return fd;
}

std::vector<int> accept_all(int listener, int count) {
    std::vector<int> fds;
    const int one = 1;
    while (static_cast<int>(fds.size()) < count) {
        const int fd = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK);
        if (fd < 0) die("accept");
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fds.push_back(fd);
    }
    return fds;
}

long raw_recv(int fd, void* data, std::size_t size) {
    return ::syscall(SYS_recvfrom, fd, data, size, MSG_DONTWAIT, nullptr, nullptr);
}

long raw_send(int fd, const void* data, std::size_t size) {
    return ::syscall(SYS_sendto, fd, data, size, MSG_DONTWAIT | MSG_NOSIGNAL, nullptr, 0);
}

void serve_epoll(const std::vector<int>& fds) {
    const int set = ::epoll_create1(0);
    for (std::size_t i = 0; i < fds.size(); ++i) {
        epoll_event event{};
        event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
        event.data.u64 = i;
        if (::epoll_ctl(set, EPOLL_CTL_ADD, fds[i], &event) != 0) die("epoll_ctl");
    }
    std::vector<std::string> buffers(fds.size(), std::string(kBufferSize, '\0'));
    std::vector<epoll_event> events(256);
    std::vector<std::pair<std::size_t, long>> replies;
    for (;;) {
        const int ready = ::epoll_wait(set, events.data(), static_cast<int>(events.size()), -1);
        replies.clear();
        for (int k = 0; k < ready; ++k) {
            if ((events[k].events & EPOLLIN) == 0) continue;
            const std::size_t i = events[k].data.u64;
            const long got = raw_recv(fds[i], buffers[i].data(), kBufferSize);
            if (got == 0) return;
            if (got > 0) replies.emplace_back(i, got);
            // The load ended (its FIN may have come with its last message).
            if ((events[k].events & EPOLLRDHUP) != 0) return;
        }
        for (const auto& [i, size] : replies) raw_send(fds[i], buffers[i].data(), size);
    }
}

// Just enough of io_uring for this test, on the raw syscalls (no liburing).
class Ring {
public:
    explicit Ring(unsigned entries) {
        io_uring_params params{};
        params.flags =
            IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE;
        params.cq_entries = entries * 4;
        fd_ = static_cast<int>(::syscall(SYS_io_uring_setup, entries, &params));
        if (fd_ < 0) die("io_uring_setup");
        const std::size_t sq_size = params.sq_off.array + params.sq_entries * sizeof(unsigned);
        const std::size_t cq_size = params.cq_off.cqes + params.cq_entries * sizeof(io_uring_cqe);
        // IORING_FEAT_SINGLE_MMAP (5.4+): both rings share one mapping.
        auto* rings =
            static_cast<char*>(::mmap(nullptr, std::max(sq_size, cq_size), PROT_READ | PROT_WRITE,
                                      MAP_SHARED | MAP_POPULATE, fd_, IORING_OFF_SQ_RING));
        sqes_ = static_cast<io_uring_sqe*>(::mmap(nullptr, params.sq_entries * sizeof(io_uring_sqe),
                                                  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
                                                  fd_, IORING_OFF_SQES));
        if (rings == MAP_FAILED || sqes_ == MAP_FAILED) die("mmap");
        sq_tail_ = reinterpret_cast<unsigned*>(rings + params.sq_off.tail);
        sq_mask_ = *reinterpret_cast<unsigned*>(rings + params.sq_off.ring_mask);
        auto* array = reinterpret_cast<unsigned*>(rings + params.sq_off.array);
        for (unsigned i = 0; i < params.sq_entries; ++i) array[i] = i;
        cq_head_ = reinterpret_cast<unsigned*>(rings + params.cq_off.head);
        cq_tail_ = reinterpret_cast<unsigned*>(rings + params.cq_off.tail);
        cq_mask_ = *reinterpret_cast<unsigned*>(rings + params.cq_off.ring_mask);
        cqes_ = reinterpret_cast<io_uring_cqe*>(rings + params.cq_off.cqes);
        tail_ = *sq_tail_;
    }

    int fd() const { return fd_; }

    io_uring_sqe& next() {
        io_uring_sqe& sqe = sqes_[tail_++ & sq_mask_];
        std::memset(&sqe, 0, sizeof sqe);
        ++pending_;
        return sqe;
    }

    // Submits what next() prepared and waits for at least one completion.
    void submit_and_wait() {
        std::atomic_ref<unsigned>(*sq_tail_).store(tail_, std::memory_order_release);
        if (::syscall(SYS_io_uring_enter, fd_, pending_, 1, IORING_ENTER_GETEVENTS, nullptr, 0) <
            0) {
            die("io_uring_enter");
        }
        pending_ = 0;
    }

    template <typename Handler>
    void reap(Handler&& handler) {
        unsigned head = *cq_head_;
        const unsigned tail = std::atomic_ref<unsigned>(*cq_tail_).load(std::memory_order_acquire);
        for (; head != tail; ++head) handler(cqes_[head & cq_mask_]);
        std::atomic_ref<unsigned>(*cq_head_).store(head, std::memory_order_release);
    }

private:
    int fd_ = -1;
    io_uring_sqe* sqes_ = nullptr;
    io_uring_cqe* cqes_ = nullptr;
    unsigned* sq_tail_ = nullptr;
    unsigned* cq_head_ = nullptr;
    unsigned* cq_tail_ = nullptr;
    unsigned sq_mask_ = 0;
    unsigned cq_mask_ = 0;
    unsigned tail_ = 0;
    unsigned pending_ = 0;
};

// Buffers the kernel picks from for multishot receives (IORING_REGISTER_PBUF_RING).
class BufferRing {
public:
    static constexpr unsigned kCount = 1024;  // a power of two

    explicit BufferRing(const Ring& ring) : storage_(kCount * kBufferSize) {
        void* memory = ::mmap(nullptr, kCount * sizeof(io_uring_buf), PROT_READ | PROT_WRITE,
                              MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
        if (memory == MAP_FAILED) die("mmap");
        ring_ = static_cast<io_uring_buf_ring*>(memory);
        io_uring_buf_reg registration{};
        registration.ring_addr = reinterpret_cast<std::uint64_t>(ring_);
        registration.ring_entries = kCount;
        registration.bgid = 0;
        if (::syscall(SYS_io_uring_register, ring.fd(), IORING_REGISTER_PBUF_RING, &registration,
                      1) < 0) {
            die("IORING_REGISTER_PBUF_RING");
        }
        for (unsigned id = 0; id < kCount; ++id) give_back(static_cast<std::uint16_t>(id));
        publish();
    }

    const char* data(std::uint16_t id) const { return storage_.data() + id * kBufferSize; }

    void give_back(std::uint16_t id) {
        // Not ring_->bufs: in C++ the header's flexible-array wrapper puts
        // it 8 bytes past where the kernel reads the entries.
        io_uring_buf& slot = reinterpret_cast<io_uring_buf*>(ring_)[tail_ & (kCount - 1)];
        slot.addr = reinterpret_cast<std::uint64_t>(data(id));
        slot.len = kBufferSize;
        slot.bid = id;
        ++tail_;
    }

    void publish() {
        std::atomic_ref<std::uint16_t>(ring_->tail).store(tail_, std::memory_order_release);
    }

private:
    std::vector<char> storage_;
    io_uring_buf_ring* ring_ = nullptr;
    std::uint16_t tail_ = 0;
};

constexpr std::uint64_t kSendTag = 1ull << 32;

void arm_receive(Ring& ring, std::size_t connection) {
    io_uring_sqe& sqe = ring.next();
    sqe.opcode = IORING_OP_RECV;
    sqe.fd = static_cast<int>(connection);  // index in the registered files
    sqe.flags = IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
    sqe.ioprio = IORING_RECV_MULTISHOT;
    sqe.buf_group = 0;
    sqe.user_data = connection;
}

void serve_uring(const std::vector<int>& fds) {
    Ring ring(4096);  // room for a round of 1000 replies and re-arms
    if (::syscall(SYS_io_uring_register, ring.fd(), IORING_REGISTER_FILES, fds.data(),
                  static_cast<unsigned>(fds.size())) < 0) {
        die("IORING_REGISTER_FILES");
    }
    BufferRing buffers(ring);
    std::vector<std::string> replies(fds.size(), std::string(kBufferSize, '\0'));
    for (std::size_t i = 0; i < fds.size(); ++i) arm_receive(ring, i);
    bool done = false;
    while (!done) {
        ring.submit_and_wait();
        ring.reap([&](const io_uring_cqe& cqe) {
            if ((cqe.user_data & kSendTag) != 0) return;  // a failed send: the test stalls
            const std::size_t i = cqe.user_data;
            if (cqe.res <= 0) {
                // The load ended (0 or a reset); anything else is worth a word.
                if (cqe.res < 0 && cqe.res != -ECONNRESET) {
                    std::fprintf(stderr, "recv: %s\n", std::strerror(-cqe.res));
                }
                done = true;
                return;
            }
            if ((cqe.flags & IORING_CQE_F_MORE) == 0) arm_receive(ring, i);
            const auto id = static_cast<std::uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
            std::memcpy(replies[i].data(), buffers.data(id), static_cast<std::size_t>(cqe.res));
            buffers.give_back(id);
            io_uring_sqe& sqe = ring.next();
            sqe.opcode = IORING_OP_SEND;
            sqe.fd = static_cast<int>(i);
            sqe.flags = IOSQE_FIXED_FILE | IOSQE_CQE_SKIP_SUCCESS;
            sqe.addr = reinterpret_cast<std::uint64_t>(replies[i].data());
            sqe.len = static_cast<unsigned>(cqe.res);
            sqe.msg_flags = MSG_NOSIGNAL | MSG_DONTWAIT;
            sqe.user_data = kSendTag | i;
        });
        buffers.publish();
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3 || (std::string(argv[1]) != "epoll" && std::string(argv[1]) != "uring")) {
        std::fprintf(stderr, "usage: hyphae_tcp_echo epoll|uring <connections>\n");
        return 2;
    }
    const std::string mode = argv[1];
    if (mode == "uring") {
        // Where io_uring is off (kernel setting, seccomp), say so before
        // listening, so the caller can skip this mode.
        io_uring_params params{};
        const long probe = ::syscall(SYS_io_uring_setup, 1, &params);
        if (probe < 0) {
            std::printf("unavailable %s\n", std::strerror(errno));
            return 3;
        }
        ::close(static_cast<int>(probe));
    }
    const int listener = listen_loopback();
    const auto fds = accept_all(listener, std::atoi(argv[2]));
    if (mode == "uring") {
        serve_uring(fds);
    } else {
        serve_epoll(fds);
    }
    return 0;
}
