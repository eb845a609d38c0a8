// The own frame writer (RawSession) under a full socket: frames of every
// header size, small ones laid out together and large ones sent from their
// own buffer, resumed mid-frame after short writes, arrive intact and in
// order.
#include <gtest/gtest.h>

#include "test_support.hpp"

namespace hyphae::test {
namespace {

// Sizes around every boundary the writer has: the 7-bit, 16-bit and 64-bit
// length forms and the 1 KiB limit for copying a payload next to its header.
constexpr std::size_t kSizes[] = {0, 1, 125, 126, 1000, 1024, 1025, 65535, 65536, 100000};

std::string payload_for(std::size_t index, std::size_t size) {
    std::string bytes(size, '\0');
    for (std::size_t j = 0; j < size; ++j)
        bytes[j] = static_cast<char>((index * 31 + j * 7) & 0xFF);
    return bytes;
}

ConnectionId only_open_id(RecordingSink& sink) {
    return sink.locked([&] { return sink.opens.front().id; });
}

TEST(WriteQueue, MixedSizesThroughAFullSocketArriveIntactAndInOrder) {
    ServerOptions options;
    options.max_backpressure = 0;  // everything is queued, however slow the reader
    EchoServer fixture(options, false);
    net::io_context io;
    auto client = connect_client(io, fixture.port);
    ASSERT_TRUE(fixture.sink->wait_until([&] { return fixture.sink->opens.size() == 1; }));
    const ConnectionId id = only_open_id(*fixture.sink);

    // About 35 MB queued while the client reads nothing: far more than the
    // socket buffers take (loopback grows them to a few MB), so writes come
    // up short and resume on EPOLLOUT.
    constexpr std::size_t kRounds = 150;
    const std::size_t count = kRounds * std::size(kSizes);
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t size = kSizes[i % std::size(kSizes)];
        ASSERT_GT(fixture.server->send(id, {make_payload(payload_for(i, size)), true}), 0u);
    }
    std::size_t intact = 0;
    for (std::size_t i = 0; i < count; ++i) {
        bool binary = false;
        const std::string got = read_text(*client, &binary);
        if (binary && got == payload_for(i, kSizes[i % std::size(kSizes)])) ++intact;
    }
    EXPECT_EQ(intact, count);
}

}  // namespace
}  // namespace hyphae::test
