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
        ready_ = std::move(ready);
        boost::system::error_code ec;
        socket_.open(settings_.server.protocol(), ec);
        if (!ec) socket_.bind(tcp::endpoint(source_, 0), ec);
        if (ec) return fail();
        socket_.async_connect(settings_.server,
                              [self = shared_from_this()](boost::system::error_code ec) {
                                  if (ec) return self->fail();
                                  self->socket_.set_option(tcp::no_delay(true), ec);
                                  self->handshake();
                              });
    }

    void begin_load() {
        for (std::size_t i = 0; i < settings_.depth; ++i) queue_message();
        flush();
    }

    void close() {
        boost::system::error_code ignored;
        socket_.close(ignored);
    }

private:
    static std::uint64_t now_ns() {
        return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                              std::chrono::steady_clock::now().time_since_epoch())
                                              .count());
    }

    void handshake() {
        request_ =
            "GET " + settings_.path +
            " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
        net::async_write(socket_, net::buffer(request_),
                         [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                             if (ec) return self->fail();
                             self->read_response();
                         });
    }

    void read_response() {
        socket_.async_read_some(
            net::buffer(input_),
            [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                if (ec) return self->fail();
                self->response_.append(self->input_.data(), n);
                const auto end = self->response_.find("\r\n\r\n");
                if (end == std::string::npos) return self->read_response();
                if (self->response_.compare(0, 12, "HTTP/1.1 101") != 0) return self->fail();
                // Bytes after the response head are already frames.
                const std::string rest = self->response_.substr(end + 4);
                self->response_.clear();
                self->upgraded_ = true;
                if (self->ready_) std::exchange(self->ready_, nullptr)(true);
                if (!rest.empty()) self->on_bytes(rest.data(), rest.size());
                self->read();
            });
    }

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

    // The send time as 16 hex digits: text payloads stay valid UTF-8.
    static void encode_stamp(std::uint64_t value, char* out) {
        static constexpr char digits[] = "0123456789abcdef";
        for (int i = 15; i >= 0; --i, value >>= 4) out[i] = digits[value & 0xF];
    }
    static std::uint64_t decode_stamp(const char* in) {
        std::uint64_t value = 0;
        for (int i = 0; i < 16; ++i) {
            const char c = in[i];
            value = (value << 4) | static_cast<std::uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
        }
        return value;
    }

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

    void fail() {
        ++totals_.errors;
        if (ready_) std::exchange(ready_, nullptr)(false);
    }

    tcp::socket socket_;
    const EchoSettings& settings_;
    EchoTotals& totals_;
    net::ip::address source_;
    std::function<void(bool)> ready_;
    std::string request_;
    std::string response_;
    std::array<char, 64 * 1024> input_{};
    FrameParser parser_;
    std::string payload_;
    std::string pending_;
    std::string in_flight_;
    bool writing_ = false;
    bool upgraded_ = false;
};

}  // namespace hyphae::load
