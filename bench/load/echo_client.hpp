#pragma once
// One echo connection of the load generator. asio connects and upgrades it;
// the load itself runs on the raw descriptor (EchoLoop), because asio's
// per-operation costs, a speculative read that fails with EAGAIN after every
// echo among them, made the generator the limit against the fastest servers.
// The connection keeps `depth` messages in flight; every echoed message is
// timed (a send timestamp rides in the payload) and replaced by a new one.
#include <sys/socket.h>

#include <boost/asio.hpp>
#include <cerrno>
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

class EchoClient {
public:
    EchoClient(net::io_context& io, const EchoSettings& settings, EchoTotals& totals,
               net::ip::address source)
        : socket_(io),
          settings_(settings),
          totals_(totals),
          source_(source),
          frame_(settings.binary, settings.size, 0x5A17C0DEu) {}

    // Calls `ready(ok)` once the upgrade succeeded or failed.
    void start(std::function<void(bool)> ready) {
        upgrade_ = std::make_shared<Upgrade>(socket_, settings_.server, source_, settings_.path);
        upgrade_->run([this, ready = std::move(ready)](bool ok, std::string leftover) {
            if (!ok) ++totals_.errors;
            leftover_ = std::move(leftover);
            ready(ok);
        });
    }

    int fd() { return socket_.native_handle(); }
    bool open() const { return open_; }
    bool wants_write() const { return sent_ < pending_.size(); }

    // Puts the first `depth` messages on the wire (and reads what followed the 101).
    void begin_load() {
        upgrade_.reset();
        socket_.native_non_blocking(true);
        open_ = true;
        if (!leftover_.empty()) on_bytes(leftover_.data(), leftover_.size());
        for (std::size_t i = 0; i < settings_.depth; ++i) frame_.append(pending_, now_ns());
        flush();
    }

    // One read per readiness: level-triggered polling reports what is left.
    void on_readable(char* buffer, std::size_t capacity) {
        const ssize_t n = ::recv(fd(), buffer, capacity, 0);
        if (n > 0) {
            on_bytes(buffer, static_cast<std::size_t>(n));
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            fail();
        }
    }

    void on_writable() { flush(); }

    void close() {
        open_ = false;
        boost::system::error_code ignored;
        socket_.close(ignored);
    }

private:
    void on_bytes(const char* data, std::size_t size) {
        parser_.feed(data, size, [this](const char* payload, std::size_t length) {
            const std::uint64_t now = now_ns();
            if (length >= 16 && totals_.measuring) {
                totals_.latency.record((now - decode_stamp(payload)) / 1000);
                ++totals_.messages;
            }
            if (totals_.sending) frame_.append(pending_, now);
        });
        flush();
    }

    void flush() {
        while (open_ && sent_ < pending_.size()) {
            const ssize_t n =
                ::send(fd(), pending_.data() + sent_, pending_.size() - sent_, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR) return;  // EchoLoop waits for POLLOUT
                return fail();
            }
            sent_ += static_cast<std::size_t>(n);
        }
        pending_.clear();
        sent_ = 0;
    }

    void fail() {
        if (!open_) return;
        if (totals_.sending) ++totals_.errors;
        close();
    }

    tcp::socket socket_;
    const EchoSettings& settings_;
    EchoTotals& totals_;
    net::ip::address source_;
    StampedFrame frame_;
    std::shared_ptr<Upgrade> upgrade_;
    std::string leftover_;
    FrameParser parser_;
    std::string pending_;
    std::size_t sent_ = 0;
    bool open_ = false;
};

}  // namespace hyphae::load
