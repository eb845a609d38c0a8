#include "js_loop.hpp"

#include <unistd.h>

#include "hyphae/close_codes.hpp"
#include "hyphae/command_runner.hpp"
#include "hyphae/raw_session.hpp"

namespace hyphae::binding {

namespace {

// Passes of deferred work per settle; what is left goes to the check phase,
// so a handler that keeps producing work cannot starve the loop.
constexpr int kSettlePasses = 16;

template <class Handle>
Handle* new_handle(void* data) {
    auto* handle = new Handle{};
    handle->data = data;
    return handle;
}

template <class Handle>
void close_handle(Handle*& handle) {
    if (handle == nullptr) return;
    uv_close(reinterpret_cast<uv_handle_t*>(handle),
             [](uv_handle_t* closed) { delete reinterpret_cast<Handle*>(closed); });
    handle = nullptr;
}

}  // namespace

// The part of a timer libuv sees; freed by its close callback.
struct JsLoop::TimerHandle {
    uv_timer_t timer;
    JsLoop* owner;
    std::function<void()> callback;
};

class JsLoop::Timer final : public HostTimer {
public:
    Timer(JsLoop& owner, std::chrono::milliseconds delay, std::function<void()> callback)
        : handle_(new TimerHandle{}) {
        handle_->owner = &owner;
        handle_->callback = std::move(callback);
        uv_timer_init(owner.loop_, &handle_->timer);
        handle_->timer.data = handle_;
        // Timers never keep Node's loop alive (the event pump decides that).
        uv_unref(reinterpret_cast<uv_handle_t*>(&handle_->timer));
        uv_timer_start(&handle_->timer, &Timer::fire, static_cast<std::uint64_t>(delay.count()), 0);
        owner.timers_.insert(handle_);
    }
    ~Timer() override {
        cancel();
        if (handle_->owner) handle_->owner->timers_.erase(handle_);
        uv_close(reinterpret_cast<uv_handle_t*>(&handle_->timer),
                 [](uv_handle_t* closed) { delete static_cast<TimerHandle*>(closed->data); });
    }
    void cancel() override {
        uv_timer_stop(&handle_->timer);
        if (!handle_->callback) return;
        // Not destroyed here: the callback may hold the object that owns
        // this timer. Dropped after the current handler, as asio does.
        if (handle_->owner) {
            handle_->owner->post([dropped = std::move(handle_->callback)] {});
        }
        handle_->callback = nullptr;
    }

private:
    static void fire(uv_timer_t* timer) {
        auto* handle = static_cast<TimerHandle*>(timer->data);
        JsLoop* owner = handle->owner;
        if (owner == nullptr) return;
        owner->from_loop([owner, handle] {
            // libuv runs timers before it polls: after a stall of the JS
            // thread, what the peers sent meanwhile (a pong, a close answer,
            // a FIN) is still unread. Read it first, as an io thread would
            // have; it may settle what this timer was for (and cancel it).
            owner->read_waiting_input();
            // `handle` stays valid until its close callback, even if the
            // timer was destroyed meanwhile.
            auto callback = std::move(handle->callback);
            handle->callback = nullptr;
            if (callback) callback();
        });
    }

