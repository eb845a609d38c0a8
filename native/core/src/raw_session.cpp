#include "hyphae/raw_session.hpp"

#include "raw_handshake.hpp"

#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "hyphae/close_codes.hpp"
#include "hyphae/session_host.hpp"

namespace hyphae {

namespace {

// Buffers per sendmsg (the kernel takes at most IOV_MAX = 1024).
constexpr std::size_t kMaxIov = 1024;
// Frames with a payload up to this size are copied next to their header in
// the worker's write buffer, so a burst of small frames is one contiguous
// buffer; larger payloads are sent from where they are.
constexpr std::size_t kCopyLimit = 1024;
// Write-side vectors that grew past this are released when the queue empties.
constexpr std::size_t kKeepCapacity = 16;
// Reads per readiness before yielding to other connections.
constexpr int kReadsPerWake = 4;

// recv and sendmsg without libc's wrappers: in a multi-threaded process
// those are cancellation points that switch the thread's cancel type around
// every call (3.7% of the server's samples in echo). hyphae never cancels
// threads, and the sockets are non-blocking.
ssize_t raw_recv(int fd, void* data, std::size_t size) {
    return ::syscall(SYS_recvfrom, fd, data, size, MSG_DONTWAIT, nullptr, nullptr);
}

ssize_t raw_sendmsg(int fd, const msghdr* message) {
    return ::syscall(SYS_sendmsg, fd, message, MSG_NOSIGNAL | MSG_DONTWAIT);
}

// One buffer (small frames staged together, the common case): sendto, which
// skips sendmsg's copies of the msghdr and iovec from user memory (1.4% of
// the echo server's CPU at depth 1).
ssize_t raw_send(int fd, const void* data, std::size_t size) {
    return ::syscall(SYS_sendto, fd, data, size, MSG_NOSIGNAL | MSG_DONTWAIT, nullptr, 0);
}

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

RawSession::RawSession(SessionHost& owner, ConnectionId id, Handoff handoff)
    : Session(id),
      owner_(owner),
      fd_(handoff.fd),
      status_(std::move(handoff.status)),
      parser_(owner.context().options.max_payload_length),
      peer_(handoff.peer),
      counted_(handoff.counted) {}

RawSession::RawSession(SessionHost& owner, ConnectionId id, AcceptedSocket socket)
    : Session(id),
      owner_(owner),
      status_(std::make_shared<ConnectionStatus>()),
      parser_(owner.context().options.max_payload_length),
      peer_(socket.peer().address()),
      state_(State::handshaking) {
    handshake_ = std::make_unique<Handshake>();
    handshake_->remote_address = socket.peer().address().to_string();
    handshake_->remote_port = socket.peer().port();
    fd_ = socket.release();
}

RawSession::~RawSession() {
    // Normally closed by now (finish, linger); the Poller may be gone here.
    if (fd_ >= 0) ::close(fd_);
}

void RawSession::open(ConnectionInfo info, const std::string& early_bytes) {
    // From here on, an open descriptor is one in the Poller.
    if (fd_ >= 0 && !owner_.poller().add(fd_, this)) {
        ::close(fd_);
        fd_ = -1;
    }
    begin(std::move(info), early_bytes);
}

void RawSession::begin(ConnectionInfo info, const std::string& early_bytes) {
    WorkerStats::bump(owner_.stats().connections_opened);
    owner_.events().on_open(std::move(info));
    if (fd_ < 0) return finish(true, close_code::abnormal, {});
    if (!early_bytes.empty()) {
        consume(reinterpret_cast<const unsigned char*>(early_bytes.data()), early_bytes.size());
    }
}

void RawSession::on_ready(std::uint32_t events) {
    // A session that finishes in here stays alive until the host's next task
    // (Registry::take); only a lingering one may hold its own last reference.
    if (lingering_) {
        const auto keep = lingering_;
        return read_ready();
    }
    if (state_ == State::handshaking) return handshake_ready(events);
    if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0 && write_blocked_) {
        write_blocked_ = false;
        if (!write_queued()) return;
        after_write();
    }
    // The peer's FIN or an error raises one edge, maybe while reading is
    // paused: remembered, so reading goes on to find it.
    if ((events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) hung_up_ = true;
    if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) read_ready();
}

ssize_t RawSession::receive(std::vector<unsigned char>& buffer) {
    for (;;) {
        const ssize_t got = raw_recv(fd_, buffer.data(), buffer.size());
        if (got >= 0) return got;
        if (errno == EINTR) continue;
        return errno == EAGAIN || errno == EWOULDBLOCK ? -1 : 0;
    }
}

void RawSession::read_ready() {
    if (fd_ < 0) return;
    // Lingering (the session is finished), reading only drops bytes until
    // the peer's FIN.
    if (!lingering_ && (reads_held() || read_stopped_ || state_ == State::finished)) return;
    auto& buffer = owner_.read_buffer();
    for (int round = 0; round < kReadsPerWake; ++round) {
        const ssize_t got = receive(buffer);
        if (got < 0) return;  // nothing waiting: the next arrival raises an edge
        if (got == 0) {
            if (lingering_) return end_linger();
            // The peer went away without a close handshake (FIN or reset).
            return finish(true, close_code::abnormal, {});
        }
        if (lingering_) continue;
        if (!consume(buffer.data(), static_cast<std::size_t>(got))) return;
        if (reads_held()) return;
        // Drained: bytes arriving later raise a new edge.
        if (static_cast<std::size_t>(got) < buffer.size() && !hung_up_) return;
    }
    // More is waiting: other connections go first, then this one continues
    // (an edge-triggered socket raises no new event for bytes already there).
    post_read();
}

// The sink is over its high-water mark: what this read holds is delivered,
// then the socket is left unread until resume_reading().
void RawSession::pause_reading() {
    if (read_paused_) return;
    read_paused_ = true;
    WorkerStats::bump(owner_.stats().reads_paused);
    owner_.pause(self());
}

void RawSession::post_read() {
    if (read_posted_) return;
    read_posted_ = true;
    owner_.post([self = self()] {
        self->read_posted_ = false;
        self->read_ready();
    });
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
                // After our close frame, data is read and dropped (RFC 6455 5.5.1).
                if (state_ != State::open) {
                    parser_.message_done();
                    break;
                }
                std::string& payload = parser_.message();
                WorkerStats::add_owned(owner_.stats().messages_in);
                WorkerStats::add_owned(owner_.stats().bytes_in, payload.size());
                const bool keep_reading =
                    owner_.events().on_message(id(), payload, parser_.binary());
                parser_.message_done();
                if (!keep_reading) pause_reading();
                break;
            }
            case FrameParser::Event::ping:
            case FrameParser::Event::pong: {
                awaiting_pong_ = false;
                if (state_ != State::open) break;
                const bool ping = event == FrameParser::Event::ping;
                if (ping) queue_control(opcode::pong, parser_.control_payload());
                if (!owner_.events().on_control(id(), ping ? Control::ping : Control::pong,
                                                parser_.control_payload()))
                    pause_reading();
                break;
            }
            case FrameParser::Event::close:
                read_stopped_ = true;
                on_peer_close(parser_.close_code(), parser_.close_reason());
                return false;
            case FrameParser::Event::error:
                read_stopped_ = true;
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
    if (queue_head_ == queue_.size()) finish(true, code, {}, true);
}

