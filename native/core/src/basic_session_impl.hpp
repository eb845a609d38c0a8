#pragma once
// Member definitions of BasicSession, included by the two files that
// instantiate it (plain and TLS) so they compile in parallel.
#include "basic_session.hpp"

#include <utility>

#include "hyphae/close_codes.hpp"
#include "hyphae/frame.hpp"
#include "hyphae/upgrade_policy.hpp"
#include "hyphae/upgrade_response.hpp"
#include "hyphae/worker.hpp"

namespace hyphae {

namespace {

// A write queue whose backing store grew past this is released when it empties.
constexpr std::size_t kQueueKeepCapacity = 16;

bool is_http_error(const beast::error_code& ec) {
    return &ec.category() == &make_error_code(http::error::bad_target).category();
}

bool is_websocket_error(const beast::error_code& ec) {
    return &ec.category() == &make_error_code(websocket::error::closed).category();
}

// Beast's timeouts once open: Beast pings a silent peer halfway through its
// idle timeout (idleTimeout, or Beast's suggested 300 s) and drops it at the
// end. `idle` false turns that off while no read is pending: a paused
// session's pongs are not read, so its silence proves nothing.
websocket::stream_base::timeout beast_timeouts(const ServerOptions& options, bool idle) {
    auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
    timeouts.handshake_timeout = options.handshake_timeout;
    if (!idle) {
        timeouts.idle_timeout = websocket::stream_base::none();
        timeouts.keep_alive_pings = false;
    } else if (options.idle_timeout.count() > 0) {
        timeouts.idle_timeout = options.idle_timeout;
        timeouts.keep_alive_pings = true;
    }
    return timeouts;
}

// The close code Beast sent when it failed the connection on a protocol error.
std::uint16_t failure_close_code(const beast::error_code& ec) {
    if (ec == websocket::error::message_too_big) return close_code::message_too_big;
    if (ec == websocket::error::bad_frame_payload) return close_code::invalid_payload;
    return close_code::protocol_error;
}

}  // namespace

template <class Transport>
struct BasicSession<Transport>::Handshake {
    beast::flat_buffer buffer;
    http::request_parser<http::empty_body> parser;
    UpgradeRequest request;
    std::string refusal;  // the error answer being written
    std::string remote_address;
    std::uint16_t remote_port = 0;
    UpgradeContext context;
    std::string protocol;
    // While the application decides: bounds the wait by the handshake
    // timeout (no socket operation is pending to be cut by it).
    std::optional<net::steady_timer> deciding;
    // The upgrade is accepted and the 101 is on its way: the client will
    // take the connection as open.
    bool accepting = false;
};

template <class Transport>
BasicSession<Transport>::BasicSession(Worker& owner, ConnectionId id, Socket socket) requires(!kTls)
    : Session(id), owner_(owner), ws_(std::move(socket)) {}

template <class Transport>
BasicSession<Transport>::BasicSession(Worker& owner, ConnectionId id, Socket socket) requires(kTls)
    : Session(id), owner_(owner), ws_(std::move(socket), *owner.context().tls) {}

template <class Transport>
BasicSession<Transport>::~BasicSession() = default;

template <class Transport>
void BasicSession<Transport>::start(std::string preread) {
    const auto& options = owner_.context().options;
    handshake_ = std::make_unique<Handshake>();
    handshake_->parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
    if (!preread.empty()) {
        adopted_ = true;
        // http::async_read parses what the buffer holds before it reads.
        const auto size = preread.size();
        net::buffer_copy(handshake_->buffer.prepare(size), net::buffer(preread));
        handshake_->buffer.commit(size);
    }

    auto& stream = beast::get_lowest_layer(ws_);
    beast::error_code ec;
    const auto remote = stream.socket().remote_endpoint(ec);
    if (!ec) {
        handshake_->remote_address = remote.address().to_string();
        handshake_->remote_port = remote.port();
        peer_ = remote.address();
        const auto [total, from_peer] = owner_.context().counts->add(peer_);
        handshake_->context = UpgradeContext{total, from_peer};
        counted_ = true;
    }
    // Bounds the whole handshake (TLS included), slow senders included.
    stream.expires_after(options.handshake_timeout);
    if constexpr (kTls) {
        ws_.next_layer().async_handshake(
            net::ssl::stream_base::server, [self = self()](beast::error_code ec) {
                if (ec) {
                    WorkerStats::bump(self->owner_.stats().tls_failed);
                    return self->finish(false, close_code::abnormal, {});
                }
                self->read_request();
            });
    } else {
        read_request();
    }
}

template <class Transport>
void BasicSession<Transport>::read_request() {
    if (state_ != State::handshaking) return;
    http::async_read(ws_.next_layer(), handshake_->buffer, handshake_->parser,
                     [self = self()](beast::error_code ec, std::size_t) { self->on_request(ec); });
}

template <class Transport>
void BasicSession<Transport>::on_request(beast::error_code ec) {
    if (state_ != State::handshaking) return;
    if (ec) {
        if (ec == http::error::header_limit) return reject(431, "Request Header Fields Too Large");
        const bool peer_gone =
            ec == http::error::end_of_stream || ec == http::error::partial_message;
        if (is_http_error(ec) && !peer_gone) return reject(400, "Bad Request");
        return finish(false, close_code::abnormal, {});
    }

    // RFC 6455 4.1: a client waits for the 101 before it sends frames.
    // hyphae's own handshake serves those that do not; Beast's stream can
    // take no bytes read past the request, so a clear refusal beats losing
    // them.
    if (handshake_->buffer.size() != 0) {
        return reject(400, "Bad Request: data sent before the handshake response");
    }
    const auto verdict = evaluate_upgrade(handshake_->parser.get(), owner_.context().options.policy,
                                          handshake_->context);
    if (!verdict.accept) return reject(verdict.status, verdict.body);
    handshake_->protocol = verdict.protocol;

    const auto& options = owner_.context().options;
    if (options.decide_upgrades) {
        // Ask the application; the socket waits here, untouched.
        handshake_->deciding.emplace(ws_.get_executor(), options.handshake_timeout);
        // Expiry (no verdict in time) or terminate() while deciding: drop it.
        // A verdict clears `deciding` before cancelling, so it is not dropped.
        handshake_->deciding->async_wait([self = self()](beast::error_code) {
            if (self->state_ == State::handshaking && self->handshake_ &&
                self->handshake_->deciding) {
                self->finish(false, close_code::abnormal, {});
            }
        });
        const auto& request = handshake_->parser.get();
        UpgradeInfo info;
        info.id = id();
        info.remote_address = handshake_->remote_address;
        info.remote_port = handshake_->remote_port;
        info.target = std::string(request.target());
        info.protocols = std::string(request[http::field::sec_websocket_protocol]);
        info.headers = request_headers(request);
        owner_.events().on_upgrade(std::move(info));
        return;
    }
    accept_upgrade({}, {});
}

template <class Transport>
void BasicSession<Transport>::decide_upgrade(UpgradeDecision decision) {
    if (state_ != State::handshaking || !handshake_ || !handshake_->deciding) return;
    auto timer = std::move(*handshake_->deciding);
    handshake_->deciding.reset();
    timer.cancel();
    if (!decision.accept) {
        const unsigned status =
            decision.status >= 400 && decision.status <= 599 ? decision.status : 401;
        return reject(status, decision.message.empty() ? "Unauthorized" : decision.message);
    }
    accept_upgrade(std::move(decision.protocol), std::move(decision.headers));
}

template <class Transport>
void BasicSession<Transport>::accept_upgrade(
    std::string protocol, std::vector<std::pair<std::string, std::string>> headers) {
    const auto& options = owner_.context().options;
    if (!protocol.empty()) handshake_->protocol = std::move(protocol);
    // From here Beast's own timeouts govern the stream; the handshake limit
    // still bounds the rest of the opening handshake.
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(beast_timeouts(options, true));
    ws_.set_option(websocket::stream_base::decorator(
        [protocol = handshake_->protocol,
         headers = std::move(headers)](websocket::response_type& response) {
            response.set(http::field::server, "hyphae");
            if (!protocol.empty()) response.set(http::field::sec_websocket_protocol, protocol);
            for (const auto& [name, value] : headers) response.set(name, value);
        }));
    // Pings and pongs go to the sink (Beast has answered a ping itself).
    // Any frame from the peer proves it alive to the heartbeat. Over the
    // sink's high-water mark, reading pauses after the message being read:
    // Beast's read cannot stop between its control frames.
    ws_.control_callback([this](websocket::frame_type kind, beast::string_view payload) {
        awaiting_pong_ = false;
        if (kind == websocket::frame_type::close || state_ != State::open) return;
        const Control control = kind == websocket::frame_type::ping ? Control::ping : Control::pong;
        if (!owner_.events().on_control(id(), control, {payload.data(), payload.size()}))
            pause_after_read_ = true;
    });
    ws_.read_message_max(options.max_payload_length);
    ws_.auto_fragment(false);
    if (options.deflate.enabled) {
        websocket::permessage_deflate deflate;
        deflate.server_enable = true;
        deflate.server_max_window_bits = options.deflate.server_max_window_bits;
        deflate.client_max_window_bits = options.deflate.client_max_window_bits;
        deflate.compLevel = options.deflate.level;
        deflate.memLevel = options.deflate.mem_level;
        deflate.msg_size_threshold = options.deflate.threshold;
        deflate.server_no_context_takeover = options.deflate.server_no_context_takeover;
        deflate.client_no_context_takeover = options.deflate.client_no_context_takeover;
        ws_.set_option(deflate);
    }

    handshake_->request = handshake_->parser.release();
    handshake_->accepting = true;
    ws_.async_accept(handshake_->request,
                     [self = self()](beast::error_code ec) { self->on_accept(ec); });
}

template <class Transport>
void BasicSession<Transport>::reject(unsigned status, std::string_view body) {
    handshake_->refusal = refusal_response(status, body);
    net::async_write(ws_.next_layer(), net::buffer(handshake_->refusal),
                     [self = self()](beast::error_code, std::size_t) {
                         beast::error_code ignored;
                         beast::get_lowest_layer(self->ws_).socket().shutdown(Socket::shutdown_send,
                                                                              ignored);
                         self->finish(false, close_code::abnormal, {});
                     });
}

template <class Transport>
ConnectionInfo BasicSession<Transport>::connection_info() {
    ConnectionInfo info;
    info.id = id();
    info.remote_address = std::move(handshake_->remote_address);
    info.remote_port = handshake_->remote_port;
    const auto& request = handshake_->request;
    info.target = std::string(request.target());
    info.status = status_;
    info.protocol = std::move(handshake_->protocol);
    info.headers = request_headers(request);
    return info;
}

template <class Transport>
void BasicSession<Transport>::on_accept(beast::error_code ec) {
    if (state_ != State::handshaking) return;
    // On a malformed upgrade Beast has already answered 400.
    if (ec) return finish(false, close_code::abnormal, {});
    state_ = State::open;
    ConnectionInfo info = connection_info();
    handshake_.reset();

    WorkerStats::bump(owner_.stats().connections_opened);
    owner_.events().on_open(std::move(info));
    read_message();
    if (close_when_open_) close(close_when_open_->code, std::move(close_when_open_->reason));
}

template <class Transport>
void BasicSession<Transport>::read_message() {
    read_buffer_.emplace(read_bytes_);
    ws_.async_read(*read_buffer_,
                   [self = self()](beast::error_code ec, std::size_t) { self->on_read(ec); });
}

template <class Transport>
void BasicSession<Transport>::on_read(beast::error_code ec) {
    if (ec) return on_read_failed(ec);
    if (state_ == State::finished) return;
    // Hand the bytes over whole; the next message starts in a fresh string, so
    // a large message does not leave a large buffer behind.
    std::string payload = std::exchange(read_bytes_, std::string());
    awaiting_pong_ = false;
    WorkerStats::add_owned(owner_.stats().messages_in);
    WorkerStats::add_owned(owner_.stats().bytes_in, payload.size());
    const bool keep_reading = owner_.events().on_message(id(), payload, ws_.got_binary());
    const bool control_full = std::exchange(pause_after_read_, false);
    if (keep_reading && !control_full) {
        if (app_paused_) {
            read_held_ = true;
            return hold_reading();
        }
        return read_message();
    }
    // The sink is over its high-water mark: leave this socket unread (TCP
    // pushes back on the client) until the JS thread catches up.
    read_paused_ = true;
    WorkerStats::bump(owner_.stats().reads_paused);
    owner_.pause(self());
    hold_reading();
}

template <class Transport>
void BasicSession<Transport>::hold_reading() {
    // With no idle timeout, the timer already pending does nothing.
    ws_.set_option(beast_timeouts(owner_.context().options, false));
}

template <class Transport>
void BasicSession<Transport>::resume_read() {
    // The read re-arms Beast's timer with the idle timeout back in place.
    ws_.set_option(beast_timeouts(owner_.context().options, true));
    read_message();
}

template <class Transport>
void BasicSession<Transport>::resume_reading() {
    if (!read_paused_ || state_ == State::finished) return;
    read_paused_ = false;
    if (app_paused_) {
        read_held_ = true;
        return;
    }
    resume_read();
}

template <class Transport>
void BasicSession<Transport>::set_paused(bool paused) {
    if (paused == app_paused_ || state_ == State::finished) return;
    // Once closing, the peer's answer must be read: no new pause.
    if (paused && state_ != State::open) return;
    app_paused_ = paused;
    // Pausing takes effect when the read in flight completes; resuming
    // restarts the read a pause held back (not one the sink holds). Once
    // closing, a held read stays held: the close ends without it.
    if (!paused && read_held_ && state_ == State::open) {
        read_held_ = false;
        resume_read();
    }
}

template <class Transport>
void BasicSession<Transport>::on_read_failed(beast::error_code ec) {
    if (state_ == State::finished) return;
    if (state_ == State::closing && !is_websocket_error(ec)) {
        read_ended_ = true;
        if (close_ended_) finish_close_handshake();
        return;
    }
    if (ec == websocket::error::closed) {
        const auto& peer = ws_.reason();
        const std::uint16_t code = peer.code == websocket::close_code::none
                                       ? close_code::no_status
                                       : static_cast<std::uint16_t>(peer.code);
        return finish(true, code, std::string(peer.reason.data(), peer.reason.size()));
    }
    if (is_websocket_error(ec)) {
        // Beast has sent the matching close frame and torn the stream down.
        owner_.events().on_error(id(), ec.message());
        return finish(true, failure_close_code(ec), {});
    }
    finish(true, close_code::abnormal, {});
}

template <class Transport>
bool BasicSession<Transport>::send(OutboundMessage message, bool counted) {
    const std::size_t bytes = frame_size(message.payload.size());
    if (state_ != State::open || pending_close_) {
        if (counted) status_->add_settled(static_cast<std::int64_t>(bytes));
        return false;
    }
    const std::size_t limit = owner_.context().options.max_backpressure;
    if (!counted) {
        if (limit != 0 && buffered_ >= limit) {
            // A slow reader skips published messages until it catches up.
            WorkerStats::bump(owner_.stats().dropped);
            if (owner_.context().options.close_on_backpressure_limit) close_for_backpressure();
            return false;
        }
        status_->add_settled(-static_cast<std::int64_t>(bytes));
    }
    enqueue(std::move(message), bytes);
    if (limit != 0 && buffered_ > limit && !backpressured_) {
        backpressured_ = true;
        WorkerStats::bump(owner_.stats().backpressure);
        if (owner_.context().options.close_on_backpressure_limit) close_for_backpressure();
    }
    return true;
}

template <class Transport>
void BasicSession<Transport>::enqueue(OutboundMessage message, std::size_t bytes) {
    buffered_ += bytes;
    queue_.push_back(std::move(message));
    if (!writing_) write_next();
}

template <class Transport>
void BasicSession<Transport>::close_for_backpressure() {
    if (state_ != State::open || pending_close_) return;
    // Drop what is not on the wire yet; a write in flight stays.
    const std::size_t first = writing_ ? queue_head_ + 1 : queue_head_;
    for (std::size_t i = first; i < queue_.size(); ++i) {
        const auto bytes = frame_size(queue_[i].payload.size());
        buffered_ -= bytes;
        status_->add_settled(static_cast<std::int64_t>(bytes));
    }
    queue_.resize(first);
    cut_reason_.emplace(close_code::policy_violation, "Backpressure limit exceeded");
    if (!writing_) return close(close_code::policy_violation, "Backpressure limit exceeded");
    // A reader this slow may never take the frame in flight, so a close frame
    // behind it might never go out: cut the connection.
    terminate();
}

template <class Transport>
void BasicSession<Transport>::write_next() {
    const auto& message = queue_[queue_head_];
    writing_ = true;
    ws_.binary(message.binary);
    // The handler holds the payload: finish() may clear the queue while the
    // write is still in flight.
    ws_.async_write(
        net::buffer(message.payload.data(), message.payload.size()),
        [self = self(), payload = message.payload, bytes = frame_size(message.payload.size())](
            beast::error_code ec, std::size_t) { self->on_write(ec, bytes); });
}

template <class Transport>
void BasicSession<Transport>::on_write(beast::error_code ec, std::size_t frame_bytes) {
    writing_ = false;
    status_->add_settled(static_cast<std::int64_t>(frame_bytes));
    if (state_ == State::finished) return;
    buffered_ -= frame_bytes;
    if (!ec) {
        WorkerStats::add_owned(owner_.stats().messages_out);
        WorkerStats::add_owned(owner_.stats().bytes_out, frame_bytes);
    }
    queue_[queue_head_] = OutboundMessage{};
    if (++queue_head_ == queue_.size()) {
        queue_head_ = 0;
        if (queue_.capacity() > kQueueKeepCapacity) {
            std::vector<OutboundMessage>().swap(queue_);
        } else {
            queue_.clear();
        }
    }
    // A failed write means the transport is gone; the pending read reports it.
    if (ec) return terminate();
    if (queue_head_ < queue_.size()) return write_next();
    if (backpressured_) {
        backpressured_ = false;
        owner_.events().on_drain(id());
    }
    if (pending_close_ && state_ == State::open) start_close();
}

template <class Transport>
void BasicSession<Transport>::close(std::uint16_t code, std::string reason) {
    if (state_ == State::handshaking) {
        // A client that gets its 101 is told why it is closed, like any
        // open connection (a shutdown that overtakes the 101 on its way).
        if (handshake_ && handshake_->accepting) {
            close_when_open_ = Closing{code, std::move(reason)};
            return;
        }
        // Waiting for the application's verdict: answered, not dropped.
        if (handshake_ && handshake_->deciding) {
            handshake_->deciding->cancel();
            handshake_->deciding.reset();
            return reject(503, "Service Unavailable");
        }
        return terminate();
    }
    if (state_ != State::open || pending_close_) return;
    const auto text = utf8_prefix(reason, kMaxCloseReason);
    pending_close_.emplace(static_cast<websocket::close_code>(code),
                           beast::string_view(text.data(), text.size()));
    // Messages queued before the close go out first.
    if (!writing_) start_close();
}

template <class Transport>
void BasicSession<Transport>::start_close() {
    state_ = State::closing;
    ws_.async_close(*pending_close_,
                    [self = self()](beast::error_code ec) { self->on_close_sent(ec); });
}

template <class Transport>
void BasicSession<Transport>::on_close_sent(beast::error_code ec) {
    if (state_ == State::finished) return;
    close_ended_ = true;
    close_failed_ = static_cast<bool>(ec);
    // With reading paused there is no read to wait for.
    if (read_ended_ || not_reading()) return finish_close_handshake();
    // A failed close (timeout, reset) must not leave the read hanging.
    if (ec) terminate();
}

template <class Transport>
void BasicSession<Transport>::finish_close_handshake() {
    const auto& peer = ws_.reason();
    if (close_failed_ && peer.code == websocket::close_code::none) {
        return finish(true, close_code::abnormal, {});
    }
    // The code the peer answered with, as ws reports it.
    const std::uint16_t code = peer.code == websocket::close_code::none
                                   ? close_code::no_status
                                   : static_cast<std::uint16_t>(peer.code);
    finish(true, code, std::string(peer.reason.data(), peer.reason.size()));
}

template <class Transport>
void BasicSession<Transport>::ping(std::string payload) {
    write_control(Control::ping, payload);
}

template <class Transport>
void BasicSession<Transport>::pong(std::string payload) {
    write_control(Control::pong, payload);
}

// Beast takes one ping or pong at a time: one asked for while another is
// being written is dropped.
template <class Transport>
void BasicSession<Transport>::write_control(Control kind, std::string_view payload) {
    if (state_ != State::open || pinging_) return;
    pinging_ = true;
    const auto data = utf8_prefix(payload, kMaxControlPayload);
    const websocket::ping_data frame(data.data(), data.size());
    auto done = [self = self()](beast::error_code) { self->pinging_ = false; };
    if (kind == Control::ping)
        ws_.async_ping(frame, std::move(done));
    else
        ws_.async_pong(frame, std::move(done));
}

template <class Transport>
void BasicSession<Transport>::heartbeat_ping() {
    // Unread frames while reading is paused are our backlog, not silence.
    if (state_ != State::open || reads_held()) return;
    awaiting_pong_ = true;
    if (pinging_) return;  // a ping is in flight already; its pong will do
    pinging_ = true;
    ws_.async_ping({}, [self = self()](beast::error_code) { self->pinging_ = false; });
}

template <class Transport>
void BasicSession<Transport>::heartbeat_check() {
    if (state_ != State::open || reads_held() || !awaiting_pong_) return;
    WorkerStats::bump(owner_.stats().ping_timeouts);
    cut_reason_.emplace(close_code::abnormal, "Ping timeout");
    terminate();
}

template <class Transport>
void BasicSession<Transport>::terminate() {
    if (state_ == State::finished) return;
    // Waiting for the application's verdict, nothing is pending on the socket.
    if (state_ == State::handshaking && handshake_ && handshake_->deciding) {
        handshake_->deciding->cancel();
    }
    // Pending operations complete with an error; the read reports 1006.
    beast::get_lowest_layer(ws_).close();
    // With reading paused no read will report it. Finish from a fresh
    // handler: the caller may be iterating the topic table (publish).
    if (not_reading() && state_ != State::handshaking) {
        net::post(ws_.get_executor(),
                  [self = self()] { self->finish(true, close_code::abnormal, {}); });
    }
}

template <class Transport>
void BasicSession<Transport>::finish(bool report, std::uint16_t code, std::string reason) {
    if (state_ == State::finished) return;
    // Whoever handed an adopted connection in hears that it will never open.
    const bool refused = adopted_ && state_ == State::handshaking;
    state_ = State::finished;
    if (counted_) {
        counted_ = false;
        owner_.context().counts->remove(peer_);
    }
    // Frames that will never be written no longer count as buffered; a write
    // still in flight is subtracted when it completes.
    const std::size_t in_flight = writing_ ? frame_size(queue_[queue_head_].payload.size()) : 0;
    status_->add_settled(static_cast<std::int64_t>(buffered_ - in_flight));
    std::vector<OutboundMessage>().swap(queue_);
    queue_head_ = 0;
    buffered_ = 0;
    handshake_.reset();
    beast::get_lowest_layer(ws_).close();
    report_end(owner_, report && !refused, code, std::move(reason));
    if (refused) owner_.events().on_refused(id());
}

}  // namespace hyphae