    TimerHandle* handle_;
};

JsLoop::JsLoop(uv_loop_t* loop, Hooks hooks) : loop_(loop), hooks_(std::move(hooks)) {
    poll_ = new_handle<uv_poll_t>(this);
    uv_poll_init(loop_, poll_, poller_.fd());
    uv_poll_start(poll_, UV_READABLE, [](uv_poll_t* handle, int, int) {
        auto* self = static_cast<JsLoop*>(handle->data);
        self->from_loop([self] { self->poller_.dispatch(); });
    });
    async_ = new_handle<uv_async_t>(this);
    uv_async_init(loop_, async_, [](uv_async_t* handle) {
        auto* self = static_cast<JsLoop*>(handle->data);
        self->from_loop([self] { self->take_adoptions(); });
    });
    check_ = new_handle<uv_check_t>(this);
    uv_check_init(loop_, check_);
    idle_ = new_handle<uv_idle_t>(this);
    uv_idle_init(loop_, idle_);
    // None of these keeps Node's loop alive: the event pump decides that.
    for (auto* handle :
         {reinterpret_cast<uv_handle_t*>(poll_), reinterpret_cast<uv_handle_t*>(async_),
          reinterpret_cast<uv_handle_t*>(check_), reinterpret_cast<uv_handle_t*>(idle_)}) {
        uv_unref(handle);
    }
}

JsLoop::~JsLoop() {
    close();
}

void JsLoop::attach(const ServerContext& context) {
    context_ = &context;
    handshake_deadlines_.emplace(*this, context.options.handshake_timeout);
    linger_deadlines_.emplace(*this, kLingerLimit);
    if (context_->options.ping_interval.count() > 0) {
        schedule_heartbeat(context_->options.ping_interval, false);
    }
}

void JsLoop::take_listener(int fd, std::function<ConnectionId()> next_id) {
    next_id_ = std::move(next_id);
    listener_ = std::make_unique<Listener>(
        *this, fd, [this](AcceptedSocket socket) { accept(std::move(socket)); });
    listener_->start();
}

void JsLoop::accept(AcceptedSocket socket) {
    const ConnectionId id = next_id_();
    // Out of ids, or accepted in the turn the shutdown began: the socket
    // closes as it goes out of scope.
    if (id == 0 || stopping_ || closed_) return;
    auto session = std::make_shared<RawSession>(*this, id, std::move(socket));
    // Before any event: the application's commands for it come here.
    session->status()->on_js_thread = true;
    sessions_.add(id, session);
    session->start({});
}

void JsLoop::adopt(ConnectionId id, Handoff handoff, ConnectionInfo info, std::string early_bytes) {
    {
        std::lock_guard lock(inbox_mutex_);
        inbox_.push_back(Adoption{id, std::move(handoff), std::move(info), std::move(early_bytes)});
    }
    uv_async_send(async_);
}

void JsLoop::handoffs_ended() {
    {
        std::lock_guard lock(inbox_mutex_);
        handoffs_ended_ = true;
    }
    uv_async_send(async_);
}

void JsLoop::take_adoptions() {
    std::vector<Adoption> arrived;
    {
        std::lock_guard lock(inbox_mutex_);
        arrived.swap(inbox_);
        no_more_adoptions_ = handoffs_ended_;
    }
    for (auto& adoption : arrived) {
        if (closed_ || finished_ || !adoption.handoff.status) {
            reject(adoption);
            continue;
        }
        adoption.handoff.status->on_js_thread = true;
        auto session =
            std::make_shared<RawSession>(*this, adoption.id, std::move(adoption.handoff));
        sessions_.add(adoption.id, session);
        session->open(std::move(adoption.info), adoption.early_bytes);
        // The client has its 101 already: it is told of the shutdown like
        // every other connection, not dropped.
        if (stopping_) {
            session->close(close_code::going_away, "Server shutting down");
            if (!shutdown_timer_)
                shutdown_timer_ = start_timer(grace_, [this] { terminate_all(); });
        }
    }
    check_finished();
}

void JsLoop::reject(Adoption& adoption) {
    // Only when the loop is gone (or the hand-off failed): ends silently.
    if (adoption.handoff.fd >= 0) ::close(adoption.handoff.fd);
    adoption.handoff.fd = -1;
    if (adoption.handoff.counted) context_->counts->remove(adoption.handoff.peer);
}

void JsLoop::execute(Command& command) {
    if (closed_) return;
    run_command(command, sessions_, topics_);
}

bool JsLoop::decide_upgrade(ConnectionId id, UpgradeDecision& decision) {
    Session* const session = closed_ ? nullptr : sessions_.find(id);
    if (!session) return false;
    session->decide_upgrade(std::move(decision));
    return true;
}

void JsLoop::resume_paused() {
    lists_.resume_paused();
}

void JsLoop::defer_write(Session& session) {
    lists_.defer_write(session);
    request_settle();
}

void JsLoop::pause(std::shared_ptr<Session> session) {
    lists_.pause(std::move(session));
}

void JsLoop::post(std::function<void()> task) {
    tasks_.push_back(std::move(task));
    request_settle();
}

std::unique_ptr<HostTimer> JsLoop::start_timer(std::chrono::milliseconds delay,
                                               std::function<void()> callback) {
    return std::make_unique<Timer>(*this, delay, std::move(callback));
}

void JsLoop::session_finished(ConnectionId id) {
    topics_.remove_connection(id);
    lists_.forget(id);
    if (lists_.keep_finished(sessions_.take(id))) post([this] { lists_.release_finished(); });
    // After the caller has reported the close: the end of the server comes
    // after the last connection's close event.
    if (stopping_) post([this] { check_finished(); });
}

template <class Work>
void JsLoop::from_loop(Work work) {
    in_callback_ = true;
    work();
    in_callback_ = false;
    settle();
}

void JsLoop::read_waiting_input() {
    for (int batch = 0; batch < 64 && poller_.dispatch() == Poller::kBatch; ++batch) {
    }
}

void JsLoop::settle() {
    if (settling_ || closed_) return;
    settling_ = true;
    std::vector<std::function<void()>> tasks;
    for (int pass = 0; pass < kSettlePasses; ++pass) {
        bool worked = false;
        if (!tasks_.empty()) {
            tasks.swap(tasks_);
            for (auto& task : tasks) task();
            tasks.clear();
            worked = true;
        }
        if (lists_.writes_waiting()) {
            lists_.write_deferred();
            worked = true;
        }
        if (events_pending_) {
            events_pending_ = false;
            hooks_.dispatch_events();
            worked = true;
        }
        if (!worked) break;
    }
    settling_ = false;
    if (!tasks_.empty() || lists_.writes_waiting() || events_pending_) request_settle();
}

void JsLoop::request_settle() {
    if (settling_ || in_callback_ || closed_ || check_started_) return;
    check_started_ = true;
    // The idle handle keeps this loop turn from blocking in poll, so the
    // check phase comes at once.
    uv_idle_start(idle_, [](uv_idle_t*) {});
    uv_check_start(check_, [](uv_check_t* handle) {
        auto* self = static_cast<JsLoop*>(handle->data);
        self->check_started_ = false;
        uv_idle_stop(self->idle_);
        uv_check_stop(self->check_);
        self->settle();
    });
}

void JsLoop::schedule_heartbeat(std::chrono::milliseconds delay, bool check) {
    heartbeat_timer_ = start_timer(delay, [this, check] {
        if (stopping_) return;
        schedule_heartbeat(heartbeat_round(sessions_, context_->options, check), !check);
    });
}

void JsLoop::begin_shutdown(std::chrono::milliseconds grace) {
    if (stopping_ || closed_) return;
    stopping_ = true;
    grace_ = grace;
    if (listener_) listener_->stop();
    heartbeat_timer_.reset();
    for (const auto& session : sessions_.snapshot()) {
        session->close(close_code::going_away, "Server shutting down");
    }
    if (!sessions_.empty()) {
        shutdown_timer_ = start_timer(grace, [this] { terminate_all(); });
    }
    check_finished();
}

void JsLoop::terminate_all() {
    for (const auto& session : sessions_.snapshot()) session->terminate();
    lists_.drop_paused();
}

void JsLoop::check_finished() {
    // Not before the io threads have ended: one may still hand over a
    // connection whose handshake finished during the shutdown.
    if (!stopping_ || finished_ || !no_more_adoptions_ || !sessions_.empty()) return;
    finished_ = true;
    shutdown_timer_.reset();
    if (hooks_.finished) hooks_.finished();
}

void JsLoop::close() {
    if (closed_) return;
    if (listener_) listener_->stop();
    // The io threads are joined: nothing arrives in the inbox any more.
    {
        std::lock_guard lock(inbox_mutex_);
        for (auto& adoption : inbox_) reject(adoption);
        inbox_.clear();
    }
    heartbeat_timer_.reset();
    shutdown_timer_.reset();
    terminate_all();
    // Whatever is pending runs now: finishing the terminated sessions, and
    // the timers (lingering sockets, close timeouts) as if they expired.
    const auto deadlines_left = [this] {
        return handshake_deadlines_ &&
               (!handshake_deadlines_->empty() || !linger_deadlines_->empty());
    };
    for (int pass = 0;
         pass < kSettlePasses && (!tasks_.empty() || !timers_.empty() || deadlines_left());
         ++pass) {
        if (handshake_deadlines_) {
            handshake_deadlines_->expire_all();
            linger_deadlines_->expire_all();
        }
        auto tasks = std::move(tasks_);
        tasks_.clear();
        for (auto& task : tasks) task();
        std::vector<std::function<void()>> expired;
        for (auto* handle : timers_) {
            uv_timer_stop(&handle->timer);
            if (handle->callback) expired.push_back(std::exchange(handle->callback, nullptr));
        }
        for (auto& callback : expired) callback();
    }
    closed_ = true;
    for (auto* handle : timers_) handle->owner = nullptr;
    timers_.clear();
    tasks_.clear();
    lists_.clear();
    close_handle(poll_);
    close_handle(async_);
    close_handle(check_);
    close_handle(idle_);
}

void JsLoop::note_event() {
    events_pending_ = true;
    request_settle();
}

void JsLoop::LoopSink::on_upgrade(UpgradeInfo info) {
    owner_.context_->sink->on_upgrade(std::move(info));
    owner_.note_event();
}

void JsLoop::LoopSink::on_open(ConnectionInfo info) {
    owner_.context_->sink->on_open(std::move(info));
    owner_.note_event();
}

bool JsLoop::LoopSink::on_message(ConnectionId id, std::string& payload, bool binary) {
    const bool keep_reading = owner_.context_->sink->on_message(id, payload, binary);
    owner_.note_event();
    return keep_reading;
}

bool JsLoop::LoopSink::on_control(ConnectionId id, Control kind, std::string_view payload) {
    const bool keep_reading = owner_.context_->sink->on_control(id, kind, payload);
    owner_.note_event();
    return keep_reading;
}

void JsLoop::LoopSink::on_drain(ConnectionId id) {
    owner_.context_->sink->on_drain(id);
    owner_.note_event();
}

void JsLoop::LoopSink::on_error(ConnectionId id, std::string what) {
    owner_.context_->sink->on_error(id, std::move(what));
    owner_.note_event();
}

void JsLoop::LoopSink::on_close(ConnectionId id, std::uint16_t code, std::string reason) {
    owner_.context_->sink->on_close(id, code, std::move(reason));
    owner_.note_event();
}

void JsLoop::LoopSink::on_refused(ConnectionId id) {
    owner_.context_->sink->on_refused(id);
    owner_.note_event();
}

}  // namespace hyphae::binding