bool RawSession::send(OutboundMessage message, bool counted) {
    const std::size_t bytes = frame_size(message.payload.size());
    if (state_ != State::open) {
        if (counted) status_->add_settled(static_cast<std::int64_t>(bytes));
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
        // Shown in buffered_amount only if still queued after this round's
        // write (show_published): no atomic per delivery in the common case.
        published_queued_ += bytes;
    }
    buffered_ += bytes;
    enqueue(Outgoing{std::move(message.payload), message.binary ? opcode::binary : opcode::text,
                     true, counted});
    if (limit != 0 && buffered_ > limit && !backpressured_) {
        backpressured_ = true;
        WorkerStats::bump(owner_.stats().backpressure);
        if (options.close_on_backpressure_limit) close_for_backpressure();
    }
    return true;
}

void RawSession::queue_control(std::uint8_t opcode, std::string payload) {
    enqueue(Outgoing{make_payload(std::move(payload)), opcode, false, false});
}

void RawSession::enqueue(Outgoing frame) {
    queue_.push_back(std::move(frame));
    // Written at the end of the round, with whatever else is queued by then.
    if (write_deferred_ || write_blocked_) return;
    write_deferred_ = true;
    owner_.defer_write(*this);
}

void RawSession::write_deferred() {
    write_deferred_ = false;
    if (write_blocked_ || fd_ < 0 || state_ == State::finished) return;
    if (write_queued()) after_write();
}

