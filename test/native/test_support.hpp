#pragma once
// Shared helpers for the native tests: an event sink that records what the
// core reports (and can echo), and small Beast clients.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "hyphae/asio.hpp"
#include "hyphae/server.hpp"

namespace hyphae::test {

struct ClosedEvent {
    ConnectionId id;
    std::uint16_t code;
    std::string reason;
};

class RecordingSink : public EventSink {
public:
    // Called on the io thread for every message before it is recorded.
    std::function<void(ConnectionId, const std::string&, bool)> message_hook;

    void on_open(ConnectionInfo info) override {
        std::lock_guard lock(mutex_);
        opens.push_back(std::move(info));
        changed_.notify_all();
    }
    bool on_message(ConnectionId id, std::string& payload, bool binary) override {
        if (message_hook) message_hook(id, payload, binary);
        std::lock_guard lock(mutex_);
        ++message_count;
        if (keep_messages) messages.push_back({id, payload, binary});
        changed_.notify_all();
        return keep_reading;
    }
    bool on_control(ConnectionId id, Control kind, std::string_view payload) override {
        std::lock_guard lock(mutex_);
        controls.push_back({id, kind == Control::pong, std::string(payload)});
        changed_.notify_all();
        return true;
    }
    void on_drain(ConnectionId id) override {
        std::lock_guard lock(mutex_);
        drains.push_back(id);
        changed_.notify_all();
    }
    void on_error(ConnectionId id, std::string what) override {
        std::lock_guard lock(mutex_);
        errors.emplace_back(id, std::move(what));
        changed_.notify_all();
    }
    void on_close(ConnectionId id, std::uint16_t code, std::string reason) override {
        std::lock_guard lock(mutex_);
        closes.push_back({id, code, std::move(reason)});
        changed_.notify_all();
    }
    void on_refused(ConnectionId id) override {
        std::lock_guard lock(mutex_);
        refusals.push_back(id);
        changed_.notify_all();
    }
    void on_server_closed() override {
        std::lock_guard lock(mutex_);
        server_closed = true;
        changed_.notify_all();
    }

    // Waits until `ready()` holds (evaluated under the lock).
    bool wait_until(const std::function<bool()>& ready,
                    std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, ready);
    }
    template <class Fn>
    auto locked(Fn&& fn) {
        std::lock_guard lock(mutex_);
        return fn();
    }

    struct Message {
        ConnectionId id;
        std::string payload;
        bool binary;
    };
    struct ControlEvent {
        ConnectionId id;
        bool pong;  // else a ping
        std::string payload;
        bool operator==(const ControlEvent&) const = default;
    };
    bool keep_messages = true;
    // What on_message answers: false pauses the session's reading.
    std::atomic<bool> keep_reading{true};
    std::vector<ConnectionId> drains;
    std::vector<ConnectionInfo> opens;
    std::vector<Message> messages;
    std::vector<ControlEvent> controls;
    std::vector<std::pair<ConnectionId, std::string>> errors;
    std::vector<ClosedEvent> closes;
    std::vector<ConnectionId> refusals;  // adopted connections that never opened
    std::size_t message_count = 0;
    bool server_closed = false;

private:
    std::mutex mutex_;
    std::condition_variable changed_;
};

// A server on 127.0.0.1:<ephemeral> whose sink echoes every message back.
struct EchoServer {
    explicit EchoServer(ServerOptions options = {}, bool keep_messages = true) {
        options.host = "127.0.0.1";
        options.port = 0;
        sink = std::make_shared<RecordingSink>();
        sink->keep_messages = keep_messages;
        server = std::make_unique<Server>(options, sink);
        sink->message_hook = [this](ConnectionId id, const std::string& payload, bool binary) {
            server->send(id, OutboundMessage{make_payload(payload), binary});
        };
        port = server->listen().port;
    }
    ~EchoServer() { server->stop_now(); }

    std::shared_ptr<RecordingSink> sink;
    std::unique_ptr<Server> server;
    std::uint16_t port = 0;
};

using Client = websocket::stream<tcp::socket>;

inline std::unique_ptr<Client> connect_client(net::io_context& io, std::uint16_t port,
                                              const std::string& target = "/") {
    auto client = std::make_unique<Client>(io);
    client->next_layer().connect({net::ip::make_address("127.0.0.1"), port});
    client->handshake("127.0.0.1:" + std::to_string(port), target);
    return client;
}

inline std::string read_text(Client& client, bool* binary = nullptr) {
    beast::flat_buffer buffer;
    client.read(buffer);
    if (binary) *binary = client.got_binary();
    return beast::buffers_to_string(buffer.data());
}

// For state the core reports through no event (its counters): checks
// `ready` every millisecond until it holds or `limit` has passed.
inline bool poll_until(const std::function<bool()>& ready,
                       std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!ready()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

// Sends raw bytes over plain TCP and reads one HTTP response.
inline http::response<http::string_body> raw_http(std::uint16_t port, const std::string& request) {
    net::io_context io;
    tcp::socket socket(io);
    socket.connect({net::ip::make_address("127.0.0.1"), port});
    net::write(socket, net::buffer(request));
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(socket, buffer, response);
    return response;
}

}  // namespace hyphae::test
