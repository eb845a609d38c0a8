#include <gtest/gtest.h>

#include "test_support.hpp"

namespace hyphae::test {
namespace {

// 10,000 connect/upgrade/close cycles. Run under ASan+UBSan in CI, where
// LeakSanitizer reports anything a cycle leaves behind at exit; here the
// counts prove every cycle opened and closed exactly once and nothing stayed.
TEST(Churn, TenThousandConnectCloseCyclesLeaveNothingBehind) {
    EchoServer fixture({}, false);
    constexpr int kCycles = 10'000;
    net::io_context io;
    for (int cycle = 0; cycle < kCycles; ++cycle) {
        Client client(io);
        client.next_layer().connect({net::ip::make_address("127.0.0.1"), fixture.port});
        client.handshake("127.0.0.1", "/");
        // Beast's synchronous close waits for the server's close frame.
        beast::error_code ec;
        client.close(websocket::close_code::normal, ec);
        ASSERT_FALSE(ec) << "cycle " << cycle << ": " << ec.message();
    }
    ASSERT_TRUE(fixture.sink->wait_until([&] { return fixture.sink->closes.size() == kCycles; },
                                         std::chrono::seconds(60)));
    EXPECT_EQ(fixture.sink->locked([&] { return fixture.sink->opens.size(); }),
              static_cast<std::size_t>(kCycles));
    const auto stats = fixture.server->stats();
    EXPECT_EQ(stats.connections_opened, static_cast<std::uint64_t>(kCycles));
    EXPECT_EQ(stats.connections_closed, static_cast<std::uint64_t>(kCycles));
    EXPECT_EQ(fixture.server->connection_count(), 0u);
    for (const auto& closed : fixture.sink->locked([&] { return fixture.sink->closes; })) {
        EXPECT_EQ(closed.code, 1000);
    }
}

}  // namespace
}  // namespace hyphae::test
