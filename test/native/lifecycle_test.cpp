#include <gtest/gtest.h>

#include "test_support.hpp"

namespace hyphae::test {
namespace {

TEST(Lifecycle, ListenOnPortZeroReportsTheBoundPort) {
    EchoServer fixture;
    EXPECT_NE(fixture.port, 0);
    const auto endpoint = fixture.server->local_endpoint();
    ASSERT_TRUE(endpoint.has_value());
    EXPECT_EQ(endpoint->port, fixture.port);
    EXPECT_EQ(endpoint->address, "127.0.0.1");
}

TEST(Lifecycle, ListenTwiceThrows) {
    EchoServer fixture;
    EXPECT_THROW(fixture.server->listen(), boost::system::system_error);
}

TEST(Lifecycle, PortInUseThrows) {
    EchoServer first;
    ServerOptions options;
    options.host = "127.0.0.1";
    options.port = first.port;
    Server second(options, std::make_shared<RecordingSink>());
    EXPECT_THROW(second.listen(), boost::system::system_error);
}

TEST(Lifecycle, ClientCloseCodeAndReasonReachTheSink) {
    EchoServer fixture;
    net::io_context io;
    auto client = connect_client(io, fixture.port);
    client->close(websocket::close_reason(static_cast<websocket::close_code>(4000), "bye now"));
    ASSERT_TRUE(fixture.sink->wait_until([&] { return fixture.sink->closes.size() == 1; }));
    const auto closed = fixture.sink->locked([&] { return fixture.sink->closes.front(); });
    EXPECT_EQ(closed.code, 4000);
    EXPECT_EQ(closed.reason, "bye now");
}

TEST(Lifecycle, ServerCloseCodeAndReasonReachTheClient) {
    EchoServer fixture;
    net::io_context io;
    auto client = connect_client(io, fixture.port);
    ASSERT_TRUE(fixture.sink->wait_until([&] { return fixture.sink->opens.size() == 1; }));
    const auto id = fixture.sink->locked([&] { return fixture.sink->opens.front().id; });
    EXPECT_TRUE(fixture.server->close(id, 4001, "server says bye"));
    beast::flat_buffer buffer;
    beast::error_code ec;
    client->read(buffer, ec);
    EXPECT_EQ(ec, websocket::error::closed);
    EXPECT_EQ(client->reason().code, 4001);
    EXPECT_EQ(std::string(client->reason().reason.data(), client->reason().reason.size()),
              "server says bye");
    ASSERT_TRUE(fixture.sink->wait_until([&] { return fixture.sink->closes.size() == 1; }));
    EXPECT_EQ(fixture.sink->locked([&] { return fixture.sink->closes.front().code; }), 4001);
}

TEST(Lifecycle, MessagesQueuedBeforeCloseAreDeliveredFirst) {
    EchoServer fixture;
    net::io_context io;
    auto client = connect_client(io, fixture.port);
    ASSERT_TRUE(fixture.sink->wait_until([&] { return fixture.sink->opens.size() == 1; }));
    const auto id = fixture.sink->locked([&] { return fixture.sink->opens.front().id; });
    for (int i = 0; i < 50; ++i) {
        fixture.server->send(
            id, OutboundMessage{make_payload(std::string(10000, 'a' + i % 26)), false});
    }
    fixture.server->close(id, 1000, "done");
    for (int i = 0; i < 50; ++i) EXPECT_EQ(read_text(*client), std::string(10000, 'a' + i % 26));
    beast::flat_buffer buffer;
    beast::error_code ec;
    client->read(buffer, ec);
    EXPECT_EQ(ec, websocket::error::closed);
}

TEST(Lifecycle, SendToUnknownIdIsRefusedOrDropped) {
    EchoServer fixture;
    // Thread index 63 does not exist on a small server: refused at once.
    EXPECT_EQ(fixture.server->send(make_connection_id(1, 63), {make_payload("x"), false}), 0u);
    EXPECT_EQ(fixture.server->send(0, {make_payload("x"), false}), 0u);
    // A well-formed id with no session is dropped on the owner thread.
    EXPECT_GT(fixture.server->send(make_connection_id(999999, 0), {make_payload("x"), false}), 0u);
    net::io_context io;
    auto client = connect_client(io, fixture.port);
    client->write(net::buffer(std::string("still alive")));
    EXPECT_EQ(read_text(*client), "still alive");
}

TEST(Lifecycle, StopClosesEveryClientWith1001) {
    auto fixture = std::make_unique<EchoServer>();
    constexpr int kClients = 20;
    net::io_context io;
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < kClients; ++i) clients.push_back(connect_client(io, fixture->port));
    ASSERT_TRUE(fixture->sink->wait_until([&] { return fixture->sink->opens.size() == kClients; }));

    fixture->server->stop(std::chrono::seconds(5));
    for (auto& client : clients) {
        beast::flat_buffer buffer;
        beast::error_code ec;
        client->read(buffer, ec);  // Beast answers the close frame
        EXPECT_EQ(ec, websocket::error::closed);
        EXPECT_EQ(client->reason().code, websocket::close_code::going_away);
        EXPECT_EQ(std::string(client->reason().reason.data(), client->reason().reason.size()),
                  "Server shutting down");
    }
    ASSERT_TRUE(fixture->sink->wait_until([&] { return fixture->sink->server_closed; }));
    fixture->server->join();
    const auto closes = fixture->sink->locked([&] { return fixture->sink->closes; });
    EXPECT_EQ(closes.size(), static_cast<std::size_t>(kClients));
    for (const auto& closed : closes) EXPECT_EQ(closed.code, 1001);
    EXPECT_FALSE(fixture->server->local_endpoint().has_value());
}

TEST(Lifecycle, StopDropsClientsThatNeverAnswerAfterTheGrace) {
    EchoServer fixture;
    net::io_context io;
    auto client = connect_client(io, fixture.port);  // never reads again
    ASSERT_TRUE(fixture.sink->wait_until([&] { return fixture.sink->opens.size() == 1; }));
    fixture.server->stop(std::chrono::milliseconds(100));
    ASSERT_TRUE(fixture.sink->wait_until([&] { return fixture.sink->server_closed; }));
    fixture.server->join();
    EXPECT_EQ(fixture.sink->locked([&] { return fixture.sink->closes.size(); }), 1u);
}

TEST(Lifecycle, StopWithHalfOpenHandshakeDoesNotWaitForItsTimeout) {
    EchoServer fixture;
    net::io_context io;
    tcp::socket socket(io);
    socket.connect({net::ip::make_address("127.0.0.1"), fixture.port});
    net::write(socket, net::buffer(std::string("GET / HTTP/1.1\r\n")));  // never finished
    fixture.server->stop(std::chrono::seconds(5));
    // The default handshake timeout is 30 s; ctest fails the test long before
    // that if the half-open socket kept the server alive.
    ASSERT_TRUE(fixture.sink->wait_until([&] { return fixture.sink->server_closed; },
                                         std::chrono::seconds(10)));
    fixture.server->join();
    EXPECT_TRUE(fixture.sink->locked([&] { return fixture.sink->closes.empty(); }));
}

}  // namespace
}  // namespace hyphae::test
