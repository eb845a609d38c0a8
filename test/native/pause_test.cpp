// The application's pause/resume of one connection (ws's pause()): while
// paused nothing the client sends is delivered, other connections go on,
// and resuming delivers everything in order, on hyphae's own frame path and
// on Beast's (permessage-deflate). A close from the client waits for the
// resume too. Beast's stream always has a read pending, so there the one
// message that read was waiting for still arrives after the pause.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace hyphae::test {
namespace {

std::unique_ptr<Client> open_client(net::io_context& io, std::uint16_t port, bool deflate) {
    auto client = std::make_unique<Client>(io);
    if (deflate) {
        websocket::permessage_deflate offer;
        offer.client_enable = true;
        client->set_option(offer);
    }
    client->next_layer().connect({net::ip::make_address("127.0.0.1"), port});
    client->handshake("127.0.0.1:" + std::to_string(port), "/");
    return client;
}

// Under the sink's lock (in a wait_until predicate).
std::size_t count_of(const RecordingSink& sink, ConnectionId id) {
    std::size_t count = 0;
    for (const auto& message : sink.messages) count += message.id == id ? 1 : 0;
    return count;
}

std::vector<std::string> payloads_of(RecordingSink& sink, ConnectionId id) {
    return sink.locked([&] {
        std::vector<std::string> out;
        for (const auto& message : sink.messages)
            if (message.id == id) out.push_back(message.payload);
        return out;
    });
}

ServerOptions options_for(bool deflate) {
    ServerOptions options;
    options.deflate.enabled = deflate;  // Beast's stream; else the own frames
    options.host = "127.0.0.1";
    // Also the time a closing session waits for the peer's answer: long,
    // so a close that waits for it shows.
    options.handshake_timeout = std::chrono::seconds(60);
    return options;
}

// A listening server that records what its connections send.
struct Recorder {
    explicit Recorder(bool deflate)
        : server(options_for(deflate), sink), port(server.listen().port) {}
    std::shared_ptr<RecordingSink> sink = std::make_shared<RecordingSink>();
    Server server;
    std::uint16_t port;
};

void check_pause(bool deflate) {
    Recorder recorder(deflate);
    auto& sink = recorder.sink;
    auto& server = recorder.server;
    const auto port = recorder.port;

    net::io_context io;
    auto paused_client = open_client(io, port, deflate);
    auto other_client = open_client(io, port, deflate);
    ASSERT_TRUE(sink->wait_until([&] { return sink->opens.size() == 2; }));
    const ConnectionId paused = sink->locked([&] { return sink->opens[0].id; });
    const ConnectionId other = sink->locked([&] { return sink->opens[1].id; });

    // One message read before the pause.
    paused_client->write(net::buffer(std::string("before")));
    ASSERT_TRUE(sink->wait_until([&] { return sink->messages.size() == 1; }));

    ASSERT_TRUE(server.set_paused(paused, true));
    // Commands to a connection run in order: once this send arrives, the
    // pause has been applied.
    server.send(paused, OutboundMessage{make_payload("paused"), false});
    EXPECT_EQ(read_text(*paused_client), "paused");

    for (int i = 0; i < 3; ++i) paused_client->write(net::buffer("held " + std::to_string(i)));
    // Beast's pending read completes with the first of them.
    const std::vector<std::string> while_paused =
        deflate ? std::vector<std::string>{"before", "held 0"} : std::vector<std::string>{"before"};
    // The other connection is read as usual meanwhile...
    other_client->write(net::buffer(std::string("other")));
    ASSERT_TRUE(sink->wait_until([&] { return count_of(*sink, other) == 1; }));
    // ...and the paused one stays unread: nothing in a window much longer
    // than the other connection's delivery took.
    EXPECT_FALSE(sink->wait_until([&] { return count_of(*sink, paused) > while_paused.size(); },
                                  std::chrono::milliseconds(300)));
    EXPECT_EQ(payloads_of(*sink, paused), while_paused);

    // Pausing twice changes nothing; one resume reads everything, in order.
    ASSERT_TRUE(server.set_paused(paused, true));
    ASSERT_TRUE(server.set_paused(paused, false));
    ASSERT_TRUE(sink->wait_until([&] { return count_of(*sink, paused) == 4; }));
    EXPECT_EQ(payloads_of(*sink, paused),
              (std::vector<std::string>{"before", "held 0", "held 1", "held 2"}));

    // Paused again, the client's close is not read until the resume (on
    // Beast's stream the pending read takes the message before it).
    ASSERT_TRUE(server.set_paused(paused, true));
    server.send(paused, OutboundMessage{make_payload("paused again"), false});
    EXPECT_EQ(read_text(*paused_client), "paused again");
    paused_client->write(net::buffer(std::string("last")));
    // The client's close completes (on its own thread) once the server answers.
    beast::error_code close_result = net::error::would_block;
    paused_client->async_close(websocket::close_code::normal,
                               [&](beast::error_code ec) { close_result = ec; });
    std::thread closer([&] { io.run(); });
    EXPECT_FALSE(
        sink->wait_until([&] { return !sink->closes.empty(); }, std::chrono::milliseconds(300)));
    EXPECT_EQ(sink->locked([&] { return count_of(*sink, paused); }), deflate ? 5u : 4u);
    ASSERT_TRUE(server.set_paused(paused, false));
    ASSERT_TRUE(sink->wait_until([&] { return sink->closes.size() == 1; }));
    EXPECT_EQ(payloads_of(*sink, paused).back(), "last");
    closer.join();
    EXPECT_FALSE(close_result) << close_result.message();
    EXPECT_EQ(sink->locked([&] { return sink->closes[0].id; }), paused);
    EXPECT_EQ(sink->locked([&] { return sink->closes[0].code; }), 1000);

    server.stop(std::chrono::seconds(2));
    beast::flat_buffer buffer;
    beast::error_code ec;
    while (!ec) other_client->read(buffer, ec);  // until the server's close
    ASSERT_TRUE(sink->wait_until([&] { return sink->server_closed; }));
}

TEST(Pause, HoldsReadingOnTheOwnFramePath) {
    check_pause(false);
}

TEST(Pause, HoldsReadingOnBeastsStream) {
    check_pause(true);
}

// The server closing a paused connection completes: on the own frame path
// the session ends once its close frame is out (the answer will not be
// read), on Beast's stream the pending read takes the client's answer.
TEST(Pause, ServerCloseOfAPausedConnectionEnds) {
    for (const bool deflate : {false, true}) {
        Recorder recorder(deflate);
        auto& sink = recorder.sink;
        auto& server = recorder.server;
        net::io_context io;
        auto client = open_client(io, recorder.port, deflate);
        ASSERT_TRUE(sink->wait_until([&] { return sink->opens.size() == 1; }));
        const ConnectionId id = sink->locked([&] { return sink->opens[0].id; });
        ASSERT_TRUE(server.set_paused(id, true));
        ASSERT_TRUE(server.close(id, 4000, "bye"));
        beast::flat_buffer buffer;
        beast::error_code ec;
        client->read(buffer, ec);  // answers the close
        EXPECT_EQ(ec, websocket::error::closed);
        EXPECT_EQ(client->reason().code, 4000);
        ASSERT_TRUE(sink->wait_until([&] { return sink->closes.size() == 1; }))
            << (deflate ? "Beast's stream" : "own frames");
        server.stop_now();
    }
}

// A pause that reaches a closing session (JS's pause() racing its close())
// is ignored: the client's answer is read and the close completes at once,
// not when the closing session gives up waiting for it.
TEST(Pause, APauseAfterACloseIsIgnored) {
    for (const bool deflate : {false, true}) {
        Recorder recorder(deflate);
        auto& sink = recorder.sink;
        net::io_context io;
        auto client = open_client(io, recorder.port, deflate);
        ASSERT_TRUE(sink->wait_until([&] { return sink->opens.size() == 1; }));
        const ConnectionId id = sink->locked([&] { return sink->opens[0].id; });
        ASSERT_TRUE(recorder.server.close(id, 4001, "closing"));
        ASSERT_TRUE(recorder.server.set_paused(id, true));
        beast::flat_buffer buffer;
        beast::error_code ec;
        client->read(buffer, ec);  // the close frame; Beast answers it
        EXPECT_EQ(ec, websocket::error::closed);
        ASSERT_TRUE(
            sink->wait_until([&] { return sink->closes.size() == 1; }, std::chrono::seconds(10)))
            << (deflate ? "Beast's stream" : "own frames");
        EXPECT_EQ(sink->locked([&] { return sink->closes[0].code; }), 4001);
        recorder.server.stop_now();
    }
}

}  // namespace
}  // namespace hyphae::test
