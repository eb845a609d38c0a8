// DeadlineQueue on a real Worker's io_context (run on the test's thread):
// order of expiry, removal, re-arming, expire_all and drain.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "hyphae/deadline_queue.hpp"
#include "hyphae/worker.hpp"
#include "test_support.hpp"

namespace hyphae::test {
namespace {

using namespace std::chrono_literals;

class Named final : public DeadlineQueue::Entry {
public:
    Named(std::string name, std::vector<std::string>& fired)
        : name_(std::move(name)), fired_(fired) {}

private:
    void on_deadline() override { fired_.push_back(name_); }
    std::string name_;
    std::vector<std::string>& fired_;
};

std::shared_ptr<const ServerContext> quiet_context() {
    auto context = std::make_shared<ServerContext>();
    context->sink = std::make_shared<RecordingSink>();
    return context;
}

TEST(DeadlineQueue, ExpiresInTheOrderSetAndSkipsRemovedEntries) {
    Worker worker(0, quiet_context());
    DeadlineQueue queue(worker, 30ms);
    std::vector<std::string> fired;
    Named a("a", fired), b("b", fired), c("c", fired);
    const auto start = DeadlineQueue::Clock::now();
    queue.push(a);
    queue.push(b);
    queue.push(c);
    DeadlineQueue::remove(b);
    EXPECT_FALSE(b.queued());
    queue.push(a);  // set again: now after c
    EXPECT_TRUE(a.queued());
    worker.io().run_for(5s);
    EXPECT_EQ(fired, (std::vector<std::string>{"c", "a"}));
    EXPECT_TRUE(queue.empty());
    EXPECT_FALSE(a.queued());
    EXPECT_GE(DeadlineQueue::Clock::now() - start, 30ms);
    // Nothing was left armed: run_for ran out of work, not out of time.
    EXPECT_TRUE(worker.io().stopped());
}

TEST(DeadlineQueue, AnEntryDestroyedWhileQueuedLeavesTheQueue) {
    Worker worker(0, quiet_context());
    DeadlineQueue queue(worker, 10ms);
    std::vector<std::string> fired;
    Named kept("kept", fired);
    {
        Named gone("gone", fired);
        queue.push(gone);
        queue.push(kept);
    }
    worker.io().run_for(5s);
    EXPECT_EQ(fired, (std::vector<std::string>{"kept"}));
}

TEST(DeadlineQueue, ExpireAllFiresEveryEntryAtOnce) {
    Worker worker(0, quiet_context());
    DeadlineQueue queue(worker, std::chrono::hours(1));
    std::vector<std::string> fired;
    Named a("a", fired), b("b", fired);
    queue.push(a);
    queue.push(b);
    queue.expire_all();
    EXPECT_EQ(fired, (std::vector<std::string>{"a", "b"}));
    EXPECT_TRUE(queue.empty());
    // The hour-long timer went with them.
    worker.io().run_for(5s);
    EXPECT_TRUE(worker.io().stopped());
}

// Normally the timer outlives the last removal (cheaper than re-arming per
// connection); a draining queue drops it, so a closing worker can end.
TEST(DeadlineQueue, ADrainingQueueHoldsNoTimerOnceEmpty) {
    Worker worker(0, quiet_context());
    DeadlineQueue queue(worker, std::chrono::hours(1));
    std::vector<std::string> fired;
    Named a("a", fired);
    queue.push(a);
    DeadlineQueue::remove(a);
    worker.io().run_for(50ms);
    EXPECT_FALSE(worker.io().stopped()) << "the armed timer keeps the io_context busy";

    worker.io().restart();
    queue.drain();
    worker.io().run_for(5s);
    EXPECT_TRUE(worker.io().stopped());

    worker.io().restart();
    queue.push(a);
    DeadlineQueue::remove(a);  // empties a draining queue: the timer goes at once
    worker.io().run_for(5s);
    EXPECT_TRUE(worker.io().stopped());
    EXPECT_TRUE(fired.empty());
}

}  // namespace
}  // namespace hyphae::test
