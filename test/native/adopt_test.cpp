// Server::adopt: connections accepted elsewhere (a Node HTTP server) whose
// HTTP request was already read there, served by a server with no listening
// socket of its own.
#include <gtest/gtest.h>

#include <future>

#include "test_certificate.hpp"
#include "test_support.hpp"

namespace hyphae::test {
namespace {

// Stands in for the HTTP server that accepts and reads the request head.
struct OutsideServer {
    OutsideServer() : acceptor(io, {net::ip::make_address("127.0.0.1"), 0}) {}
    std::uint16_t port() const { return acceptor.local_endpoint().port(); }

    // Accepts one connection and reads exactly `count` bytes of it, or (with
    // count 0) up to the end of the request head. Returns the socket's
    // descriptor (ownership passes to the caller) and the bytes read.
    std::pair<int, std::string> take(std::size_t count = 0) {
        tcp::socket socket(io);
        acceptor.accept(socket);
        std::string bytes;
        if (count > 0) {
            bytes.resize(count);
            net::read(socket, net::buffer(bytes));
        } else {
            net::read_until(socket, net::dynamic_buffer(bytes), "\r\n\r\n");
        }
        return {socket.release(), bytes};
    }

    net::io_context io;
    tcp::acceptor acceptor;
};

struct AdoptingServer {
    explicit AdoptingServer(ServerOptions options = {}) {
        sink = std::make_shared<RecordingSink>();
        server = std::make_unique<Server>(options, sink);
        sink->message_hook = [this](ConnectionId id, const std::string& payload, bool binary) {
            server->send(id, OutboundMessage{make_payload(payload), binary});
        };
    }
    ~AdoptingServer() { server->stop_now(); }

