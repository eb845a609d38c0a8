#include "event_pump.hpp"

#include "hyphae/block_pool.hpp"
#include "hyphae/utf8_validator.hpp"

#include <cstring>
#include <new>
#include <vector>

namespace hyphae::binding {

namespace {

// Dispatch at most this many events per JS call, so one huge burst does not
// build arrays of unbounded size.
constexpr std::size_t kMaxBatch = 4096;
// Binary payloads below this size are copied: an external buffer's
// finalizer costs more than copying a small one.
constexpr std::size_t kExternalBufferMin = 1024;
// Text payloads up to this size are copied in behind their event (one
// allocation for both); larger ones are taken over without a copy.
constexpr std::size_t kInlineTextMax = 4096;

}  // namespace

struct EventPump::Event {
    // What only some events carry, kept apart so that a small message's
    // event and payload fit one small allocation (32 bytes + payload).
    struct Extra {
        std::string data;  // a payload taken over, an error text or a close reason
        std::unique_ptr<ConnectionInfo> info;
        std::unique_ptr<UpgradeInfo> upgrade;
    };

    Event* next = nullptr;
    ConnectionId id = 0;
    std::uint32_t inline_size = 0;  // bytes behind this struct: the payload, without `extra`
    std::uint16_t code = 0;
    EventKind kind = EventKind::drain;
    std::unique_ptr<Extra> extra;

    const char* bytes() const {
        return extra ? extra->data.data() : reinterpret_cast<const char*>(this + 1);
    }
    std::size_t size() const { return extra ? extra->data.size() : inline_size; }

