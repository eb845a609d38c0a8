#pragma once
// Connects from a given source address and performs the WebSocket upgrade;
// then hands over the socket and any bytes that followed the 101 response.
#include <array>
#include <boost/asio.hpp>
#include <functional>
#include <memory>
#include <string>

namespace hyphae::load {

namespace net = boost::asio;
using tcp = net::ip::tcp;

class Upgrade : public std::enable_shared_from_this<Upgrade> {
public:
    using Done = std::function<void(bool ok, std::string leftover)>;

    Upgrade(tcp::socket& socket, tcp::endpoint server, net::ip::address source, std::string path)
        : socket_(socket), server_(server), source_(source), path_(std::move(path)) {}

    void run(Done done) {
        done_ = std::move(done);
        boost::system::error_code ec;
        socket_.open(server_.protocol(), ec);
        if (!ec) socket_.set_option(net::socket_base::reuse_address(true), ec);
        if (!ec) socket_.bind(tcp::endpoint(source_, 0), ec);
        if (ec) return finish(false, {});
        socket_.async_connect(server_, [self = shared_from_this()](boost::system::error_code ec) {
            if (ec) return self->finish(false, {});
            self->socket_.set_option(tcp::no_delay(true), ec);
            self->request_ =
                "GET " + self->path_ +
                " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
            net::async_write(self->socket_, net::buffer(self->request_),
                             [self](boost::system::error_code ec, std::size_t) {
                                 if (ec) return self->finish(false, {});
                                 self->read_response();
                             });
        });
    }

private:
    void read_response() {
        socket_.async_read_some(
            net::buffer(input_),
            [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                if (ec) return self->finish(false, {});
                self->response_.append(self->input_.data(), n);
                const auto end = self->response_.find("\r\n\r\n");
                if (end == std::string::npos) return self->read_response();
                const bool ok = self->response_.compare(0, 12, "HTTP/1.1 101") == 0;
                self->finish(ok, self->response_.substr(end + 4));
            });
    }

    void finish(bool ok, std::string leftover) {
        if (done_) std::exchange(done_, nullptr)(ok, std::move(leftover));
    }

    tcp::socket& socket_;
    tcp::endpoint server_;
    net::ip::address source_;
    std::string path_;
    std::string request_;
    std::string response_;
    std::array<char, 4096> input_{};
    Done done_;
};

// Upgrades a client's socket, reports the outcome to `ready`, then hands the
// bytes that followed the 101 to client->on_bytes() and starts client->read().
template <class Client>
void upgrade_then_read(std::shared_ptr<Client> client, tcp::socket& socket, tcp::endpoint server,
                       net::ip::address source, const std::string& path, std::uint64_t& errors,
                       std::function<void(bool)> ready) {
    auto upgrade = std::make_shared<Upgrade>(socket, server, source, path);
    upgrade->run([client, &errors, ready = std::move(ready)](bool ok, std::string leftover) {
        if (!ok) ++errors;
        ready(ok);
        if (!ok) return;
        if (!leftover.empty()) client->on_bytes(leftover.data(), leftover.size());
        client->read();
    });
}

// The source address of the index-th connection: 127.0.0.1 .. 127.0.0.<sources>.
inline net::ip::address source_address(std::size_t index, unsigned sources) {
    return net::ip::make_address("127.0.0." + std::to_string(1 + index % (sources ? sources : 1)));
}

}  // namespace hyphae::load
