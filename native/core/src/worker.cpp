#include "hyphae/worker.hpp"

#include <algorithm>
#include <iterator>

#include "hyphae/close_codes.hpp"
#include "hyphae/command_runner.hpp"
#include "hyphae/raw_session.hpp"
#include "hyphae/session.hpp"

namespace hyphae {

namespace {

class AsioTimer final : public HostTimer {
public:
    AsioTimer(net::io_context& io, std::chrono::milliseconds delay, std::function<void()> callback)
        : timer_(io, delay) {
        // The handler runs (aborted) after a cancel too: it holds the
        // callback, so the callback's captures go with it.
        timer_.async_wait([callback = std::move(callback)](beast::error_code ec) {
            if (!ec) callback();
        });
    }
    ~AsioTimer() override { cancel(); }
    void cancel() override { timer_.cancel(); }

private:
    net::steady_timer timer_;
};

}  // namespace

Worker::Worker(unsigned index, std::shared_ptr<const ServerContext> context)
    : index_(index), context_(std::move(context)) {}

void Worker::start(std::function<void()> on_exit) {
    guard_.emplace(io_.get_executor());
    if (context_->options.ping_interval.count() > 0) {
        heartbeat_timer_.emplace(io_);
        schedule_heartbeat(context_->options.ping_interval, false);
    }
    thread_ = std::thread([this, on_exit = std::move(on_exit)] {
        io_.run();
        on_exit();
    });
}

void Worker::join() {
    if (thread_.joinable()) thread_.join();
}

ConnectionId Worker::reserve_id() {
    const auto sequence = next_sequence_.fetch_add(1, std::memory_order_relaxed);
    return sequence > kMaxSequence ? 0 : make_connection_id(sequence, index_);
}

void Worker::adopt(Socket socket, ConnectionId id, std::string preread) {
    // Refused: the socket closes as it goes out of scope.
    if (refuses(id, preread)) return;
    begin_session(make_session(*this, id, std::move(socket)), std::move(preread));
}

void Worker::adopt(AcceptedSocket socket, ConnectionId id, std::string preread) {
    if (refuses(id, preread)) return;
    begin_session(std::make_shared<RawSession>(*this, id, std::move(socket)), std::move(preread));
}

bool Worker::refuses(ConnectionId id, const std::string& preread) {
    if (!stopping_ && id != 0) return false;
    if (id != 0 && !preread.empty()) events_.on_refused(id);
    return true;
}

void Worker::begin_session(std::shared_ptr<Session> session, std::string preread) {
    sessions_.add(session->id(), session);
    session->start(std::move(preread));
}

void Worker::session_finished(ConnectionId id) {
    topics_.remove_connection(id);
    // Holding a finished session would keep its Beast timers armed (and this
    // io_context running) until they expire.
    lists_.forget(id);
    if (lists_.keep_finished(sessions_.take(id))) {
        net::post(io_, [this] { lists_.release_finished(); });
    }
    if (stopping_) release_when_idle();
}

void Worker::schedule_heartbeat(std::chrono::milliseconds delay, bool check) {
    heartbeat_timer_->expires_after(delay);
    heartbeat_timer_->async_wait([this, check](beast::error_code ec) {
        if (ec || stopping_) return;
        schedule_heartbeat(heartbeat_round(sessions_, context_->options, check), !check);
    });
}

void Worker::begin_shutdown(std::chrono::milliseconds grace) {
    if (stopping_) return;
    stopping_ = true;
    if (heartbeat_timer_) heartbeat_timer_->cancel();
    handshake_deadlines_.drain();
    linger_deadlines_.drain();
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
    if (heartbeat_timer_) heartbeat_timer_->cancel();
    for (const auto& session : sessions_.snapshot()) session->terminate();
    lists_.drop_paused();
}

void Worker::deliver(std::vector<Command>& commands) {
    bool post = false;
    {
        std::lock_guard lock(inbox_mutex_);
        if (inbox_.empty()) {
            inbox_.swap(commands);
        } else {
            // An earlier batch is still waiting: this one runs right after it.
            inbox_.insert(inbox_.end(), std::make_move_iterator(commands.begin()),
                          std::make_move_iterator(commands.end()));
            commands.clear();
        }
        post = !std::exchange(inbox_posted_, true);
    }
    if (post) net::post(io_, [this] { run_inbox(); });
}

void Worker::run_inbox() {
    {
        std::lock_guard lock(inbox_mutex_);
        running_.swap(inbox_);
        inbox_posted_ = false;
    }
    {
        struct Batch {
            bool& flag;
            ~Batch() { flag = false; }
        } batch{running_batch_ = true};
        run_commands(running_, sessions_, topics_);
    }
    // The batch's frames: when no further batch waits, written here, which
    // saves the reactor a pass (an epoll_wait) per echo round. When one
    // does (the io thread lags, as in saturated fan-out), behind it, so the
    // frames of both leave in one write per socket (10k subscribers: 3-5M
    // deliveries/s written here, 4.5-5.3M behind).
    if (lists_.writes_waiting()) {
        bool more = false;
        {
            std::lock_guard lock(inbox_mutex_);
            more = inbox_posted_;
        }
        if (more) {
            post_writes();
        } else {
            lists_.write_deferred();
        }
    }
    // The commands end here; the storage stays for a later batch, unless a
    // burst made it large (storage circulates through three vectors).
    constexpr std::size_t kKeepCapacity = 4096;
    if (running_.capacity() > kKeepCapacity) {
        std::vector<Command>().swap(running_);
    } else {
        running_.clear();
    }
}

void Worker::defer_write(Session& session) {
    if (!lists_.defer_write(session)) return;  // the round's write is posted
    if (running_batch_) return;                // run_inbox() writes after its batch
    // Behind the handlers already queued: when the io thread lags (several
    // command batches waiting), their frames leave together.
    post_writes();
}

void Worker::post_writes() {
    net::post(io_, [this] { lists_.write_deferred(); });
}

void Worker::post(std::function<void()> task) {
    net::post(io_, std::move(task));
}

std::unique_ptr<HostTimer> Worker::start_timer(std::chrono::milliseconds delay,
                                               std::function<void()> callback) {
    return std::make_unique<AsioTimer>(io_, delay, std::move(callback));
}

void Worker::pause(std::shared_ptr<Session> session) {
    lists_.pause(std::move(session));
}

void Worker::resume_paused() {
    lists_.resume_paused();
}

void Worker::request_flush() {
    ++round_events_;
    if (flush_posted_) return;
    flush_posted_ = true;
    poller_.hold();  // the flush's passes poll the sockets themselves
    post_flush(round_events_, 0);
}

// The flush runs after the handlers already queued. Each hop polls this
// worker's sockets itself (the Poller is held from the round's first event
// to the flush, so its wait in asio's reactor is re-armed once per round,
// not after every pass: an epoll_ctl each). While events keep arriving
// between two checks (at most kExtraPasses times), the flush waits one more
// hop: on a core shared with the JS thread each flush costs two context
// switches, so larger rounds are cheaper (echo at 100 connections: 27 -> 45
// messages per round with the hops, 68 with the direct polls). An idle
// reactor delays the flush by at most two non-blocking polls.
void Worker::post_flush(std::uint64_t seen, unsigned passes) {
    constexpr unsigned kExtraPasses = 3;
    net::post(io_, [this, seen, passes] {
        if (passes < kExtraPasses) {
            poller_.dispatch();
            if (round_events_ != seen) return post_flush(round_events_, passes + 1);
        }
        flush_posted_ = false;
        poller_.release();
        context_->sink->flush();
    });
}

void Worker::RoundSink::on_upgrade(UpgradeInfo info) {
    owner_.context_->sink->on_upgrade(std::move(info));
    owner_.request_flush();
}

void Worker::RoundSink::on_open(ConnectionInfo info) {
    owner_.context_->sink->on_open(std::move(info));
    owner_.request_flush();
}

bool Worker::RoundSink::on_message(ConnectionId id, std::string& payload, bool binary) {
    const bool keep_reading = owner_.context_->sink->on_message(id, payload, binary);
    owner_.request_flush();
    return keep_reading;
}

bool Worker::RoundSink::on_control(ConnectionId id, Control kind, std::string_view payload) {
    const bool keep_reading = owner_.context_->sink->on_control(id, kind, payload);
    owner_.request_flush();
    return keep_reading;
}

void Worker::RoundSink::on_drain(ConnectionId id) {
    owner_.context_->sink->on_drain(id);
    owner_.request_flush();
}

void Worker::RoundSink::on_error(ConnectionId id, std::string what) {
    owner_.context_->sink->on_error(id, std::move(what));
    owner_.request_flush();
}

void Worker::RoundSink::on_close(ConnectionId id, std::uint16_t code, std::string reason) {
    owner_.context_->sink->on_close(id, code, std::move(reason));
    owner_.request_flush();
}

void Worker::RoundSink::on_refused(ConnectionId id) {
    owner_.context_->sink->on_refused(id);
    owner_.request_flush();
}

void Worker::RoundSink::on_server_closed() {
    owner_.context_->sink->on_server_closed();
    owner_.context_->sink->flush();  // the io thread is leaving: no later round
}

void Worker::release_when_idle() {
    if (!sessions_.empty()) return;
    if (shutdown_timer_) shutdown_timer_->cancel();
    guard_.reset();
}

}  // namespace hyphae
