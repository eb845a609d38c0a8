#include <gtest/gtest.h>

#include "test_support.hpp"

namespace hyphae::test {
namespace {

ServerOptions on_path(std::string path) {
    ServerOptions options;
    options.policy.path = std::move(path);
    return options;
}

TEST(Handshake, OpenEventCarriesRequestDetails) {
    EchoServer fixture(on_path("/ws"));
    net::io_context io;
    Client client(io);
    client.next_layer().connect({net::ip::make_address("127.0.0.1"), fixture.port});
    client.set_option(websocket::stream_base::decorator(
        [](websocket::request_type& request) { request.set("X-Trace-Id", "abc-123"); }));
    client.handshake("127.0.0.1", "/ws?room=1");

    ASSERT_TRUE(fixture.sink->wait_until([&] { return fixture.sink->opens.size() == 1; }));
    const auto info = fixture.sink->locked([&] { return fixture.sink->opens.front(); });
    EXPECT_NE(info.id, 0u);
    EXPECT_EQ(info.remote_address, "127.0.0.1");
    EXPECT_EQ(info.remote_port, client.next_layer().local_endpoint().port());
    EXPECT_EQ(info.target, "/ws?room=1");
    bool saw_trace = false;
    bool saw_host = false;
    for (const auto& [name, value] : info.headers) {
        if (name == "x-trace-id" && value == "abc-123") saw_trace = true;
        if (name == "host" && value == "127.0.0.1") saw_host = true;
    }
    EXPECT_TRUE(saw_trace);
    EXPECT_TRUE(saw_host);
    client.close(websocket::close_code::normal);
}

TEST(Handshake, WrongPathGets404) {
    EchoServer fixture(on_path("/ws"));
    const auto response = raw_http(fixture.port,
                                   "GET /elsewhere HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                                   "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
    EXPECT_EQ(response.result_int(), 404u);
    EXPECT_TRUE(fixture.sink->locked([&] { return fixture.sink->opens.empty(); }));
}

TEST(Handshake, PlainHttpGets426) {
    EchoServer fixture(on_path("/ws"));
    const auto response = raw_http(fixture.port, "GET /ws HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(response.result_int(), 426u);
    EXPECT_EQ(response[http::field::upgrade], "websocket");
}

TEST(Handshake, MalformedRequestGets400) {
    EchoServer fixture;
    const auto response = raw_http(fixture.port, "THIS IS NOT HTTP\r\n\r\n");
    EXPECT_EQ(response.result_int(), 400u);
}

// RFC 6455 section 4.4: an unsupported version gets 426 naming the one we speak.
TEST(Handshake, UnsupportedWebSocketVersionGets426WithOurVersion) {
    EchoServer fixture;
    const auto response = raw_http(fixture.port,
                                   "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                                   "Upgrade: websocket\r\nSec-WebSocket-Version: 8\r\n"
                                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
    EXPECT_EQ(response.result_int(), 426u);
    EXPECT_EQ(response[http::field::sec_websocket_version], "13");
}

TEST(Handshake, UpgradeWithoutKeyGets400) {
    EchoServer fixture;
    const auto response = raw_http(fixture.port,
                                   "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                                   "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n");
    EXPECT_EQ(response.result_int(), 400u);
}

TEST(Handshake, OversizedHeadersGet431) {
    ServerOptions options;
    options.max_header_bytes = 1024;
    EchoServer fixture(options);
    const std::string padding(4096, 'a');
    const auto response =
        raw_http(fixture.port, "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + padding + "\r\n\r\n");
    EXPECT_EQ(response.result_int(), 431u);
}

TEST(Handshake, SilentClientIsCutAtHandshakeTimeout) {
    ServerOptions options;
    options.handshake_timeout = std::chrono::milliseconds(200);
    EchoServer fixture(options);
    net::io_context io;
    tcp::socket socket(io);
    socket.connect({net::ip::make_address("127.0.0.1"), fixture.port});
    net::write(socket, net::buffer(std::string("GET / HTTP/1.1\r\n")));
    char byte;
    beast::error_code ec;
    // Blocks until the server drops the connection; a server that never did
    // would hang the test until ctest's timeout fails it.
    socket.read_some(net::buffer(&byte, 1), ec);
    EXPECT_TRUE(ec == net::error::eof || ec == net::error::connection_reset) << ec.message();
}

}  // namespace
}  // namespace hyphae::test