    // Events are allocated with room for an inline payload behind them, so
    // they are created and freed only through these.
    static Event* create(std::size_t inline_bytes = 0) {
        void* memory = block_pool::allocate(sizeof(Event) + inline_bytes);
        auto* event = new (memory) Event;
        event->inline_size = static_cast<std::uint32_t>(inline_bytes);
        return event;
    }
    static void free(Event* event) {
        const std::size_t footprint = sizeof(Event) + event->inline_size;
        event->~Event();
        block_pool::release(event, footprint);
    }
};

void EventPump::EventFree::operator()(Event* event) const {
    Event::free(event);
}

void EventPump::free_list(Event* list) {
    while (list) Event::free(std::exchange(list, list->next));
}

// The model is repeated here: GCC takes it from the definition, and without
// it each access called __tls_get_addr (four per event).
thread_local EventPump::Staged EventPump::staged_
    __attribute__((tls_model("initial-exec"))) = {nullptr, nullptr, nullptr, 0};

EventPump::~EventPump() {
    publish_staged();
    free_list(take_all());
}

void EventPump::start(uv_loop_t* loop, std::function<void()> deliver) {
    deliver_ = std::move(deliver);
    wakeup_ = new uv_async_t{};
    wakeup_->data = this;
    uv_async_init(loop, wakeup_,
                  [](uv_async_t* handle) { static_cast<EventPump*>(handle->data)->deliver_(); });
}

void EventPump::release() {
    if (wakeup_ == nullptr) return;
    uv_close(reinterpret_cast<uv_handle_t*>(wakeup_),
             [](uv_handle_t* closed) { delete reinterpret_cast<uv_async_t*>(closed); });
    wakeup_ = nullptr;
}

void EventPump::discard_pending() {
    statuses_.clear();
    publish_staged();
    free_list(take_all());
}

void EventPump::ref() {
    if (wakeup_) uv_ref(reinterpret_cast<uv_handle_t*>(wakeup_));
}

void EventPump::unref() {
    if (wakeup_) uv_unref(reinterpret_cast<uv_handle_t*>(wakeup_));
}

const std::shared_ptr<ConnectionStatus>* EventPump::find(ConnectionId id) const {
    const auto it = statuses_.find(id);
    return it == statuses_.end() ? nullptr : &it->second;
}

void EventPump::push(EventPtr event, std::size_t bytes) {
    Staged& chain = staged_;
    if (chain.pump != this) {
        // Another server's events, on this thread (same-thread mode runs
        // several on the JS thread): they go out first.
        if (chain.pump) chain.pump->publish_staged();
        chain.pump = this;
    }
    Event* node = event.release();
    node->next = chain.newest;
    chain.newest = node;
    if (!chain.oldest) chain.oldest = node;
    chain.bytes += bytes;
    // No wake-up here: the io thread calls flush() once it has run the
    // handlers that were ready together, so JS gets the whole round at once
    // (and a shared core is not switched over to JS for every event).
}

void EventPump::publish_staged() {
    Staged& chain = staged_;
    if (chain.pump != this) return;
    Event* newest = chain.newest;
    Event* oldest = chain.oldest;
    // Counted before the events can be taken, so the drain's subtraction
    // never comes first.
    if (chain.bytes) queued_bytes_.fetch_add(chain.bytes);
    chain = {nullptr, nullptr, nullptr, 0};
    if (!newest) return;
    Event* head = head_.load(std::memory_order_relaxed);
    do {
        oldest->next = head;
    } while (!head_.compare_exchange_weak(head, newest, std::memory_order_release,
                                          std::memory_order_relaxed));
}

void EventPump::flush() {
    publish_staged();
    if (head_.load(std::memory_order_acquire) == nullptr) return;
    if (signalled_.exchange(true)) return;  // a wake-up is already on its way
    uv_async_send(wakeup_);
}

EventPump::Event* EventPump::take_all() {
    Event* list = head_.exchange(nullptr, std::memory_order_acquire);
    // The stack holds newest first; reverse into arrival order.
    Event* ordered = nullptr;
    while (list) {
        Event* next = list->next;
        list->next = ordered;
        ordered = list;
        list = next;
    }
    return ordered;
}

EventPump::EventPtr EventPump::new_event(EventKind kind, ConnectionId id, std::string data,
                                         std::uint16_t code) {
    EventPtr event(Event::create());
    event->kind = kind;
    event->id = id;
    event->extra = std::make_unique<Event::Extra>();
    event->extra->data = std::move(data);
    event->code = code;
    return event;
}

void EventPump::on_open(ConnectionInfo info) {
    auto event = new_event(EventKind::open, info.id);
    event->extra->info = std::make_unique<ConnectionInfo>(std::move(info));
    push(std::move(event));
}

EventPump::EventPtr EventPump::inline_event(EventKind kind, ConnectionId id,
                                            std::string_view payload) {
    EventPtr event(Event::create(payload.size()));
    event->kind = kind;
    event->id = id;
    if (!payload.empty())
        std::memcpy(reinterpret_cast<char*>(event.get() + 1), payload.data(), payload.size());
    return event;
}

bool EventPump::on_message(ConnectionId id, std::string& payload, bool binary) {
    const EventKind kind = binary ? EventKind::binary_message : EventKind::text_message;
    const bool take =
        binary ? payload.size() >= kExternalBufferMin : payload.size() > kInlineTextMax;
    const std::size_t size = payload.size();
    return push_counted(
        take ? new_event(kind, id, std::move(payload)) : inline_event(kind, id, payload), size);
}

bool EventPump::on_control(ConnectionId id, Control kind, std::string_view payload) {
    const EventKind event = kind == Control::ping ? EventKind::ping : EventKind::pong;
    return push_counted(inline_event(event, id, payload), payload.size());
}

bool EventPump::push_counted(EventPtr event, std::size_t payload_size) {
    // Count a little per event besides the payload, so floods of empty
    // messages are bounded too.
    const std::size_t cost = payload_size + sizeof(Event);
    // What JS has not taken yet, including this thread's chain.
    const std::size_t staged = staged_.pump == this ? staged_.bytes : 0;
    const bool over = queued_bytes_.load(std::memory_order_relaxed) + staged + cost > high_water_;
    // Flag before publishing: the drain that follows must see it, or a
    // paused socket could wait for a resume that never comes. The resume it
    // posts runs on this io thread after this read handler has returned.
    if (over) paused_.store(true);
    push(std::move(event), cost);
    return !over;
}

void EventPump::on_upgrade(UpgradeInfo info) {
    auto event = new_event(EventKind::upgrade, info.id);
    event->extra->upgrade = std::make_unique<UpgradeInfo>(std::move(info));
    push(std::move(event));
}

void EventPump::on_drain(ConnectionId id) {
    push(new_event(EventKind::drain, id));
}

void EventPump::on_error(ConnectionId id, std::string what) {
    push(new_event(EventKind::error, id, std::move(what)));
}

void EventPump::on_close(ConnectionId id, std::uint16_t code, std::string reason) {
    push(new_event(EventKind::close, id, std::move(reason), code));
}

void EventPump::on_refused(ConnectionId id) {
    push(new_event(EventKind::refused, id));
}

void EventPump::on_server_closed() {
    push(new_event(EventKind::server_closed, 0));
}

void EventPump::dispatch_now(Napi::Env env, Napi::Function dispatcher, napi_async_context context) {
    // Cleared before the queue is taken, so a flush from now on wakes JS
    // again; and even when there is nothing to take (a drain before this
    // wake-up took it), or a later flush would think a wake-up on its way.
    signalled_.store(false);
    publish_staged();  // events this thread produced (same-thread mode)
    if (head_.load(std::memory_order_acquire) == nullptr) return;
    // Closing the scope runs process.nextTick callbacks and microtasks, as
    // after any callback from Node's loop.
    Napi::CallbackScope callback_scope(env, context);
    try {
        drain(env, dispatcher);
    } catch (const Napi::Error& error) {
        // No JS frame to throw into: an uncaught exception, as from a timer.
        if (!error.IsEmpty()) napi_fatal_exception(env, error.Value());
    }
}

namespace {

// [remoteAddress, remotePort, url, extra, name0, value0, ...]: the shape of
// both open (extra: the chosen protocol) and upgrade (extra: those offered).
Napi::Value request_value(Napi::Env env, const std::string& address, std::uint16_t port,
                          const std::string& target, const std::string& extra,
                          const std::vector<std::pair<std::string, std::string>>& headers) {
    auto value = Napi::Array::New(env, 4 + headers.size() * 2);
    value.Set(0u, Napi::String::New(env, address));
    value.Set(1u, Napi::Number::New(env, port));
    value.Set(2u, Napi::String::New(env, target));
    value.Set(3u, Napi::String::New(env, extra));
    std::uint32_t index = 4;
    for (const auto& [name, field] : headers) {
        value.Set(index++, Napi::String::New(env, name));
        value.Set(index++, Napi::String::New(env, field));
    }
    return value;
}

Napi::Value open_value(Napi::Env env, const ConnectionInfo& info) {
    return request_value(env, info.remote_address, info.remote_port, info.target, info.protocol,
                         info.headers);
}

Napi::Value upgrade_value(Napi::Env env, const UpgradeInfo& info) {
    return request_value(env, info.remote_address, info.remote_port, info.target, info.protocols,
                         info.headers);
}

// Valid UTF-8 (the core checked it). ASCII is also Latin-1, which V8 copies
// as it is; its UTF-8 decoder scans, counts and decodes first. The scan here
// repeats the validator's (four loads for a 32-byte message): sessions on
// Beast's stream do not report what their validation saw.
Napi::Value text_value(Napi::Env env, const char* bytes, std::size_t size) {
    if (ascii_prefix(reinterpret_cast<const unsigned char*>(bytes), size) != size) {
        return Napi::String::New(env, bytes, size);
    }
    napi_value value = nullptr;
    if (napi_create_string_latin1(env, bytes, size, &value) != napi_ok) {
        throw Napi::Error::New(env);  // N-API's own error, as String::New throws
    }
    return Napi::Value(env, value);
}

Napi::Value binary_value(Napi::Env env, std::string& payload) {
    if (payload.size() < kExternalBufferMin) {
        return Napi::Buffer<char>::Copy(env, payload.data(), payload.size());
    }
    // The JS Buffer takes over the bytes read by the core: no copy.
    auto* owned = new std::string(std::move(payload));
    return Napi::Buffer<char>::NewOrCopy(
        env, owned->data(), owned->size(),
        [](Napi::Env, char*, std::string* bytes) { delete bytes; }, owned);
}

}  // namespace

void EventPump::drain(Napi::Env env, Napi::Function dispatcher) {
    Event* list = take_all();
    // Frees what is left if any N-API call throws (JS failing or going away).
    struct Remaining {
        Event*& list;
        ~Remaining() { free_list(list); }
    } remaining{list};
    while (list) {
        Napi::HandleScope scope(env);
        std::size_t count = 0;
        for (Event* e = list; e && count < kMaxBatch; e = e->next) ++count;

        auto meta = Napi::Float64Array::New(env, count * 3);
        double* slots = meta.Data();
        // The values go as arguments after (meta, count): V8 copies them off
        // the stack into JS's rest array in one go, where setting each
        // element of an N-API array costs a property store per event.
        std::vector<napi_value> args;
        args.reserve(count + 2);
        args.push_back(meta);
        args.push_back(Napi::Number::New(env, static_cast<double>(count)));
        bool server_closed = false;
        std::size_t delivered_bytes = 0;
        for (std::size_t i = 0; i < count; ++i) {
            EventPtr event(std::exchange(list, list->next));
            if (event->kind == EventKind::text_message ||
                event->kind == EventKind::binary_message || event->kind == EventKind::ping ||
                event->kind == EventKind::pong) {
                delivered_bytes += event->size() + sizeof(Event);
            }
            slots[i * 3] = static_cast<double>(event->kind);
            slots[i * 3 + 1] = static_cast<double>(event->id);
            slots[i * 3 + 2] = event->code;
            Napi::Value value;
            switch (event->kind) {
                case EventKind::open:
                    statuses_[event->id] = event->extra->info->status;
                    value = open_value(env, *event->extra->info);
                    break;
                case EventKind::close:
                    statuses_.erase(event->id);
                    [[fallthrough]];  // the reason is its value
                case EventKind::text_message:
                case EventKind::error:
                    value = text_value(env, event->bytes(), event->size());
                    break;
                case EventKind::ping:
                case EventKind::pong:
                    value = Napi::Buffer<char>::Copy(env, event->bytes(), event->size());
                    break;
                case EventKind::binary_message:
                    value = event->extra
                                ? binary_value(env, event->extra->data)
                                : Napi::Buffer<char>::Copy(env, event->bytes(), event->size());
                    break;
                case EventKind::server_closed:
                    server_closed = true;
                    value = env.Undefined();
                    break;
                case EventKind::drain:
                case EventKind::refused:
                    value = env.Undefined();
                    break;
                case EventKind::upgrade:
                    value = upgrade_value(env, *event->extra->upgrade);
                    break;
            }
            args.push_back(value);
        }
        if (server_closed && on_server_closed_) on_server_closed_();
        if (dispatching_) dispatching_(true);
        try {
            dispatcher.Call(args.size(), args.data());
        } catch (...) {
            if (dispatching_) dispatching_(false);
            throw;
        }
        if (dispatching_) dispatching_(false);
        // JS has taken these messages: let paused sockets read again once
        // the queue is back under half the high-water mark.
        const std::size_t left = queued_bytes_.fetch_sub(delivered_bytes) - delivered_bytes;
        if (paused_.load() && left < high_water_ / 2) {
            paused_.store(false);
            if (resume_) resume_();
        }
    }
}

}  // namespace hyphae::binding
