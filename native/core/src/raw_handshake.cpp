// RawSession's opening handshake, on the own handshake path: the request is
// read from the socket the session will serve (already in the host's epoll
// set, once for the connection's whole life), parsed by Beast's HTTP
// parser, judged by the policy (and the application, when it decides),
// and answered with a 101 written here. No asio socket, no Beast stream and
// no per-connection timer: churn's connect/handshake/close cycle made 21
// syscalls on Beast's handshake against 11 for Bun (BENCHMARKS.md).
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "hyphae/close_codes.hpp"
#include "hyphae/session_host.hpp"
#include "raw_handshake.hpp"

namespace hyphae {

void RawSession::start(std::string preread) {
    if (state_ != State::handshaking || !handshake_) return;
    auto& handshake = *handshake_;
    const auto& context = owner_.context();
    handshake.parser.header_limit(static_cast<std::uint32_t>(context.options.max_header_bytes));
    handshake.adopted = !preread.empty();
    const auto [total, from_peer] = context.counts->add(peer_);
    handshake.context = UpgradeContext{total, from_peer};
    counted_ = true;
    // Bounds the whole handshake, slow senders included.
    owner_.handshake_deadlines().push(*this);
    // Edge-triggered: input already waiting is reported by the first wait.
    if (fd_ < 0 || !owner_.poller().add(fd_, this)) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
        return finish(false, close_code::abnormal, {});
    }
    if (!preread.empty()) {
        handshake.input = std::move(preread);
        parse_request();
    }
}

void RawSession::handshake_ready(std::uint32_t events) {
    if ((events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) hung_up_ = true;
    const bool input = (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
    // Input behind a complete request waits for open; its edge is taken now.
    if (input && handshake_->request_done) handshake_->unread = true;
    if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0 && handshake_->write_blocked) {
        handshake_->write_blocked = false;
        write_answer();
        if (state_ != State::handshaking) return;
    }
    if (input) read_request();
}

void RawSession::read_request() {
    auto& buffer = owner_.read_buffer();
    while (state_ == State::handshaking && !handshake_->request_done) {
        const ssize_t got = receive(buffer);
        if (got < 0) {
            handshake_->unread = false;  // nothing waiting: the next arrival raises an edge
            return;
        }
        // The peer left (or failed) before its request was complete.
        if (got == 0) return finish(false, close_code::abnormal, {});
        // A read shorter than the buffer emptied the socket.
        handshake_->unread = static_cast<std::size_t>(got) == buffer.size();
        handshake_->input.append(reinterpret_cast<const char*>(buffer.data()),
                                 static_cast<std::size_t>(got));
        if (!parse_request()) return;
    }
}

bool RawSession::parse_request() {
    auto& handshake = *handshake_;
    auto& parser = handshake.parser;
    std::size_t offset = 0;
    for (;;) {
        beast::error_code ec;
        const std::size_t used = parser.put(
            net::buffer(handshake.input.data() + offset, handshake.input.size() - offset), ec);
        offset += used;
        if (ec == http::error::need_more) break;
        if (ec == http::error::header_limit) {
            refuse(431, "Request Header Fields Too Large");
            return false;
        }
        if (ec) {
            refuse(400, "Bad Request");
            return false;
        }
        if (parser.is_done()) {
            // What follows the request is the client's first frames.
            handshake.input.erase(0, offset);
            handshake.request_done = true;
            on_request();
            return false;
        }
        if (used == 0) break;
    }
    handshake.input.erase(0, offset);
    // The parser holds back an incomplete header; bound what waits for it.
    if (handshake.input.size() > owner_.context().options.max_header_bytes) {
        refuse(431, "Request Header Fields Too Large");
        return false;
    }
    return true;
}

void RawSession::on_request() {
    auto& handshake = *handshake_;
    const auto& options = owner_.context().options;
    const auto& request = handshake.parser.get();
    const auto verdict = evaluate_upgrade(request, options.policy, handshake.context);
    if (!verdict.accept) return refuse(verdict.status, verdict.body);
    handshake.protocol = verdict.protocol;
    if (!options.decide_upgrades) return accept_upgrade({}, {});
    // Ask the application; the handshake timeout bounds its answer anew.
    handshake.deciding = true;
    owner_.handshake_deadlines().push(*this);
    UpgradeInfo info;
    info.id = id();
    info.remote_address = handshake.remote_address;
    info.remote_port = handshake.remote_port;
    info.target = std::string(request.target());
    info.protocols = std::string(request[http::field::sec_websocket_protocol]);
    info.headers = request_headers(request);
    owner_.events().on_upgrade(std::move(info));
}

void RawSession::decide_upgrade(UpgradeDecision decision) {
    if (state_ != State::handshaking || !handshake_ || !handshake_->deciding) return;
    handshake_->deciding = false;
    if (!decision.accept) {
        const unsigned status =
            decision.status >= 400 && decision.status <= 599 ? decision.status : 401;
        return refuse(status, decision.message.empty() ? "Unauthorized" : decision.message);
    }
    accept_upgrade(std::move(decision.protocol), decision.headers);
}

void RawSession::accept_upgrade(std::string protocol, const HeaderList& headers) {
    auto& handshake = *handshake_;
    if (!protocol.empty()) handshake.protocol = std::move(protocol);
    const auto& request = handshake.parser.get();
    if (auto refusal = check_websocket_request(request)) {
        return refuse(refusal->status, refusal->body);
    }
    const auto key = request[http::field::sec_websocket_key];
    handshake.answer = switching_protocols_response(std::string_view(key.data(), key.size()),
                                                    handshake.protocol, headers);
    handshake.accepting = true;
    write_answer();
}

void RawSession::refuse(unsigned status, std::string_view body) {
    auto& handshake = *handshake_;
    handshake.request_done = true;  // nothing more is read
    handshake.deciding = false;
    handshake.answer = refusal_response(status, body);
    handshake.written = 0;
    handshake.refusing = true;
    write_answer();
}

void RawSession::write_answer() {
    auto& handshake = *handshake_;
    while (handshake.written < handshake.answer.size()) {
        const ssize_t sent =
            ::send(fd_, handshake.answer.data() + handshake.written,
                   handshake.answer.size() - handshake.written, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                handshake.write_blocked = true;  // EPOLLOUT continues
                return;
            }
            return finish(false, close_code::abnormal, {});
        }
        handshake.written += static_cast<std::size_t>(sent);
    }
    answer_written();
}