bool RawSession::write_queued() {
    auto& staging = owner_.write_buffer();
    iovec iov[kMaxIov];
    while (queue_head_ < queue_.size()) {
        std::size_t count = 0;     // iovecs
        std::size_t staged = 0;    // bytes used in `staging`
        bool last_staged = false;  // iov[count - 1] ends in `staging`
        for (std::size_t i = queue_head_; i < queue_.size() && count + 2 <= kMaxIov; ++i) {
            const Outgoing& frame = queue_[i];
            const SharedPayload& payload = frame.payload;
            const bool copy = payload.size() <= kCopyLimit;
            // Room for the longest header (and a copied payload); a frame
            // that does not fit goes in the next sendmsg.
            if (staged + 10 + (copy ? payload.size() : 0) > staging.size()) break;
            unsigned char* at = staging.data() + staged;
            const std::size_t header = write_frame_header(at, frame.opcode, payload.size());
            const std::size_t to_stage = header + (copy ? payload.size() : 0);
            if (copy && !payload.empty()) std::memcpy(at + header, payload.data(), payload.size());
            // Only the first frame can be partly sent already.
            const std::size_t skip = i == queue_head_ ? head_written_ : 0;
            const std::size_t from = std::min(skip, to_stage);
            if (from < to_stage) {
                if (last_staged) {
                    // Right behind the previous frame in `staging`: one buffer.
                    iov[count - 1].iov_len += to_stage;
                } else {
                    iov[count++] = iovec{at + from, to_stage - from};
                }
                last_staged = true;
            }
            staged += to_stage;
            if (!copy) {
                const std::size_t sent = skip > header ? skip - header : 0;
                iov[count++] =
                    iovec{const_cast<char*>(payload.data()) + sent, payload.size() - sent};
                last_staged = false;
            }
        }
        ssize_t sent = 0;
        if (count == 1) {
            sent = raw_send(fd_, iov[0].iov_base, iov[0].iov_len);
        } else {
            msghdr message{};
            message.msg_iov = iov;
            message.msg_iovlen = count;
            sent = raw_sendmsg(fd_, &message);
        }
        if (sent < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                // Full: the kernel raises EPOLLOUT once there is room.
                write_blocked_ = true;
                show_published();
                return true;
            }
            terminate();
            return false;
        }
        retire(static_cast<std::size_t>(sent));
        // After a short write the loop tries again: that attempt sends more
        // or fails with EAGAIN, after which EPOLLOUT is certain to come.
    }
    show_published();
    return true;
}

void RawSession::retire(std::size_t written) {
    std::size_t data_bytes = 0;
    std::size_t data_frames = 0;
    std::size_t counted_bytes = 0;
    while (written > 0 && queue_head_ < queue_.size()) {
        Outgoing& frame = queue_[queue_head_];
        const std::size_t size = frame_size(frame.payload.size());
        const std::size_t left = size - head_written_;
        if (written < left) {
            head_written_ += written;
            break;
        }
        written -= left;
        head_written_ = 0;
        if (frame.data) {
            data_bytes += size;
            ++data_frames;
            if (frame.from_js) counted_bytes += size;
        }
        if (frame.opcode == opcode::close) close_sent_ = true;
        if (frame.opcode == opcode::ping) ping_queued_ = false;
        frame.payload.reset();
        ++queue_head_;
    }
    if (data_frames > 0) {
        if (counted_bytes > 0) {
            status_->add_settled(static_cast<std::int64_t>(counted_bytes));
        }
        published_queued_ -= data_bytes - counted_bytes;
        buffered_ -= data_bytes;
        WorkerStats::add_owned(owner_.stats().messages_out, data_frames);
        WorkerStats::add_owned(owner_.stats().bytes_out, data_bytes);
    }
    if (queue_head_ == queue_.size()) {
        queue_head_ = 0;
        if (queue_.capacity() > kKeepCapacity) {
            std::vector<Outgoing>().swap(queue_);
        } else {
            queue_.clear();
        }
    }
}

void RawSession::after_write() {
    if (queue_head_ < queue_.size()) return;  // blocked: EPOLLOUT continues
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
    // A frame partly sent must be completed: the peer is inside it.
    const std::size_t first = queue_head_ + (head_written_ > 0 ? 1 : 0);
    for (std::size_t i = first; i < queue_.size(); ++i) {
        if (!queue_[i].data) continue;
        const auto bytes = frame_size(queue_[i].payload.size());
        buffered_ -= bytes;
        if (queue_[i].from_js) {
            status_->add_settled(static_cast<std::int64_t>(bytes));
        } else {
            published_queued_ -= bytes;
        }
    }
    queue_.resize(first);
    show_published();
}

void RawSession::show_published() {
    if (published_queued_ == published_shown_) return;
    status_->add_settled(static_cast<std::int64_t>(published_shown_) -
                         static_cast<std::int64_t>(published_queued_));
    published_shown_ = published_queued_;
}

void RawSession::close_for_backpressure() {
    if (state_ != State::open) return;
    drop_unsent();
    cut_reason_.emplace(close_code::policy_violation, "Backpressure limit exceeded");
    // A reader this slow may never make room for a close frame behind what
    // the socket holds: cut the connection.
    if (write_blocked_ || head_written_ != 0) return terminate();
    close(close_code::policy_violation, "Backpressure limit exceeded");
    // Nor is its answer awaited: the session ends once the frame is out.
    ending_ = Ending{close_code::policy_violation, "Backpressure limit exceeded"};
}

