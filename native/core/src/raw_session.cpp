#include "raw_session.hpp"

#include <algorithm>

#include "hyphae/close_codes.hpp"
#include "hyphae/worker.hpp"

namespace hyphae {

namespace {

// Frames per gather write (writev takes at most IOV_MAX = 1024 buffers).
constexpr std::size_t kMaxBatch = 256;
// Write-side vectors that grew past this are released when the queue empties.
constexpr std::size_t kKeepCapacity = 16;
// Reads per readiness before yielding to other connections.
constexpr int kReadsPerWake = 4;
// How long a finished connection waits for the peer's FIN.
constexpr std::chrono::seconds kLingerLimit{2};

std::string close_payload(std::uint16_t code, std::string_view reason) {
    if (code == close_code::no_status) return {};
    std::string payload;
    payload.reserve(2 + reason.size());
    payload.push_back(static_cast<char>(code >> 8));
    payload.push_back(static_cast<char>(code & 0xFF));
    payload.append(utf8_prefix(reason, kMaxCloseReason));
    return payload;
}

}  // namespace

RawSession::RawSession(Worker& owner, ConnectionId id, Handoff handoff)
    : Session(id),
      owner_(owner),
      socket_(std::move(handoff.socket)),
      status_(std::move(handoff.status)),
      parser_(owner.context().options.max_payload_length),
      peer_(handoff.peer),
      counted_(handoff.counted) {}

RawSession::~RawSession() = default;

void RawSession::open(ConnectionInfo info, const std::string& early_bytes) {
    beast::error_code ignored;
    socket_.non_blocking(true, ignored);
    WorkerStats::bump(owner_.stats().connections_opened);
    owner_.events().on_open(std::move(info));
    if (!early_bytes.empty() &&
        !consume(reinterpret_cast<const unsigned char*>(early_bytes.data()), early_bytes.size())) {
        return;
    }
    if (!read_paused_) wait_readable();
}

void RawSession::wait_readable() {
    if (waiting_ || state_ == State::finished) return;
    waiting_ = true;
    socket_.async_wait(Socket::wait_read,
                       [self = self()](beast::error_code ec) { self->on_readable(ec); });
}

void RawSession::on_readable(beast::error_code ec) {
    waiting_ = false;
    if (state_ == State::finished) return;
    if (ec) return finish(true, close_code::abnormal, {});
    auto& buffer = owner_.read_buffer();
    for (int round = 0; round < kReadsPerWake; ++round) {
        const std::size_t got = socket_.read_some(net::buffer(buffer), ec);
        if (ec == net::error::would_block) break;
        if (ec) {
            // The peer went away (EOF or reset) without a close handshake.
            return finish(true, close_code::abnormal, {});
        }
        if (!consume(buffer.data(), got)) return;
        if (read_paused_) return;
        if (got < buffer.size()) break;  // drained
    }
    wait_readable();
}

bool RawSession::consume(const unsigned char* data, std::size_t size) {
    while (size > 0) {
        std::size_t used = 0;
        const auto event = parser_.parse(data, size, used);
        data += used;
        size -= used;
        switch (event) {
            case FrameParser::Event::none:
                break;
            case FrameParser::Event::message: {
                awaiting_pong_ = false;
                std::string payload = parser_.take_message();
                // After our close frame, data is read and dropped (RFC 6455 5.5.1).
                if (state_ != State::open) break;
                WorkerStats::bump(owner_.stats().messages_in);
                WorkerStats::bump(owner_.stats().bytes_in, payload.size());
                if (!owner_.events().on_message(id(), std::move(payload), parser_.binary()) &&
                    !read_paused_) {
                    // The sink is over its high-water mark: what this read
                    // holds is delivered, then the socket is left unread.
                    read_paused_ = true;
                    WorkerStats::bump(owner_.stats().reads_paused);
                    owner_.pause(self());
                }
                break;
            }
            case FrameParser::Event::ping:
                awaiting_pong_ = false;
                if (state_ == State::open) queue_control(opcode::pong, parser_.control_payload());
                break;
            case FrameParser::Event::pong:
                awaiting_pong_ = false;
                break;
            case FrameParser::Event::close:
                on_peer_close(parser_.close_code(), parser_.close_reason());
                return false;
            case FrameParser::Event::error:
                fail(parser_.error_code(), parser_.error_text());
                return false;
        }
        if (state_ == State::finished) return false;
    }
    return true;
}

void RawSession::on_peer_close(std::uint16_t code, std::string reason) {
    if (state_ == State::open) {
        // Answer with the same code after what is queued, then end.
        state_ = State::closing;
        queue_control(opcode::close, close_payload(code, {}));
        ending_ = Ending{code, std::move(reason)};
        return;
    }
    // The answer to our close.
    if (close_sent_) return finish(true, code, std::move(reason), true);
    ending_ = Ending{code, std::move(reason)};
}

void RawSession::fail(std::uint16_t code, const char* text) {
    owner_.events().on_error(id(), text);
    if (state_ == State::open) {
        state_ = State::closing;
        drop_unsent();
        queue_control(opcode::close, close_payload(code, {}));
    }
    ending_ = Ending{code, {}};
    if (in_flight_ == 0 && queue_head_ == queue_.size()) finish(true, code, {}, true);
}

bool RawSession::send(OutboundMessage message, bool counted) {
    const std::size_t bytes = frame_size(message.payload->size());
    if (state_ != State::open) {
        if (counted) status_->buffered_amount.fetch_sub(static_cast<std::int64_t>(bytes));
        return false;
    }
    const auto& options = owner_.context().options;
    const std::size_t limit = options.max_backpressure;
    if (!counted) {
        if (limit != 0 && buffered_ >= limit) {
            WorkerStats::bump(owner_.stats().dropped);
            if (options.close_on_backpressure_limit) close_for_backpressure();
            return false;
        }
        status_->buffered_amount.fetch_add(static_cast<std::int64_t>(bytes));
    }
    buffered_ += bytes;
    enqueue(
        Outgoing{std::move(message.payload), message.binary ? opcode::binary : opcode::text, true});
    if (limit != 0 && buffered_ > limit && !backpressured_) {
        backpressured_ = true;
        WorkerStats::bump(owner_.stats().backpressure);
        if (options.close_on_backpressure_limit) close_for_backpressure();
    }
    return true;
}

void RawSession::queue_control(std::uint8_t opcode, std::string payload) {
    enqueue(Outgoing{make_payload(std::move(payload)), opcode, false});
}

void RawSession::enqueue(Outgoing frame) {
    queue_.push_back(std::move(frame));
    if (in_flight_ == 0) write_queued();
}

void RawSession::write_queued() {
    const std::size_t count = std::min(queue_.size() - queue_head_, kMaxBatch);
    if (count == 0) return;
    write_headers_.resize(count * 10);
    write_buffers_.clear();
    write_buffers_.reserve(count * 2);
    for (std::size_t i = 0; i < count; ++i) {
        const auto& frame = queue_[queue_head_ + i];
        unsigned char* header = write_headers_.data() + i * 10;
        const std::size_t header_size =
            write_frame_header(header, frame.opcode, frame.payload->size());
        write_buffers_.emplace_back(header, header_size);
        if (!frame.payload->empty()) write_buffers_.emplace_back(net::buffer(*frame.payload));
    }
    in_flight_ = count;
    // The queue entries hold the payloads until the handler runs.
    net::async_write(
        socket_, write_buffers_,
        [self = self(), count](beast::error_code ec, std::size_t) { self->on_written(ec, count); });
}

void RawSession::on_written(beast::error_code ec, std::size_t frames) {
    in_flight_ = 0;
    std::size_t data_bytes = 0;
    std::size_t data_frames = 0;
    for (std::size_t i = 0; i < frames; ++i) {
        auto& frame = queue_[queue_head_ + i];
        if (frame.counted) {
            data_bytes += frame_size(frame.payload->size());
            ++data_frames;
        }
        if (frame.opcode == opcode::close && !ec) close_sent_ = true;
        if (frame.opcode == opcode::ping) ping_queued_ = false;
        frame.payload.reset();
    }
    status_->buffered_amount.fetch_sub(static_cast<std::int64_t>(data_bytes));
    if (state_ == State::finished) return;
    buffered_ -= data_bytes;
    if (!ec) {
        WorkerStats::bump(owner_.stats().messages_out, data_frames);
        WorkerStats::bump(owner_.stats().bytes_out, data_bytes);
    }
    queue_head_ += frames;
    if (queue_head_ == queue_.size()) {
        queue_head_ = 0;
        if (queue_.capacity() > kKeepCapacity) {
            std::vector<Outgoing>().swap(queue_);
            std::vector<unsigned char>().swap(write_headers_);
            std::vector<net::const_buffer>().swap(write_buffers_);
        } else {
            queue_.clear();
        }
    }
    if (ec) return terminate();
    if (queue_head_ < queue_.size()) return write_queued();
    if (backpressured_) {
        backpressured_ = false;
        owner_.events().on_drain(id());
    }
    if (ending_ && close_sent_) {
        auto ending = std::move(*ending_);
        ending_.reset();
        finish(true, ending.code, std::move(ending.reason), true);
    }
}

void RawSession::drop_unsent() {
    const std::size_t first = queue_head_ + in_flight_;
    for (std::size_t i = first; i < queue_.size(); ++i) {
        if (!queue_[i].counted) continue;
        const auto bytes = frame_size(queue_[i].payload->size());
        buffered_ -= bytes;
        status_->buffered_amount.fetch_sub(static_cast<std::int64_t>(bytes));
    }
    queue_.resize(first);
}

void RawSession::close_for_backpressure() {
    if (state_ != State::open) return;
    drop_unsent();
    cut_reason_.emplace(close_code::policy_violation, "Backpressure limit exceeded");
    // A reader this slow may never take the frame in flight, so a close frame
    // behind it might never go out: cut the connection.
    if (in_flight_ != 0) return terminate();
    close(close_code::policy_violation, "Backpressure limit exceeded");
}

void RawSession::close(std::uint16_t code, std::string reason) {
    if (state_ != State::open) return;
    state_ = State::closing;
    // Behind everything already queued, like any frame.
    queue_control(opcode::close, close_payload(code, reason));
    // With reading paused the peer's answer will not be read: the close ends
    // once our frame is out (as with Beast's stream).
    if (read_paused_) ending_ = Ending{code, std::move(reason)};
    // The peer has the handshake timeout to answer (as Beast's close had).
    close_timer_ = std::make_unique<net::steady_timer>(socket_.get_executor(),
                                                       owner_.context().options.handshake_timeout);
    close_timer_->async_wait([self = self()](beast::error_code ec) {
        if (!ec) self->terminate();
    });
}

void RawSession::ping(std::string payload) {
    if (state_ != State::open || ping_queued_) return;
    ping_queued_ = true;
    queue_control(opcode::ping, std::string(utf8_prefix(payload, kMaxControlPayload)));
}

void RawSession::heartbeat_ping() {
    if (state_ != State::open || read_paused_) return;
    awaiting_pong_ = true;
    if (ping_queued_) return;
    ping_queued_ = true;
    queue_control(opcode::ping, {});
}

void RawSession::heartbeat_check() {
    if (state_ != State::open || read_paused_ || !awaiting_pong_) return;
    WorkerStats::bump(owner_.stats().ping_timeouts);
    cut_reason_.emplace(close_code::abnormal, "Ping timeout");
    terminate();
}

void RawSession::resume_reading() {
    if (!read_paused_ || state_ == State::finished) return;
    read_paused_ = false;
    wait_readable();
}

void RawSession::terminate() {
    if (state_ == State::finished) return;
    beast::error_code ignored;
    socket_.close(ignored);
    // Pending operations complete with operation_aborted; finish from a
    // fresh handler either way (the caller may be iterating a topic).
    net::post(socket_.get_executor(),
              [self = self()] { self->finish(true, close_code::abnormal, {}); });
}

void RawSession::finish(bool report, std::uint16_t code, std::string reason, bool graceful) {
    if (state_ == State::finished) return;
    state_ = State::finished;
    if (counted_) {
        counted_ = false;
        owner_.context().counts->remove(peer_);
    }
    // Frames never to be written stop counting; the write in flight is
    // subtracted by its handler.
    std::size_t unsent = 0;
    for (std::size_t i = queue_head_ + in_flight_; i < queue_.size(); ++i) {
        if (queue_[i].counted) unsent += frame_size(queue_[i].payload->size());
    }
    status_->buffered_amount.fetch_sub(static_cast<std::int64_t>(unsent));
    if (in_flight_ == 0) {
        std::vector<Outgoing>().swap(queue_);
        queue_head_ = 0;
    }
    buffered_ = 0;
    if (close_timer_) close_timer_->cancel();
    if (graceful) {
        linger();
    } else {
        beast::error_code ignored;
        socket_.close(ignored);
    }
    report_end(owner_, report, code, std::move(reason));
}

void RawSession::linger() {
    // Closing a socket with unread bytes makes the kernel send a reset, which
    // can destroy our close frame before the peer reads it. So: send FIN,
    // read and drop until the peer's FIN, bounded in time.
    beast::error_code ec;
    socket_.shutdown(Socket::shutdown_send, ec);
    if (ec) return socket_.close(ec);
    close_timer_ = std::make_unique<net::steady_timer>(socket_.get_executor(), kLingerLimit);
    close_timer_->async_wait([self = self()](beast::error_code wait_ec) {
        beast::error_code ignored;
        if (!wait_ec) self->socket_.close(ignored);
    });
    drain();
}

void RawSession::drain() {
    socket_.async_wait(Socket::wait_read, [self = self()](beast::error_code ec) {
        if (ec) return;
        auto& buffer = self->owner_.read_buffer();
        beast::error_code read_ec;
        self->socket_.read_some(net::buffer(buffer), read_ec);
        if (read_ec && read_ec != net::error::would_block) {
            beast::error_code ignored;
            self->socket_.close(ignored);
            self->close_timer_->cancel();
            return;
        }
        self->drain();
    });
}

}  // namespace hyphae