void RawSession::answer_written() {
    auto& handshake = *handshake_;
    if (handshake.refusing) {
        // The answer is all the client gets: our FIN follows it.
        ::shutdown(fd_, SHUT_WR);
        return finish(false, close_code::abnormal, {});
    }
    DeadlineQueue::remove(*this);
    const auto& request = handshake.parser.get();
    ConnectionInfo info;
    info.id = id();
    info.remote_address = std::move(handshake.remote_address);
    info.remote_port = handshake.remote_port;
    info.target = std::string(request.target());
    info.status = status_;
    info.protocol = std::move(handshake.protocol);
    info.headers = request_headers(request);
    const std::string early = std::move(handshake.input);
    const bool unread = handshake.unread || hung_up_;
    auto closing = std::move(handshake.close_when_open);
    handshake_.reset();

    if (auto* adopter = owner_.open_connections_adopter()) {
        // Same-thread mode: the JS thread's loop serves the connection. A
        // close_when_open here can only come from the shutdown, which the
        // adopter is in as well: it closes what it adopts then.
        owner_.poller().remove(fd_, this);
        Handoff handoff{std::exchange(fd_, -1), status_, counted_, peer_};
        counted_ = false;
        state_ = State::finished;
        owner_.session_finished(id());
        adopter->adopt(id(), std::move(handoff), std::move(info), early);
        return;
    }
    state_ = State::open;
    begin(std::move(info), early);
    if (state_ != State::open) return;
    // Frames that arrived behind the request, after what came with it.
    if (unread) read_ready();
    if (closing && state_ == State::open) close(closing->code, std::move(closing->reason));
}

void RawSession::close_handshake(std::uint16_t code, std::string reason) {
    auto& handshake = *handshake_;
    // A client that gets its 101 is told why it is closed, like any open
    // connection (a shutdown that overtakes the 101 on its way).
    if (handshake.accepting) {
        handshake.close_when_open = Ending{code, std::move(reason)};
        return;
    }
    if (handshake.refusing) return;
    // Waiting for the application's verdict: answered, not dropped.
    if (handshake.deciding) return refuse(503, "Service Unavailable");
    terminate();
}

}  // namespace hyphae
