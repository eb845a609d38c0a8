// Echo on hyphae's core alone: no JS, no binding, no hop to another thread.
// A reference for BENCHMARKS.md, not a contender: the difference between
// this and hyphae-echo.js is what the JS handler costs per message (N-API,
// V8, the hand-off between the io thread and the JS thread).
//
// The sink runs on the io thread; it collects one send per message and, at
// the end of the io round (flush), hands them back to the same thread as one
// command batch, as the binding does with a JS turn's sends.
// Prints "listening <port>"; exits when stdin closes.
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "hyphae/server.hpp"

namespace {

class EchoSink final : public hyphae::EventSink {
public:
    void attach(hyphae::Server* server) { server_ = server; }

    void on_open(hyphae::ConnectionInfo) override {}
    bool on_message(hyphae::ConnectionId id, std::string& payload, bool binary) override {
        hyphae::Command command;
        command.id = id;
        command.message = hyphae::OutboundMessage{hyphae::make_payload(payload), binary};
        pending_.push_back(std::move(command));
        return true;
    }
    void on_drain(hyphae::ConnectionId) override {}
    void on_error(hyphae::ConnectionId, std::string) override {}
    void on_close(hyphae::ConnectionId, std::uint16_t, std::string) override {}
    void on_server_closed() override {}
    void flush() override {
        if (!pending_.empty() && server_ != nullptr) server_->submit(0, pending_);
    }

private:
    hyphae::Server* server_ = nullptr;
    // Only the one io thread touches it.
    std::vector<hyphae::Command> pending_;
};

}  // namespace

int main() {
    hyphae::ServerOptions options;
    options.host = "127.0.0.1";
    options.threads = 1;  // the sink's batch goes to worker 0
    auto sink = std::make_shared<EchoSink>();
    hyphae::Server server(options, sink);
    sink->attach(&server);
    const auto endpoint = server.listen();
    std::printf("listening %u\n", static_cast<unsigned>(endpoint.port));
    std::fflush(stdout);
    std::string ignored;
    while (std::getline(std::cin, ignored)) {
    }
    server.stop_now();
    server.join();
    return 0;
}
