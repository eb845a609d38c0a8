// Pings and pongs from a client reach the event sink with their payloads,
// on hyphae's own frame path and on Beast's (permessage-deflate), a ping is
// answered before it is reported, and the server's unsolicited pong arrives.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_support.hpp"

namespace hyphae::test {
namespace {

using ControlEvent = RecordingSink::ControlEvent;

void check_pings_and_pongs(bool deflate) {
    ServerOptions options;
    options.deflate.enabled = deflate;
    EchoServer fixture(options);
    net::io_context io;
    auto client = std::make_unique<Client>(io);
    if (deflate) {
        websocket::permessage_deflate offer;
        offer.client_enable = true;
        client->set_option(offer);
    }
    client->next_layer().connect({net::ip::make_address("127.0.0.1"), fixture.port});
    client->handshake("127.0.0.1:" + std::to_string(fixture.port), "/");

    std::vector<std::string> pongs;  // payloads of the pongs the client got
    client->control_callback([&](websocket::frame_type kind, beast::string_view payload) {
        if (kind == websocket::frame_type::pong) pongs.emplace_back(payload);
    });
    // One thread drives the client: a read runs until the echo of what was
    // just written, and meanwhile answers pings and reports pongs.
    auto round_trip = [&] {
        client->write(net::buffer(std::string("marker")));
        EXPECT_EQ(read_text(*client), "marker");
    };

    ASSERT_TRUE(fixture.sink->wait_until([&] { return fixture.sink->opens.size() == 1; }));
    const ConnectionId id = fixture.sink->locked([&] { return fixture.sink->opens[0].id; });
    client->ping(websocket::ping_data("from the client"));
    round_trip();
    EXPECT_EQ(pongs, std::vector<std::string>{"from the client"});
    client->pong(websocket::ping_data("unsolicited"));
    ASSERT_TRUE(fixture.server->ping(id, "from the server"));
    // The server's ping is answered by the client's next read.
    const std::vector<ControlEvent> expected = {
        {id, false, "from the client"}, {id, true, "unsolicited"}, {id, true, "from the server"}};
    for (int round = 0; round < 50; ++round) {
        round_trip();
        if (fixture.sink->wait_until([&] { return fixture.sink->controls.size() >= 3; },
                                     std::chrono::milliseconds(100)))
            break;
    }
    EXPECT_EQ(fixture.sink->locked([&] { return fixture.sink->controls; }), expected);

    // An unsolicited pong from the server reaches the client.
    ASSERT_TRUE(fixture.server->pong(id, "one way"));
    for (int round = 0; round < 50 && pongs.size() < 2; ++round) round_trip();
    EXPECT_EQ(pongs, (std::vector<std::string>{"from the client", "one way"}));

    fixture.server->stop(std::chrono::seconds(2));
    beast::flat_buffer buffer;
    beast::error_code ec;
    while (!ec) client->read(buffer, ec);  // until the server's close
    ASSERT_TRUE(fixture.sink->wait_until([&] { return fixture.sink->server_closed; }));
}

TEST(PingPong, ReachTheSinkOnTheOwnFramePath) {
    check_pings_and_pongs(false);
}

TEST(PingPong, ReachTheSinkOnBeastsStream) {
    check_pings_and_pongs(true);
}

}  // namespace
}  // namespace hyphae::test