void RawSession::close(std::uint16_t code, std::string reason) {
    if (state_ == State::handshaking) return close_handshake(code, std::move(reason));
    if (state_ != State::open) return;
    state_ = State::closing;
    // Behind everything already queued, like any frame.
    queue_control(opcode::close, close_payload(code, reason));
    // With reading paused the peer's answer will not be read: the close ends
    // once our frame is out (as with Beast's stream).
    if (reads_held()) ending_ = Ending{code, std::move(reason)};
    // The peer has the handshake timeout to answer (as Beast's close had).
    owner_.handshake_deadlines().push(*this);
}

void RawSession::ping(std::string payload) {
    if (state_ != State::open || ping_queued_) return;
    ping_queued_ = true;
    queue_control(opcode::ping, std::string(utf8_prefix(payload, kMaxControlPayload)));
}

void RawSession::pong(std::string payload) {
    if (state_ != State::open) return;
    queue_control(opcode::pong, std::string(utf8_prefix(payload, kMaxControlPayload)));
}

void RawSession::heartbeat_ping() {
    if (state_ != State::open || reads_held()) return;
    awaiting_pong_ = true;
    if (ping_queued_) return;
    ping_queued_ = true;
    queue_control(opcode::ping, {});
}

void RawSession::heartbeat_check() {
    if (state_ != State::open || reads_held() || !awaiting_pong_) return;
    WorkerStats::bump(owner_.stats().ping_timeouts);
    cut_reason_.emplace(close_code::abnormal, "Ping timeout");
    terminate();
}

void RawSession::resume_reading() {
    if (!read_paused_ || state_ == State::finished) return;
    read_paused_ = false;
    // Bytes that arrived while paused raised their edge already.
    if (!app_paused_) post_read();
}

void RawSession::set_paused(bool paused) {
    if (paused == app_paused_ || state_ == State::finished) return;
    // Once closing, the peer's answer must be read: no new pause.
    if (paused && state_ != State::open) return;
    app_paused_ = paused;
    // Bytes that arrived while paused raised their edge already: read them
    // (after the commands of this batch, as a later arrival would be).
    if (!paused && !read_paused_) post_read();
}

void RawSession::terminate() {
    if (state_ == State::finished) return;
    close_socket();
    // Finish from a fresh handler (the caller may be iterating a topic).
    owner_.post([self = self()] { self->finish(true, close_code::abnormal, {}); });
}

void RawSession::finish(bool report, std::uint16_t code, std::string reason, bool graceful) {
    if (state_ == State::finished) return;
    // A connection that never opened is not reported closed; whoever handed
    // an adopted one in hears that it will never open.
    const bool refused = state_ == State::handshaking && handshake_ && handshake_->adopted;
    if (state_ == State::handshaking) report = false;
    handshake_.reset();
    state_ = State::finished;
    if (counted_) {
        counted_ = false;
        owner_.context().counts->remove(peer_);
    }
    // Frames never to be written stop counting.
    std::size_t unsent = published_shown_;
    for (std::size_t i = queue_head_; i < queue_.size(); ++i) {
        if (queue_[i].from_js) unsent += frame_size(queue_[i].payload.size());
    }
    status_->add_settled(static_cast<std::int64_t>(unsent));
    published_queued_ = published_shown_ = 0;
    std::vector<Outgoing>().swap(queue_);
    queue_head_ = 0;
    head_written_ = 0;
    buffered_ = 0;
    DeadlineQueue::remove(*this);
    if (graceful && fd_ >= 0) {
        linger();
    } else {
        close_socket();
    }
    report_end(owner_, report, code, std::move(reason));
    if (refused) owner_.events().on_refused(id());
}

void RawSession::on_deadline() {
    if (lingering_) return end_linger();
    if (state_ == State::handshaking) return finish(false, close_code::abnormal, {});
    if (state_ == State::closing) terminate();
}

void RawSession::linger() {
    // Closing a socket with unread bytes makes the kernel send a reset, which
    // can destroy our close frame before the peer reads it. So: send FIN,
    // read and drop until the peer's FIN, bounded in time.
    if (::shutdown(fd_, SHUT_WR) != 0) return close_socket();
    lingering_ = self();
    owner_.linger_deadlines().push(*this);
    read_ready();
}

void RawSession::end_linger() {
    close_socket();
    DeadlineQueue::remove(*this);
    // Possibly the last reference: released when this function returns.
    const auto keep = std::move(lingering_);
}

void RawSession::close_socket() {
    if (fd_ < 0) return;
    owner_.poller().remove(fd_, this);
    ::close(fd_);
    fd_ = -1;
}

}  // namespace hyphae
