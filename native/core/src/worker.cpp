#include "hyphae/worker.hpp"

#include "hyphae/close_codes.hpp"
#include "hyphae/session.hpp"

namespace hyphae {

Worker::Worker(unsigned index, std::shared_ptr<const ServerContext> context)
    : index_(index), context_(std::move(context)) {}

void Worker::start(std::function<void()> on_exit) {
    guard_.emplace(io_.get_executor());
    thread_ = std::thread([this, on_exit = std::move(on_exit)] {
        io_.run();
        on_exit();
    });
}

void Worker::join() {
    if (thread_.joinable()) thread_.join();
}

void Worker::adopt(tcp::socket socket) {
    if (stopping_ || next_sequence_ > kMaxSequence) {
        beast::error_code ignored;
        socket.close(ignored);
        return;
    }
    const ConnectionId id = make_connection_id(next_sequence_++, index_);
    auto session = std::make_shared<Session>(*this, id, std::move(socket));
    sessions_.add(id, session);
    session->start();
}

void Worker::session_finished(ConnectionId id) {
    topics_.remove_connection(id);
    // Holding a finished session would keep its Beast timers armed (and this
    // io_context running) until they expire.
    if (!paused_.empty()) {
        std::erase_if(paused_, [id](const auto& session) { return session->id() == id; });
    }
    sessions_.remove(id);
    if (stopping_) release_when_idle();
}

void Worker::begin_shutdown(std::chrono::milliseconds grace) {
    if (stopping_) return;
    stopping_ = true;
    for (const auto& session : sessions_.snapshot()) {
        session->close(close_code::going_away, "Server shutting down");
    }
    if (!sessions_.empty()) {
        shutdown_timer_.emplace(io_, grace);
        shutdown_timer_->async_wait([this](beast::error_code ec) {
            if (!ec) terminate_all();
        });
    }
    release_when_idle();
}

void Worker::terminate_all() {
    for (const auto& session : sessions_.snapshot()) session->terminate();
    paused_.clear();
}

void Worker::publish(const std::string& topic, const OutboundMessage& message,
                     ConnectionId exclude) {
    const auto* subscribers = topics_.subscribers(topic);
    if (subscribers == nullptr) return;
    // Every subscriber queues the same immutable payload: no copy per send.
    for (const auto& subscriber : *subscribers) {
        if (subscriber.id != exclude) subscriber.session->send(message);
    }
}

void Worker::pause(std::shared_ptr<Session> session) {
    paused_.push_back(std::move(session));
}

void Worker::resume_paused() {
    auto paused = std::move(paused_);
    paused_.clear();
    for (const auto& session : paused) session->resume_reading();
}

void Worker::release_when_idle() {
    if (!sessions_.empty()) return;
    if (shutdown_timer_) shutdown_timer_->cancel();
    guard_.reset();
}

}  // namespace hyphae
