#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <condition_variable>
#include <future>
#include <mutex>

#include "test_support.hpp"

namespace hyphae::test {
namespace {

// Every case runs on both handshake paths: hyphae's own (the default for
// plain connections: Listener + raw_handshake.cpp) and Beast's (own_frames
// off; TLS and permessage-deflate take it too).
class Handshake : public ::testing::TestWithParam<bool> {
protected:
    ServerOptions options() const {
        ServerOptions options;
        options.own_frames = GetParam();
        return options;
    }
    ServerOptions on_path(std::string path) const {
        auto options = this->options();
        options.policy.path = std::move(path);
        return options;
    }
};

INSTANTIATE_TEST_SUITE_P(Paths, Handshake, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& info) {
                             return info.param ? "Own" : "Beast";
                         });

TEST_P(Handshake, OpenEventCarriesRequestDetails) {
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

TEST_P(Handshake, WrongPathGets404) {
    EchoServer fixture(on_path("/ws"));
    const auto response = raw_http(fixture.port,
                                   "GET /elsewhere HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                                   "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
    EXPECT_EQ(response.result_int(), 404u);
    EXPECT_TRUE(fixture.sink->locked([&] { return fixture.sink->opens.empty(); }));
}

TEST_P(Handshake, PlainHttpGets426) {
    EchoServer fixture(on_path("/ws"));
    const auto response = raw_http(fixture.port, "GET /ws HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(response.result_int(), 426u);
    EXPECT_EQ(response[http::field::upgrade], "websocket");
}

TEST_P(Handshake, MalformedRequestGets400) {
    EchoServer fixture(options());
    const auto response = raw_http(fixture.port, "THIS IS NOT HTTP\r\n\r\n");
    EXPECT_EQ(response.result_int(), 400u);
}

// RFC 6455 section 4.4: an unsupported version gets 426 naming the one we speak.
TEST_P(Handshake, UnsupportedWebSocketVersionGets426WithOurVersion) {
    EchoServer fixture(options());
    const auto response = raw_http(fixture.port,
                                   "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                                   "Upgrade: websocket\r\nSec-WebSocket-Version: 8\r\n"
                                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
    EXPECT_EQ(response.result_int(), 426u);
    EXPECT_EQ(response[http::field::sec_websocket_version], "13");
}

TEST_P(Handshake, UpgradeWithoutKeyGets400) {
    EchoServer fixture(options());
    const auto response = raw_http(fixture.port,
                                   "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                                   "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n");
    EXPECT_EQ(response.result_int(), 400u);
}

TEST_P(Handshake, OversizedHeadersGet431) {
    auto options = this->options();
    options.max_header_bytes = 1024;
    EchoServer fixture(options);
    const std::string padding(4096, 'a');
    const auto response =
        raw_http(fixture.port, "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + padding + "\r\n\r\n");
    EXPECT_EQ(response.result_int(), 431u);
}

TEST_P(Handshake, SilentClientIsCutAtHandshakeTimeout) {
    auto options = this->options();
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

const std::string kUpgradeRequest =
    "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
    "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";

// A client's text frame (masked, as RFC 6455 requires), payload under 126 bytes.
std::string masked_text_frame(std::string_view payload) {
    const unsigned char key[4] = {0x11, 0x22, 0x33, 0x44};
    std::string frame;
    frame += static_cast<char>(0x81);
    frame += static_cast<char>(0x80 | payload.size());
    frame.append(reinterpret_cast<const char*>(key), 4);
    for (std::size_t i = 0; i < payload.size(); ++i) {
        frame += static_cast<char>(payload[i] ^ key[i % 4]);
    }
    return frame;
}

// Reads an HTTP response's head; what follows stays in `buffer`.
unsigned read_status(tcp::socket& socket, beast::flat_buffer& buffer) {
    http::response_parser<http::empty_body> parser;
    http::read_header(socket, buffer, parser);
    return parser.get().result_int();
}

// Reads one unmasked server text frame (payload under 126 bytes). A frame
// that never comes fails the test after 20 s (the read throws).
std::string read_text_frame(tcp::socket& socket, beast::flat_buffer& buffer) {
    const timeval limit{20, 0};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
    const auto frame_length = [&]() -> std::size_t {
        if (buffer.size() < 2) return 2;
        return 2 + (static_cast<const unsigned char*>(buffer.data().data())[1] & 0x7fu);
    };
    while (buffer.size() < frame_length()) {
        buffer.commit(socket.read_some(buffer.prepare(256)));
    }
    const auto* bytes = static_cast<const unsigned char*>(buffer.data().data());
    EXPECT_EQ(bytes[0], 0x81);
    return std::string(reinterpret_cast<const char*>(bytes + 2), bytes[1] & 0x7f);
}

// A request that arrives a few bytes per segment is put together.
TEST_P(Handshake, RequestInManySmallPiecesOpens) {
    EchoServer fixture(options());
    net::io_context io;
    tcp::socket socket(io);
    socket.connect({net::ip::make_address("127.0.0.1"), fixture.port});
    socket.set_option(tcp::no_delay(true));
    // Each write leaves as its own segment (no Nagle): the server, woken
    // per segment, mostly sees a few bytes at a time.
    for (std::size_t at = 0; at < kUpgradeRequest.size(); at += 7) {
        net::write(socket, net::buffer(kUpgradeRequest.substr(at, 7)));
    }
    beast::flat_buffer buffer;
    EXPECT_EQ(read_status(socket, buffer), 101u);
    net::write(socket, net::buffer(masked_text_frame("pieces")));
    EXPECT_EQ(read_text_frame(socket, buffer), "pieces");
    EXPECT_TRUE(fixture.sink->wait_until([&] { return fixture.sink->opens.size() == 1; }));
}

// Frames a client sends right behind its request, in the same segment (RFC
// 6455 4.1 asks it to wait for the 101), are read on the own path, as ws
// reads them; Beast's stream cannot take them, and refuses with a 400
// rather than lose them.
TEST_P(Handshake, FramesBehindTheRequestInOneWriteAreReadOrRefused) {
    EchoServer fixture(options());
    net::io_context io;
    tcp::socket socket(io);
    socket.connect({net::ip::make_address("127.0.0.1"), fixture.port});
    net::write(socket, net::buffer(kUpgradeRequest + masked_text_frame("early")));
    if (GetParam()) {
        beast::flat_buffer buffer;
        EXPECT_EQ(read_status(socket, buffer), 101u);
        EXPECT_EQ(read_text_frame(socket, buffer), "early");
    } else {
        beast::flat_buffer buffer;
        http::response<http::string_body> response;
        http::read(socket, buffer, response);
        EXPECT_EQ(response.result_int(), 400u);
        EXPECT_TRUE(fixture.sink->locked([&] { return fixture.sink->opens.empty(); }));
    }
}

// A client gone before its request ended never opens, and the server stops
// cleanly with such connections around (half a request, nothing at all).
TEST_P(Handshake, ClientsGoneOrStalledMidRequestNeverOpen) {
    auto options = this->options();
    options.handshake_timeout = std::chrono::hours(1);  // only stop() ends them
    EchoServer fixture(options);
    net::io_context io;
    tcp::socket gone(io), stalled(io), silent(io);
    gone.connect({net::ip::make_address("127.0.0.1"), fixture.port});
    net::write(gone, net::buffer(kUpgradeRequest.substr(0, 40)));
    gone.close();
    stalled.connect({net::ip::make_address("127.0.0.1"), fixture.port});
    net::write(stalled, net::buffer(kUpgradeRequest.substr(0, 40)));
    silent.connect({net::ip::make_address("127.0.0.1"), fixture.port});
    // A full connection behind them shows the server took all three.
    auto client = connect_client(io, fixture.port);
    client->write(net::buffer(std::string("hi")));
    EXPECT_EQ(read_text(*client), "hi");
    client->close(websocket::close_code::normal);
    ASSERT_TRUE(fixture.sink->wait_until([&] { return fixture.sink->closes.size() == 1; }));
    EXPECT_EQ(fixture.sink->locked([&] { return fixture.sink->opens.size(); }), 1u);

    // Stops although deadlines an hour away were set and cleared: a timer
    // left armed would hold the io thread (and this test) that long.
    auto stopped = std::async(std::launch::async, [&] { fixture.server->stop_now(); });
    ASSERT_EQ(stopped.wait_for(std::chrono::seconds(20)), std::future_status::ready);
    char byte;
    beast::error_code ec;
    stalled.read_some(net::buffer(&byte, 1), ec);
    EXPECT_TRUE(ec == net::error::eof || ec == net::error::connection_reset) << ec.message();
}

// With decide_upgrades the application answers each request: its headers go
// into the 101, its status and body into a refusal.
class DecidingSink : public RecordingSink {
public:
    void on_upgrade(UpgradeInfo info) override {
        std::lock_guard lock(mutex);
        upgrades.push_back(std::move(info));
        changed.notify_all();
    }
    UpgradeInfo next_upgrade() {
        std::unique_lock lock(mutex);
        changed.wait_for(lock, std::chrono::seconds(20), [&] { return !upgrades.empty(); });
        if (upgrades.empty()) return {};
        auto info = std::move(upgrades.front());
        upgrades.erase(upgrades.begin());
        return info;
    }

private:
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<UpgradeInfo> upgrades;
};

void decide(Server& server, ConnectionId id, UpgradeDecision decision) {
    Command command;
    command.kind = Command::Kind::decide_upgrade;
    command.id = id;
    command.decision = std::make_shared<UpgradeDecision>(std::move(decision));
    std::vector<Command> batch{std::move(command)};
    server.submit(owner_thread(id), batch);
}

TEST_P(Handshake, TheApplicationAcceptsOrRefusesEachRequest) {
    auto options = this->options();
    options.host = "127.0.0.1";
    options.decide_upgrades = true;
    auto sink = std::make_shared<DecidingSink>();
    Server server(options, sink);
    const auto port = server.listen().port;

    auto refused = std::async(std::launch::async, [&] {
        return raw_http(port,
                        "GET /no HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                        "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
    });
    const auto first = sink->next_upgrade();
    ASSERT_NE(first.id, 0u);
    EXPECT_EQ(first.target, "/no");
    UpgradeDecision no;
    no.status = 403;
    no.message = "not you";
    decide(server, first.id, no);
    const auto response = refused.get();
    EXPECT_EQ(response.result_int(), 403u);
    EXPECT_EQ(response.body(), "not you");

    net::io_context io;
    Client client(io);
    client.next_layer().connect({net::ip::make_address("127.0.0.1"), port});
    websocket::response_type answer;
    auto accepted = std::async(std::launch::async, [&] { client.handshake(answer, "x", "/yes"); });
    const auto second = sink->next_upgrade();
    ASSERT_NE(second.id, 0u);
    EXPECT_EQ(second.target, "/yes");
    UpgradeDecision yes;
    yes.accept = true;
    yes.headers = {{"X-Session", "42"}};
    decide(server, second.id, yes);
    accepted.get();
    EXPECT_EQ(answer.result_int(), 101u);
    EXPECT_EQ(answer["X-Session"], "42");
    ASSERT_TRUE(sink->wait_until([&] { return sink->opens.size() == 1; }));
    EXPECT_EQ(sink->locked([&] { return sink->opens.front().id; }), second.id);
    client.close(websocket::close_code::normal);
    server.stop_now();
}

// A frame that arrives while the application decides (its readiness is
// reported before the connection is open, and taken then) is read once
// the 101 is out.
TEST_P(Handshake, AFrameSentWhileTheApplicationDecidesIsRead) {
    auto options = this->options();
    options.host = "127.0.0.1";
    options.threads = 1;  // both connections below on one worker, in order
    options.decide_upgrades = true;
    auto sink = std::make_shared<DecidingSink>();
    Server server(options, sink);
    sink->message_hook = [&](ConnectionId id, const std::string& payload, bool binary) {
        server.send(id, OutboundMessage{make_payload(payload), binary});
    };
    const auto port = server.listen().port;
    net::io_context io;
    tcp::socket socket(io), later(io);
    socket.connect({net::ip::make_address("127.0.0.1"), port});
    net::write(socket, net::buffer(kUpgradeRequest));
    const auto upgrade = sink->next_upgrade();
    ASSERT_NE(upgrade.id, 0u);
    net::write(socket, net::buffer(masked_text_frame("while deciding")));
    // On loopback the frame is in the server's socket when write returns.
    // The worker handles readiness in the order it arose, so once it has
    // seen a request sent after the frame, the frame's readiness has been
    // handled too, while the first request still waits for its verdict.
    later.connect({net::ip::make_address("127.0.0.1"), port});
    net::write(later, net::buffer(kUpgradeRequest));
    ASSERT_NE(sink->next_upgrade().id, 0u);
    UpgradeDecision yes;
    yes.accept = true;
    decide(server, upgrade.id, yes);
    beast::flat_buffer buffer;
    EXPECT_EQ(read_status(socket, buffer), 101u);
    EXPECT_EQ(read_text_frame(socket, buffer), "while deciding");
    server.stop_now();
}

// Caps this process's descriptors at those open now, for the scope's life.
class NoNewDescriptors {
public:
    NoNewDescriptors() {
        ok_ = ::getrlimit(RLIMIT_NOFILE, &saved_) == 0;
        // The lowest free number as the limit: every number below it is in
        // use, so no new descriptor can be made.
        const int lowest_free = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        ok_ = ok_ && lowest_free >= 0;
        if (!ok_) return;
        ::close(lowest_free);
        rlimit capped = saved_;
        capped.rlim_cur = static_cast<rlim_t>(lowest_free);
        ok_ = ::setrlimit(RLIMIT_NOFILE, &capped) == 0;
    }
    ~NoNewDescriptors() { lift(); }
    NoNewDescriptors(const NoNewDescriptors&) = delete;
    NoNewDescriptors& operator=(const NoNewDescriptors&) = delete;

    bool ok() const { return ok_; }
    void lift() {
        if (ok_) ::setrlimit(RLIMIT_NOFILE, &saved_);
        ok_ = false;
    }

private:
    rlimit saved_{};
    bool ok_ = false;
};

// Out of descriptors, accepting fails (EMFILE) and the connection stays in
// the listen queue. No new connection comes to raise another readiness edge,
// so it is the server's retry that takes it once descriptors are free.
// (Not in the sanitizer run: see scripts/test-native.)
TEST_P(Handshake, AcceptingResumesAfterRunningOutOfDescriptors) {
    EchoServer fixture(options());
    net::io_context io;
    Client client(io);
    client.next_layer().open(tcp::v4());  // the client's descriptor, made before the cap
    NoNewDescriptors cap;
    ASSERT_TRUE(cap.ok());
    client.next_layer().connect({net::ip::make_address("127.0.0.1"), fixture.port});
    const bool failed = poll_until([&] { return fixture.server->stats().accept_errors > 0; });
    cap.lift();
    ASSERT_TRUE(failed);
    EXPECT_TRUE(fixture.sink->locked([&] { return fixture.sink->opens.empty(); }));

    // Bounded: without the retry the handshake would wait forever.
    bool open = false;
    client.async_handshake("127.0.0.1", "/", [&](beast::error_code ec) { open = !ec; });
    io.run_for(std::chrono::seconds(5));
    ASSERT_TRUE(open);
    client.write(net::buffer(std::string("after the retry")));
    EXPECT_EQ(read_text(client), "after the retry");
    client.close(websocket::close_code::normal);
}

}  // namespace
}  // namespace hyphae::test
