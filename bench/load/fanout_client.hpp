#pragma once
// A fan-out subscriber: connects to /sub, then counts every message the
// server publishes and times it from the server's wall-clock stamp (publish→receive).
#include <array>
#include <memory>

#include "frames.hpp"
#include "histogram.hpp"
#include "stamp.hpp"
#include "upgrade.hpp"

namespace hyphae::load {

struct FanoutTotals {
    Histogram latency;
    std::uint64_t delivered = 0;
    std::uint64_t errors = 0;
    std::uint64_t last_ns = 0;  // when the last message arrived
};

class FanoutClient : public std::enable_shared_from_this<FanoutClient> {
public:
    FanoutClient(net::io_context& io, FanoutTotals& totals) : socket_(io), totals_(totals) {}

    void start(tcp::endpoint server, net::ip::address source, const std::string& path,
               std::function<void(bool)> ready) {
        upgrade_then_read(shared_from_this(), socket_, server, source, path, totals_.errors,
                          std::move(ready));
    }

    // For the trigger connection: sends one masked text message.
    void send_text(const std::string& text) {
        outgoing_.clear();
        append_frame(outgoing_, false, text.data(), text.size(), 0x1234ABCDu);
        net::async_write(socket_, net::buffer(outgoing_),
                         [self = shared_from_this()](boost::system::error_code, std::size_t) {});
    }

    void close() {
        boost::system::error_code ignored;
        socket_.close(ignored);
    }

    // read() and on_bytes() are started by upgrade_then_read().
    void read() {
        socket_.async_read_some(
            net::buffer(input_),
            [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                if (ec) return;
                self->on_bytes(self->input_.data(), n);
                self->read();
            });
    }

    void on_bytes(const char* data, std::size_t size) {
        const std::uint64_t now = now_ns();
        const std::uint64_t wall = wall_us();
        parser_.feed(data, size, [&](const char* payload, std::size_t length) {
            if (length >= 16) {
                const std::uint64_t sent = decode_stamp(payload);
                totals_.latency.record(wall > sent ? wall - sent : 0);
            }
            ++totals_.delivered;
            totals_.last_ns = now;
        });
    }

private:
    tcp::socket socket_;
    FanoutTotals& totals_;
    FrameParser parser_;
    std::array<char, 64 * 1024> input_{};
    std::string outgoing_;
};

}  // namespace hyphae::load
