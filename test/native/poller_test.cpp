// The worker's epoll set (Poller) inside an io_context, with a real socket
// pair: readiness reaches the client through asio's reactor, and while the
// owner holds the Poller a wake-up is not re-armed (the owner polls with
// dispatch() itself) until release().
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>

#include "hyphae/poller.hpp"

namespace hyphae::test {
namespace {

struct CountingClient final : Poller::Client {
    int inputs = 0;
    void on_ready(std::uint32_t events) override {
        if (events & EPOLLIN) ++inputs;
    }
};

class PollerTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds_), 0);
        ASSERT_TRUE(poller_.add(fds_[0], &client_));
    }
    void TearDown() override {
        poller_.remove(fds_[0], &client_);
        ::close(fds_[0]);
        ::close(fds_[1]);
    }
    // New bytes for the watched end: a new edge each time.
    void peer_writes() { ASSERT_EQ(::write(fds_[1], "x", 1), 1); }

    // Runs one handler, or gives up after a while instead of hanging.
    std::size_t run_one() { return io_.run_one_for(std::chrono::seconds(5)); }

    net::io_context io_;
    // Keeps the context from stopping when no wait is armed (held Poller).
    net::executor_work_guard<net::io_context::executor_type> work_{io_.get_executor()};
    Poller poller_{io_};
    CountingClient client_;
    int fds_[2] = {-1, -1};
};

TEST_F(PollerTest, ReadinessReachesTheClientThroughTheReactorEachTime) {
    peer_writes();
    ASSERT_EQ(run_one(), 1u);
    EXPECT_EQ(client_.inputs, 1);
    peer_writes();
    ASSERT_EQ(run_one(), 1u);  // re-armed after the first wake-up
    EXPECT_EQ(client_.inputs, 2);
}

TEST_F(PollerTest, AHeldPollerIsPolledByItsOwnerUntilReleased) {
    poller_.hold();
    peer_writes();
    ASSERT_EQ(run_one(), 1u);  // the wait armed before the hold completes
    EXPECT_EQ(client_.inputs, 1);

    // Held: the wake-up did not re-arm, so the reactor reports nothing new...
    peer_writes();
    io_.poll();
    EXPECT_EQ(client_.inputs, 1);
    // ...and the owner's own poll takes it.
    EXPECT_EQ(poller_.dispatch(), 1u);
    EXPECT_EQ(client_.inputs, 2);

    // Readiness that arrives while held is reported once released.
    peer_writes();
    poller_.release();
    ASSERT_EQ(run_one(), 1u);
    EXPECT_EQ(client_.inputs, 3);
}

}  // namespace
}  // namespace hyphae::test