    std::shared_ptr<RecordingSink> sink;
    std::unique_ptr<Server> server;
};

std::string upgrade_request(const std::string& target) {
    return "GET " + target +
           " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
}

// A masked text frame of fewer than 126 bytes, as a client sends it.
std::string client_text_frame(const std::string& text) {
    const char mask[4] = {0x11, 0x22, 0x33, 0x44};
    std::string frame;
    frame += static_cast<char>(0x81);
    frame += static_cast<char>(0x80 | text.size());
    frame.append(mask, 4);
    for (std::size_t i = 0; i < text.size(); ++i) frame += static_cast<char>(text[i] ^ mask[i % 4]);
    return frame;
}

TEST(Adopt, AdoptedConnectionOpensAndEchoesWithoutAListeningSocket) {
    AdoptingServer fixture;
    fixture.server->start();
    EXPECT_FALSE(fixture.server->local_endpoint().has_value());

    OutsideServer outside;
    net::io_context io;
    auto client_done = std::async(
        std::launch::async, [&] { return connect_client(io, outside.port(), "/chat?room=1"); });
    auto [fd, request] = outside.take();
    EXPECT_EQ(request.rfind("GET /chat?room=1 HTTP/1.1\r\n", 0), 0u);
    const ConnectionId id = fixture.server->adopt(fd, request);
    ASSERT_NE(id, 0u);

    auto client = client_done.get();
    ASSERT_TRUE(fixture.sink->wait_until([&] { return fixture.sink->opens.size() == 1; }));
    fixture.sink->locked([&] {
        EXPECT_EQ(fixture.sink->opens[0].id, id);
        EXPECT_EQ(fixture.sink->opens[0].target, "/chat?room=1");
        EXPECT_EQ(fixture.sink->opens[0].remote_port, client->next_layer().local_endpoint().port());
    });
    client->text(true);
    client->write(net::buffer(std::string("through an adopted socket")));
    EXPECT_EQ(read_text(*client), "through an adopted socket");

    client->close(websocket::close_code::normal);
    ASSERT_TRUE(fixture.sink->wait_until([&] { return fixture.sink->closes.size() == 1; }));
    fixture.sink->locked([&] {
        EXPECT_EQ(fixture.sink->closes[0].id, id);
        EXPECT_EQ(fixture.sink->closes[0].code, 1000);
        EXPECT_TRUE(fixture.sink->refusals.empty());
    });
}

TEST(Adopt, TheSessionReadsTheRestOfARequestTheOtherServerReadInPart) {
    AdoptingServer fixture;
    fixture.server->start();
    OutsideServer outside;
    net::io_context io;
    auto client_done =
        std::async(std::launch::async, [&] { return connect_client(io, outside.port(), "/"); });
    auto [fd, request] = outside.take(12);  // "GET / HTTP/1" and no more
    ASSERT_NE(fixture.server->adopt(fd, request), 0u);
    auto client = client_done.get();
    client->text(true);
    client->write(net::buffer(std::string("rest read by the session")));
    EXPECT_EQ(read_text(*client), "rest read by the session");
}

TEST(Adopt, FramesSentBehindTheRequestAreNotLost) {
    AdoptingServer fixture;
    fixture.server->start();
    OutsideServer outside;
    net::io_context io;
    tcp::socket client(io);
    client.connect({net::ip::make_address("127.0.0.1"), outside.port()});
    const std::string head = upgrade_request("/");
    const std::string frame = client_text_frame("early");
    net::write(client, net::buffer(head + frame));

    auto [fd, bytes] = outside.take(head.size() + frame.size());
    ASSERT_NE(fixture.server->adopt(fd, bytes), 0u);
    ASSERT_TRUE(fixture.sink->wait_until([&] { return fixture.sink->messages.size() == 1; }));
    EXPECT_EQ(fixture.sink->locked([&] { return fixture.sink->messages[0].payload; }), "early");

    // The 101, then the echo of the early frame (unmasked, from the server).
    std::string reply;
    net::read_until(client, net::dynamic_buffer(reply), "\r\n\r\n");
    EXPECT_EQ(reply.rfind("HTTP/1.1 101 ", 0), 0u);
    const std::size_t frame_start = reply.find("\r\n\r\n") + 4;
    while (reply.size() < frame_start + 7) {
        char byte[64];
        reply.append(byte, client.read_some(net::buffer(byte)));
    }
    EXPECT_EQ(reply.substr(frame_start), std::string("\x81\x05", 2) + "early");
}

TEST(Adopt, ARefusedAdoptionIsAnsweredAndReportedOnceAsRefused) {
    ServerOptions options;
    options.policy.path = "/ws";
    AdoptingServer fixture(options);
    fixture.server->start();
    OutsideServer outside;

    net::io_context io;
    tcp::socket client(io);
    client.connect({net::ip::make_address("127.0.0.1"), outside.port()});
    net::write(client, net::buffer(upgrade_request("/elsewhere")));
    auto [fd, request] = outside.take();
    const ConnectionId id = fixture.server->adopt(fd, request);
    ASSERT_NE(id, 0u);

    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(client, buffer, response);
    EXPECT_EQ(response.result_int(), 404u);
    ASSERT_TRUE(fixture.sink->wait_until([&] { return fixture.sink->refusals.size() == 1; }));
    fixture.sink->locked([&] {
        EXPECT_EQ(fixture.sink->refusals[0], id);
        EXPECT_TRUE(fixture.sink->opens.empty());
        EXPECT_TRUE(fixture.sink->closes.empty());
    });
}

TEST(Adopt, ANotRunningServerRefusesAtOnceAndClosesTheSocket) {
    AdoptingServer fixture;
    OutsideServer outside;
    net::io_context io;
    tcp::socket client(io);
    client.connect({net::ip::make_address("127.0.0.1"), outside.port()});
    net::write(client, net::buffer(upgrade_request("/")));
    auto [fd, request] = outside.take();
    EXPECT_EQ(fixture.server->adopt(fd, request), 0u);  // never started

    char byte;
    beast::error_code ec;
    client.read_some(net::buffer(&byte, 1), ec);
    EXPECT_EQ(ec, net::error::eof);
}

TEST(Adopt, AServerWithATlsContextRefusesPlainSockets) {
    const auto certificate = make_certificate("localhost");
    ServerOptions options;
    options.tls = TlsOptions{};
    options.tls->cert = certificate.cert_pem;
    options.tls->key = certificate.key_pem;
    AdoptingServer fixture(options);
    fixture.server->start();
    OutsideServer outside;
    net::io_context io;
    tcp::socket client(io);
    client.connect({net::ip::make_address("127.0.0.1"), outside.port()});
    net::write(client, net::buffer(upgrade_request("/")));
    auto [fd, request] = outside.take();
    EXPECT_EQ(fixture.server->adopt(fd, request), 0u);

    char byte;
    beast::error_code ec;
    client.read_some(net::buffer(&byte, 1), ec);
    EXPECT_EQ(ec, net::error::eof);
}

}  // namespace
}  // namespace hyphae::test
