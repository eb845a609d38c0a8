#pragma once
// One echo connection of the load generator: upgrades, then keeps `depth`
// messages in flight; every echoed message is timed (a send timestamp rides
// in the payload) and replaced by a new one. Outgoing frames queued while a
// write is in flight go out together in the next write.
#include <boost/asio.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "frames.hpp"
#include "histogram.hpp"
#include "stamp.hpp"
#include "upgrade.hpp"

namespace hyphae::load {

namespace net = boost::asio;
using tcp = net::ip::tcp;

struct EchoSettings {
    tcp::endpoint server;
    std::string path = "/";
    std::size_t depth = 1;
    std::size_t size = 32;
    bool binary = false;
};

// Shared by all connections of a run (single-threaded).
struct EchoTotals {
    Histogram latency;
    std::uint64_t messages = 0;  // echoes received while measuring
    std::uint64_t errors = 0;
    bool measuring = false;
    bool sending = true;
};

class EchoClient : public std::enable_shared_from_this<EchoClient> {
public:
    EchoClient(net::io_context& io, const EchoSettings& settings, EchoTotals& totals,
               net::ip::address source)
        : socket_(io), settings_(settings), totals_(totals), source_(source) {}

    // Calls `ready(ok)` once the upgrade succeeded or failed.
    void start(std::function<void(bool)> ready) {
        upgrade_then_read(shared_from_this(), socket_, settings_.server, source_, settings_.path,
                          totals_.errors, std::move(ready));
    }

    void begin_load() {
        for (std::size_t i = 0; i < settings_.depth; ++i) queue_message();
        flush();
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
                if (ec) {
                    if (ec != net::error::operation_aborted) ++self->totals_.errors;
                    return;
                }
                self->on_bytes(self->input_.data(), n);
                self->read();
            });
    }

    void on_bytes(const char* data, std::size_t size) {
        parser_.feed(data, size, [this](const char* payload, std::size_t length) {
            if (length >= 16) {
                const std::uint64_t sent = decode_stamp(payload);
                if (totals_.measuring) {
                    totals_.latency.record((now_ns() - sent) / 1000);
                    ++totals_.messages;
                }
            }
            if (totals_.sending) queue_message();
        });
        flush();
    }

private:
    // Payload: the send stamp, padded to `size`.
    void queue_message() {
        if (payload_.size() != settings_.size) payload_.assign(settings_.size, 'x');
        encode_stamp(now_ns(), payload_.data());
        append_frame(pending_, settings_.binary, payload_.data(), payload_.size(), 0x5A17C0DEu);
    }

    void flush() {
        if (writing_ || pending_.empty()) return;
        writing_ = true;
        in_flight_.swap(pending_);
        pending_.clear();
        net::async_write(socket_, net::buffer(in_flight_),
                         [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                             self->writing_ = false;
                             self->in_flight_.clear();
                             if (ec) {
                                 if (ec != net::error::operation_aborted) ++self->totals_.errors;
                                 return;
                             }
                             self->flush();
                         });
    }

    tcp::socket socket_;
    const EchoSettings& settings_;
    EchoTotals& totals_;
    net::ip::address source_;
    std::array<char, 64 * 1024> input_{};
    FrameParser parser_;
    std::string payload_;
    std::string pending_;
    std::string in_flight_;
    bool writing_ = false;
};

}  // namespace hyphae::load
