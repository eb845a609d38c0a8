#include <gtest/gtest.h>

#include <thread>

#include "test_support.hpp"

namespace hyphae::test {
namespace {

std::string pattern(std::size_t size, unsigned seed) {
    std::string bytes(size, '\0');
    for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>((i * 31 + seed) & 0xFF);
    return bytes;
}

TEST(Echo, TextRoundTrip) {
    EchoServer fixture;
    net::io_context io;
    auto client = connect_client(io, fixture.port);
    client->text(true);
    client->write(net::buffer(std::string("hello, hyphae")));
    bool binary = true;
    EXPECT_EQ(read_text(*client, &binary), "hello, hyphae");
    EXPECT_FALSE(binary);
    ASSERT_TRUE(fixture.sink->wait_until([&] { return fixture.sink->messages.size() == 1; }));
    EXPECT_FALSE(fixture.sink->locked([&] { return fixture.sink->messages[0].binary; }));
}

TEST(Echo, BinaryRoundTripIsByteExact) {
    EchoServer fixture;
    net::io_context io;
    auto client = connect_client(io, fixture.port);
    client->binary(true);
    for (std::size_t size : {0u, 1u, 125u, 126u, 65535u, 65536u, 1u << 20}) {
        const std::string payload = pattern(size, static_cast<unsigned>(size));
        client->write(net::buffer(payload));
        bool binary = false;
        const std::string echoed = read_text(*client, &binary);
        EXPECT_TRUE(binary);
        EXPECT_EQ(echoed.size(), size);
        EXPECT_TRUE(echoed == payload) << "payload of " << size << " bytes differs";
    }
}

TEST(Echo, TwoHundredClientsEachEchoOneHundredMessages) {
    EchoServer fixture({}, false);
    constexpr int kClients = 200;
    constexpr int kMessages = 100;
    std::atomic<int> verified{0};
    std::vector<std::thread> threads;
    threads.reserve(kClients);
    for (int c = 0; c < kClients; ++c) {
        threads.emplace_back([&, c] {
            net::io_context io;
            auto client = connect_client(io, fixture.port);
            client->text(true);
            for (int m = 0; m < kMessages; ++m) {
                const std::string payload =
                    "client " + std::to_string(c) + " message " + std::to_string(m);
                client->write(net::buffer(payload));
                if (read_text(*client) == payload) ++verified;
            }
            client->close(websocket::close_code::normal);
            beast::flat_buffer drain;
            beast::error_code ec;
            client->read(drain, ec);  // completes with `closed` once the server answers
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(verified.load(), kClients * kMessages);
    ASSERT_TRUE(fixture.sink->wait_until([&] { return fixture.sink->closes.size() == kClients; }));
    EXPECT_EQ(fixture.sink->locked([&] { return fixture.sink->message_count; }),
              static_cast<std::size_t>(kClients * kMessages));
}

TEST(Echo, ManyPipelinedMessagesKeepTheirOrder) {
    EchoServer fixture({}, false);
    net::io_context io;
    auto client = connect_client(io, fixture.port);
    client->text(true);
    constexpr int kMessages = 5000;
    // All writes first (about 20 KB, well inside the socket buffers), then reads.
    for (int m = 0; m < kMessages; ++m) client->write(net::buffer(std::to_string(m)));
    int in_order = 0;
    for (int m = 0; m < kMessages; ++m) {
        if (read_text(*client) == std::to_string(m)) ++in_order;
    }
    EXPECT_EQ(in_order, kMessages);
}

}  // namespace
}  // namespace hyphae::test
