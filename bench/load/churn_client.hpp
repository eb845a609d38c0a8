#pragma once
// One churn loop: connect, upgrade, send a close frame, wait for the server to
// close, and start again, until told to stop. Counts completed cycles.
#include <array>
#include <memory>

#include "frames.hpp"
#include "upgrade.hpp"

namespace hyphae::load {

struct ChurnTotals {
    std::uint64_t cycles = 0;
    std::uint64_t errors = 0;
    bool running = true;
};

class ChurnLoop : public std::enable_shared_from_this<ChurnLoop> {
public:
    ChurnLoop(net::io_context& io, tcp::endpoint server, net::ip::address source,
              ChurnTotals& totals)
        : io_(io), server_(server), source_(source), totals_(totals) {
        // A close frame with code 1000, masked.
        const char code[2] = {0x03, static_cast<char>(0xE8)};
        std::string frame;
        append_frame(frame, false, code, 2, 0x0BADF00Du);
        frame[0] = static_cast<char>(0x88);  // opcode close, FIN
        close_frame_ = frame;
    }

    void cycle() {
        if (!totals_.running) return;
        socket_ = std::make_unique<tcp::socket>(io_);
        auto upgrade = std::make_shared<Upgrade>(*socket_, server_, source_, "/");
        upgrade->run([self = shared_from_this()](bool ok, std::string) {
            if (!ok) {
                ++self->totals_.errors;
                return self->restart();
            }
            net::async_write(*self->socket_, net::buffer(self->close_frame_),
                             [self](boost::system::error_code ec, std::size_t) {
                                 if (ec) return self->restart();
                                 self->drain();
                             });
        });
    }

private:
    // Reads until the server closes the TCP connection (after its close frame).
    void drain() {
        socket_->async_read_some(
            net::buffer(input_),
            [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                if (!ec) return self->drain();
                if (ec == net::error::eof)
                    ++self->totals_.cycles;
                else
                    ++self->totals_.errors;
                self->restart();
            });
    }

    void restart() {
        boost::system::error_code ignored;
        if (socket_) socket_->close(ignored);
        net::post(io_, [self = shared_from_this()] { self->cycle(); });
    }

    net::io_context& io_;
    tcp::endpoint server_;
    net::ip::address source_;
    ChurnTotals& totals_;
    std::unique_ptr<tcp::socket> socket_;
    std::string close_frame_;
    std::array<char, 1024> input_{};
};

}  // namespace hyphae::load
