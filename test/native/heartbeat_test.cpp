// Heartbeat: pings every ping_interval; a peer that answers nothing within
// ping_timeout is dropped, once, while answering peers stay.
#include <gtest/gtest.h>

#include <array>
#include <thread>

#include "hyphae/close_codes.hpp"

#include "test_support.hpp"

namespace hyphae::test {
namespace {

ServerOptions heartbeat_options() {
    ServerOptions options;
    options.ping_interval = std::chrono::milliseconds(100);
    options.ping_timeout = std::chrono::milliseconds(100);
    return options;
}

TEST(Heartbeat, SilentPeerIsDroppedOnceAndAnsweringPeerStays) {
    EchoServer fixture(heartbeat_options());
    net::io_context io;
    // Never reads after the handshake, so it never answers a ping.
    auto silent = connect_client(io, fixture.port);
    auto answering = connect_client(io, fixture.port);
    std::mutex mutex;
    std::condition_variable pinged;
    int pings = 0;
    answering->control_callback([&](websocket::frame_type kind, beast::string_view) {
        if (kind != websocket::frame_type::ping) return;
        std::lock_guard lock(mutex);
        ++pings;
        pinged.notify_all();
    });
    // Reading answers pings (Beast replies with a pong) until the server closes.
    std::thread reader([&] {
        beast::flat_buffer buffer;
        beast::error_code ec;
        while (!ec) answering->read(buffer, ec);
    });

    ASSERT_TRUE(fixture.sink->wait_until([&] { return fixture.sink->closes.size() == 1; }));
    const auto closed = fixture.sink->locked([&] { return fixture.sink->closes[0]; });
    const auto silent_id = fixture.sink->locked([&] { return fixture.sink->opens[0].id; });
    EXPECT_EQ(closed.id, silent_id);
    EXPECT_EQ(closed.code, close_code::abnormal);
    EXPECT_EQ(closed.reason, "Ping timeout");
    EXPECT_EQ(fixture.server->stats().ping_timeouts, 1u);

    // Several more rounds: the answering peer is pinged and kept.
    {
        std::unique_lock lock(mutex);
        const int seen = pings;
        ASSERT_TRUE(
            pinged.wait_for(lock, std::chrono::seconds(10), [&] { return pings >= seen + 3; }));
    }
    EXPECT_EQ(fixture.sink->locked([&] { return fixture.sink->closes.size(); }), 1u);
    EXPECT_EQ(fixture.server->stats().ping_timeouts, 1u);

    fixture.server->stop(std::chrono::seconds(2));
    reader.join();
    ASSERT_TRUE(fixture.sink->wait_until([&] { return fixture.sink->server_closed; }));
    // Exactly one close event per connection.
    EXPECT_EQ(fixture.sink->locked([&] { return fixture.sink->closes.size(); }), 2u);
}

// Reads one small server frame from a raw socket; returns its opcode.
int read_small_frame(tcp::socket& socket) {
    std::array<unsigned char, 2> header{};
    net::read(socket, net::buffer(header));
    const std::size_t length = header[1] & 0x7F;  // the server sends < 126 here
    std::string payload(length, '\0');
    net::read(socket, net::buffer(payload));
    return header[0] & 0x0F;
}

TEST(Heartbeat, DataFramesCountAsAnAnswer) {
    // A peer that never sends a pong but answers every ping with a data frame
    // is alive: any frame proves it.
    EchoServer fixture(heartbeat_options(), false);
    net::io_context io;
    auto client = connect_client(io, fixture.port);
    auto& socket = client->next_layer();
    // A masked text frame "tick" with a zero mask key (payload unchanged).
    const std::string tick("\x81\x84\x00\x00\x00\x00tick", 10);
    int pings = 0;
    while (pings < 5) {
        const int opcode = read_small_frame(socket);
        if (opcode == 0x9) {
            ++pings;
            net::write(socket, net::buffer(tick));
        }
    }
    EXPECT_EQ(fixture.server->stats().ping_timeouts, 0u);
    EXPECT_TRUE(fixture.sink->locked([&] { return fixture.sink->closes.empty(); }));
    EXPECT_GE(fixture.sink->locked([&] { return fixture.sink->message_count; }), 4u);
}

}  // namespace
}  // namespace hyphae::test
