#include <gtest/gtest.h>
#include <sys/resource.h>

#include <thread>

#include "test_support.hpp"

namespace hyphae::test {
namespace {

// Many clients on one io_context: connects (at most kInFlight handshakes at
// a time, as a load client would), then records every text message in order.
// Used where thread-per-client would be too many.
class AsyncClients {
public:
    static constexpr std::size_t kInFlight = 256;

    AsyncClients(std::uint16_t port, std::size_t count) : port_(port), received_(count) {
        clients_.reserve(count);
        for (std::size_t i = 0; i < count; ++i) clients_.push_back(std::make_unique<Client>(io_));
        for (std::size_t i = 0; i < std::min(count, kInFlight); ++i) start_next();
        thread_ = std::thread([this] { io_.run(); });
    }
    ~AsyncClients() {
        io_.stop();
        thread_.join();
    }

    bool wait_until(const std::function<bool()>& ready) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, std::chrono::seconds(60), ready);
    }
    // Waits until every client connected or failed; returns the failures.
    std::vector<std::string> wait_connected() {
        wait_until([&] { return connected_ + failures_.size() == clients_.size(); });
        std::lock_guard lock(mutex_);
        return failures_;
    }
    std::size_t connected() const { return connected_; }
    std::vector<std::vector<std::string>> received() {
        std::lock_guard lock(mutex_);
        return received_;
    }
    std::size_t total() const { return total_; }

private:
    void start_next() {
        if (next_ >= clients_.size()) return;
        const std::size_t i = next_++;
        clients_[i]->next_layer().async_connect(
            {net::ip::make_address("127.0.0.1"), port_}, [this, i](beast::error_code ec) {
                if (ec) return failed(ec);
                clients_[i]->async_handshake("127.0.0.1", "/", [this, i](beast::error_code ec2) {
                    if (ec2) return failed(ec2);
                    {
                        std::lock_guard lock(mutex_);
                        ++connected_;
                    }
                    changed_.notify_all();
                    start_next();
                    read(i);
                });
            });
    }
    void failed(const beast::error_code& ec) {
        {
            std::lock_guard lock(mutex_);
            failures_.push_back(ec.message());
        }
        changed_.notify_all();
        start_next();
    }
    void read(std::size_t i) {
        auto buffer = std::make_shared<beast::flat_buffer>();
        clients_[i]->async_read(*buffer, [this, i, buffer](beast::error_code ec, std::size_t) {
            if (ec) return;
            {
                std::lock_guard lock(mutex_);
                received_[i].push_back(beast::buffers_to_string(buffer->data()));
                ++total_;
            }
            changed_.notify_all();
            read(i);
        });
    }

    net::io_context io_;
    std::uint16_t port_;
    std::vector<std::unique_ptr<Client>> clients_;
    std::size_t next_ = 0;  // client thread only
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<std::vector<std::string>> received_;
    std::vector<std::string> failures_;
    std::size_t connected_ = 0;
    std::size_t total_ = 0;
};

void raise_open_file_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

std::vector<ConnectionId> open_ids(RecordingSink& sink) {
    return sink.locked([&] {
        std::vector<ConnectionId> ids;
        for (const auto& info : sink.opens) ids.push_back(info.id);
        return ids;
    });
}

TEST(PubSub, PublishReachesSubscribersOnlyAndExcludesTheSender) {
    ServerOptions options;
    options.threads = 2;
    EchoServer fixture(options);
    net::io_context io;
    auto a = connect_client(io, fixture.port);
    auto b = connect_client(io, fixture.port);
    auto c = connect_client(io, fixture.port);
    ASSERT_TRUE(fixture.sink->wait_until([&] { return fixture.sink->opens.size() == 3; }));
    const auto ids = open_ids(*fixture.sink);
    fixture.server->subscribe(ids[0], "room");
    fixture.server->subscribe(ids[1], "room");
    // Same caller thread: the subscribe is applied before this publish.
    fixture.server->publish("room", {make_payload("from a"), false}, ids[0]);
    fixture.server->publish("room", {make_payload("to both"), false});
    fixture.server->send(ids[2], {make_payload("direct to c"), false});

    // Which client got which id depends on accept order; find out by reading.
    std::map<std::string, std::vector<std::string>> by_first;
    for (auto* client : {a.get(), b.get(), c.get()}) {
        const std::string first = read_text(*client);
        std::vector<std::string> got{first};
        // Only the subscribed non-sender has a second message.
        if (first == "from a") got.push_back(read_text(*client));
        by_first[first] = got;
    }
    // The subscribed non-sender got both, the sender only the second, c only its own.
    EXPECT_EQ(by_first["from a"], (std::vector<std::string>{"from a", "to both"}));
    EXPECT_EQ(by_first["to both"], (std::vector<std::string>{"to both"}));
    EXPECT_EQ(by_first["direct to c"], (std::vector<std::string>{"direct to c"}));
    EXPECT_EQ(fixture.server->subscriber_count("room"), 2u);
    EXPECT_TRUE(fixture.server->is_subscribed(ids[0], "room"));
    EXPECT_EQ(fixture.server->topics_of(ids[1]), (std::vector<std::string>{"room"}));
    EXPECT_EQ(fixture.server->stats().publishes, 2u);
}

