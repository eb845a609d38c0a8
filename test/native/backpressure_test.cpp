#include <gtest/gtest.h>

#include <thread>

#include "hyphae/close_codes.hpp"
#include "test_support.hpp"

namespace hyphae::test {
namespace {

std::vector<ConnectionId> open_ids(RecordingSink& sink) {
    return sink.locked([&] {
        std::vector<ConnectionId> ids;
        for (const auto& info : sink.opens) ids.push_back(info.id);
        return ids;
    });
}

// Tells each client its server-side id (one marker each), so tests know who is who.
std::vector<ConnectionId> identify(EchoServer& fixture, const std::vector<Client*>& clients) {
    for (const auto id : open_ids(*fixture.sink)) {
        fixture.server->send(id, {make_payload(std::to_string(id)), false});
    }
    std::vector<ConnectionId> ids;
    for (auto* client : clients) ids.push_back(std::stoull(read_text(*client)));
    return ids;
}

TEST(Backpressure, SlowReaderSkipsPublishesWhileOthersReceiveAndDrainFollows) {
    ServerOptions options;
    options.max_backpressure = 1024 * 1024;
    EchoServer fixture(options);
    net::io_context io;
    auto slow = connect_client(io, fixture.port);
    auto fast = connect_client(io, fixture.port);
    ASSERT_TRUE(fixture.sink->wait_until([&] { return fixture.sink->opens.size() == 2; }));
    const auto ids = identify(fixture, {slow.get(), fast.get()});
    const auto slow_id = ids[0];
    const auto fast_id = ids[1];
    fixture.server->subscribe(slow_id, "feed");
    fixture.server->subscribe(fast_id, "feed");

    // 40 x 256 KiB = 10 MiB, paced by the fast reader; the slow one reads nothing.
    constexpr int kMessages = 40;
    const std::string chunk(256 * 1024, 'x');
    for (int m = 0; m < kMessages; ++m) {
        fixture.server->publish("feed", {make_payload(std::to_string(m) + chunk), true});
        bool binary = false;
        EXPECT_EQ(read_text(*fast, &binary).substr(0, std::to_string(m).size()), std::to_string(m));
    }
    const auto stats = fixture.server->stats();
    EXPECT_GT(stats.dropped, 0u);
    EXPECT_GE(stats.backpressure, 1u);

    // Only the slow reader dropped anything; what it kept is a prefix of the
    // stream (it never read, so its queue never drained): exactly
    // kMessages - dropped messages, in order. Its drain event follows.
    const int kept = kMessages - static_cast<int>(stats.dropped);
    EXPECT_GT(kept, 0);
    EXPECT_LT(kept, kMessages);
    for (int m = 0; m < kept; ++m) {
        const std::string text = read_text(*slow);
        EXPECT_EQ(text.substr(0, text.size() - chunk.size()), std::to_string(m));
    }
    ASSERT_TRUE(fixture.sink->wait_until([&] { return !fixture.sink->drains.empty(); }));
    EXPECT_EQ(fixture.sink->locked([&] { return fixture.sink->drains.front(); }), slow_id);
}

TEST(Backpressure, CloseOnLimitClosesWith1008) {
    ServerOptions options;
    options.max_backpressure = 256 * 1024;
    options.close_on_backpressure_limit = true;
    EchoServer fixture(options);
    net::io_context io;
    auto slow = connect_client(io, fixture.port);
    ASSERT_TRUE(fixture.sink->wait_until([&] { return fixture.sink->opens.size() == 1; }));
    const auto id = open_ids(*fixture.sink).front();
    fixture.server->subscribe(id, "feed");
    const std::string chunk(128 * 1024, 'y');
    // Enough to fill the kernel's socket buffers and then the limit.
    for (int m = 0; m < 200; ++m) fixture.server->publish("feed", {make_payload(chunk), true});
    ASSERT_TRUE(fixture.sink->wait_until([&] { return fixture.sink->closes.size() == 1; }));
    const auto closed = fixture.sink->locked([&] { return fixture.sink->closes.front(); });
    EXPECT_EQ(closed.code, close_code::policy_violation);
    EXPECT_EQ(closed.reason, "Backpressure limit exceeded");
}

TEST(Backpressure, PausedReadingResumesWithNothingLostOrReordered) {
    EchoServer fixture;
    fixture.sink->keep_reading = false;  // the "JS queue" is full from the first message
    net::io_context io;
    auto client = connect_client(io, fixture.port);
    client->text(true);
    for (int m = 0; m < 6; ++m) client->write(net::buffer("m" + std::to_string(m)));
    ASSERT_TRUE(fixture.sink->wait_until([&] { return fixture.sink->message_count >= 1; }));
    // The session paused inside the handler that delivered message 0, and the
    // resume below is posted to that same io thread, so it runs after the
    // pause. Until then the session cannot deliver: still exactly one message.
    EXPECT_EQ(fixture.sink->locked([&] { return fixture.sink->message_count; }), 1u);

    fixture.sink->keep_reading = true;
    fixture.server->resume_reading();
    ASSERT_TRUE(fixture.sink->wait_until([&] { return fixture.sink->message_count == 6; }));
    const auto messages = fixture.sink->locked([&] { return fixture.sink->messages; });
    for (int m = 0; m < 6; ++m) EXPECT_EQ(messages[m].payload, "m" + std::to_string(m));
    EXPECT_EQ(fixture.server->stats().reads_paused, 1u);
    // Each message was echoed in order too.
    for (int m = 0; m < 6; ++m) EXPECT_EQ(read_text(*client), "m" + std::to_string(m));
}

TEST(Backpressure, APausedSessionStillClosesAndTerminates) {
    EchoServer fixture;
    fixture.sink->keep_reading = false;
    net::io_context io;
    auto polite = connect_client(io, fixture.port);
    auto rude = connect_client(io, fixture.port);
    polite->write(net::buffer(std::string("pause me")));
    rude->write(net::buffer(std::string("pause me too")));
    ASSERT_TRUE(fixture.sink->wait_until([&] { return fixture.sink->message_count == 2; }));
    const auto messages = fixture.sink->locked([&] { return fixture.sink->messages; });
    const auto polite_id = messages[0].payload == "pause me" ? messages[0].id : messages[1].id;
    const auto rude_id = polite_id == messages[0].id ? messages[1].id : messages[0].id;

    // A paused session still writes. (The echo is read before closing: it
    // is submitted from the io thread, and asio runs a post made there only
    // after the current handler, so a close posted meanwhile from this
    // thread could overtake it.)
    EXPECT_EQ(read_text(*polite), "pause me");
    fixture.server->close(polite_id, 4000, "closing while paused");
    fixture.server->terminate(rude_id);
    beast::flat_buffer buffer;
    beast::error_code ec;
    polite->read(buffer, ec);
    EXPECT_EQ(ec, websocket::error::closed);
    EXPECT_EQ(polite->reason().code, 4000);
    ASSERT_TRUE(fixture.sink->wait_until([&] { return fixture.sink->closes.size() == 2; }));
    for (const auto& closed : fixture.sink->locked([&] { return fixture.sink->closes; })) {
        EXPECT_EQ(closed.code, closed.id == polite_id ? 4000 : close_code::abnormal);
    }
}

}  // namespace
}  // namespace hyphae::test