TEST(PubSub, CloseRemovesTheConnectionFromEveryTopic) {
    EchoServer fixture;
    net::io_context io;
    auto client = connect_client(io, fixture.port);
    ASSERT_TRUE(fixture.sink->wait_until([&] { return fixture.sink->opens.size() == 1; }));
    const auto id = open_ids(*fixture.sink).front();
    for (int t = 0; t < 5; ++t) fixture.server->subscribe(id, "topic-" + std::to_string(t));
    fixture.server->publish("topic-4", {make_payload("applied"), false});
    EXPECT_EQ(read_text(*client), "applied");  // so every subscribe has been applied
    EXPECT_EQ(fixture.server->topic_count(), 5u);
    client->close(websocket::close_code::normal);
    ASSERT_TRUE(fixture.sink->wait_until([&] { return fixture.sink->closes.size() == 1; }));
    EXPECT_EQ(fixture.server->topic_count(), 0u);
    EXPECT_TRUE(fixture.server->topics_of(id).empty());
}

TEST(PubSub, ConcurrentSubscribersAndPublishersFromManyThreads) {
    ServerOptions options;
    options.threads = 3;
    EchoServer fixture(options, false);
    constexpr std::size_t kClients = 120;
    constexpr int kPublishers = 4;
    constexpr int kPerPublisher = 150;
    AsyncClients clients(fixture.port, kClients);
    ASSERT_EQ(clients.wait_connected(), std::vector<std::string>{});
    ASSERT_EQ(clients.connected(), kClients);
    ASSERT_TRUE(fixture.sink->wait_until([&] { return fixture.sink->opens.size() == kClients; }));
    const auto ids = open_ids(*fixture.sink);

    // Subscribing threads (with churn on a second topic) race with query threads.
    std::vector<std::thread> threads;
    std::atomic<bool> querying{true};
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (std::size_t i = t; i < ids.size(); i += 4) {
                fixture.server->subscribe(ids[i], "feed");
                fixture.server->subscribe(ids[i], "churn");
                fixture.server->unsubscribe(ids[i], "churn");
            }
        });
    }
    std::thread querier([&] {
        while (querying) {
            (void)fixture.server->subscriber_count("feed");
            (void)fixture.server->topic_count();
            (void)fixture.server->is_subscribed(ids[0], "churn");
        }
    });
    for (auto& thread : threads) thread.join();
    threads.clear();

    // Publishers on several threads at once; each numbers its own messages.
    for (int p = 0; p < kPublishers; ++p) {
        threads.emplace_back([&, p] {
            for (int m = 0; m < kPerPublisher; ++m) {
                fixture.server->publish(
                    "feed", {make_payload(std::to_string(p) + ":" + std::to_string(m)), false});
            }
        });
    }
    for (auto& thread : threads) thread.join();
    querying = false;
    querier.join();

    const std::size_t expected = kClients * kPublishers * kPerPublisher;
    ASSERT_TRUE(clients.wait_until([&] { return clients.total() >= expected; }));
    EXPECT_EQ(clients.total(), expected);
    EXPECT_EQ(fixture.server->subscriber_count("feed"), kClients);
    EXPECT_EQ(fixture.server->subscriber_count("churn"), 0u);
    for (const auto& messages : clients.received()) {
        ASSERT_EQ(messages.size(), static_cast<std::size_t>(kPublishers * kPerPublisher));
        std::vector<int> next(kPublishers, 0);
        for (const auto& message : messages) {
            const auto colon = message.find(':');
            const int publisher = std::stoi(message.substr(0, colon));
            // Each publisher's messages arrive exactly once and in its order.
            EXPECT_EQ(std::stoi(message.substr(colon + 1)), next[publisher]++);
        }
    }
}

TEST(PubSub, FanOutToFiveThousandSubscribersExactlyOnceInOrder) {
    raise_open_file_limit();
    EchoServer fixture({}, false);
    constexpr std::size_t kClients = 5000;
    constexpr int kMessages = 20;
    AsyncClients clients(fixture.port, kClients);
    ASSERT_EQ(clients.wait_connected(), std::vector<std::string>{});
    ASSERT_EQ(clients.connected(), kClients);
    ASSERT_TRUE(fixture.sink->wait_until([&] { return fixture.sink->opens.size() == kClients; }));
    for (const auto id : open_ids(*fixture.sink)) fixture.server->subscribe(id, "all");
    for (int m = 0; m < kMessages; ++m) {
        fixture.server->publish("all", {make_payload("message " + std::to_string(m)), false});
    }
    ASSERT_TRUE(clients.wait_until([&] { return clients.total() >= kClients * kMessages; }));
    EXPECT_EQ(clients.total(), kClients * kMessages);
    std::vector<std::string> expected;
    for (int m = 0; m < kMessages; ++m) expected.push_back("message " + std::to_string(m));
    std::size_t exact = 0;
    for (const auto& messages : clients.received()) exact += messages == expected ? 1 : 0;
    EXPECT_EQ(exact, kClients);
    const auto stats = fixture.server->stats();
    EXPECT_EQ(stats.messages_out, kClients * kMessages);
    EXPECT_EQ(stats.dropped, 0u);
}

}  // namespace
}  // namespace hyphae::test
