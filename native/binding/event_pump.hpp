#pragma once
// Carries core events from the io threads to the JS thread. A producing
// thread chains its events privately and, at the flush after its round,
// pushes the chain onto a lock-free stack with one CAS and wakes the JS
// thread through a uv_async_t; the JS thread takes everything at once and
// hands it to ONE JS dispatcher call per batch:
//
//   dispatch(meta: Float64Array, count: number, ...values)
//
// meta holds [kind, connectionId, code] per event, values one JS value per
// event (see EventKind). Per connection, events keep the order they were
// produced in, since one connection's events all come from its io thread.
#include <napi.h>
#include <uv.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "hyphae/event_sink.hpp"

namespace hyphae::binding {

enum class EventKind : std::uint8_t {
    open = 1,            // value: [remoteAddress, remotePort, url, protocol, name0, value0, ...]
    text_message = 2,    // value: string
    binary_message = 3,  // value: Buffer
    error = 4,           // value: string
    close = 5,           // value: reason string; code in meta
    server_closed = 6,   // value: undefined; the last event of a server
    drain = 7,           // value: undefined; the outbound queue emptied after backpressure
    upgrade = 8,         // value: [remoteAddress, remotePort, url, protocols, name0, value0, ...]
    ping = 9,            // value: Buffer (the ping's payload; the core has answered it)
    pong = 10,           // value: Buffer (the pong's payload)
    refused = 11,        // value: undefined; an adopted connection ended unopened
};

class EventPump : public EventSink {
public:
    // Inbound backpressure: when undelivered message bytes pass `high_water`,
    // sessions stop reading; `resume` is called on the JS thread once the
    // queue is back under half of it.
    explicit EventPump(std::size_t high_water = 8 * 1024 * 1024) : high_water_(high_water) {}
    void set_resume(std::function<void()> resume) { resume_ = std::move(resume); }
    // Called with true before each dispatcher call and false after it, so the
    // owner can flush what the handlers staged in one go.
    void set_dispatching(std::function<void(bool)> dispatching) {
        dispatching_ = std::move(dispatching);
    }
    ~EventPump() override;

    // JS thread. Creates the wake-up handle on `loop`; `deliver` runs on the
    // JS thread when woken, and calls dispatch_now().
    //
    // Not a napi thread-safe function: its queue takes a mutex on both
    // sides and signals while holding it, so on a shared core the woken JS
    // thread often blocked on that mutex at once (a futex round trip and two
    // more context switches per wake-up). uv_async_send takes no lock.
    void start(uv_loop_t* loop, std::function<void()> deliver);
    // JS thread. Called after the batch holding server_closed was taken and
    // before it is dispatched, so the owner can join its io threads first.
    void set_on_server_closed(std::function<void()> fn) { on_server_closed_ = std::move(fn); }
    // JS thread, from a libuv callback (outside any JS call) and inside the
    // caller's HandleScope: delivers the queued events now, as the
    // thread-safe function's call would, with microtasks run after.
    // Same-thread mode calls this once per loop turn.
    void dispatch_now(Napi::Env env, Napi::Function dispatcher, napi_async_context context);
    // JS thread. Closes the wake-up handle; no producer may flush after.
    void release();
    // JS thread. Drops undelivered events (teardown).
    void discard_pending();
    // Whether the wake-up handle keeps Node's loop alive (it does at start).
    void ref();
    void unref();
    // JS thread. The status of a connection JS has seen open and not yet
    // closed; null otherwise (so JS-side calls on unknown ids are refused).
    // The entry itself, so a caller copies the reference only when it keeps
    // it: valid until the next dispatch (which may see the connection close).
    const std::shared_ptr<ConnectionStatus>* find(ConnectionId id) const;

    // io threads
    void on_open(ConnectionInfo info) override;
    bool on_message(ConnectionId id, std::string& payload, bool binary) override;
    bool on_control(ConnectionId id, Control kind, std::string_view payload) override;
    void on_upgrade(UpgradeInfo info) override;
    void on_drain(ConnectionId id) override;
    void on_error(ConnectionId id, std::string what) override;
    void on_close(ConnectionId id, std::uint16_t code, std::string reason) override;
    void on_refused(ConnectionId id) override;
    void on_server_closed() override;
    // Wakes the JS thread once per io-thread round (see EventSink::flush).
    void flush() override;

private:
    struct Event;
    static void free_list(Event* list);
    struct EventFree {
        void operator()(Event* event) const;
    };
    using EventPtr = std::unique_ptr<Event, EventFree>;
    static EventPtr new_event(EventKind kind, ConnectionId id, std::string data = {},
                              std::uint16_t code = 0);
    // An event with its payload copied in behind it (one allocation).
    static EventPtr inline_event(EventKind kind, ConnectionId id, std::string_view payload);

    // Adds to this thread's chain; `bytes` count against the high-water mark.
    void push(EventPtr event, std::size_t bytes = 0);
    // Pushes an event whose payload counts against the high-water mark
    // (messages, pings, pongs); false when the mark is passed.
    bool push_counted(EventPtr event, std::size_t payload_size);
    // Pushes this thread's chain onto the stack, if it holds this pump's events.
    void publish_staged();
    void drain(Napi::Env env, Napi::Function dispatcher);
    Event* take_all();

    // The events one thread produced since its last flush, newest first, as
    // the stack holds them: pushing the chain whole keeps the order that
    // pushing each event would give. A CAS per event and a locked add per
    // message were 1.5% of the echo server's CPU at depth 4.
    struct Staged {
        EventPump* pump;  // whose events these are (null: none)
        Event* newest;
        Event* oldest;
        std::size_t bytes;  // message bytes, not yet in queued_bytes_
    };
    // Plain data in the initial-exec model: a fixed offset from the thread
    // pointer, no __tls_get_addr call and no guard (as in block_pool).
    static thread_local Staged staged_ __attribute__((tls_model("initial-exec")));

    std::atomic<Event*> head_{nullptr};
    uv_async_t* wakeup_ = nullptr;  // freed by its close callback
    std::function<void()> deliver_;
    std::function<void()> on_server_closed_;
    std::function<void()> resume_;
    std::function<void(bool)> dispatching_;
    const std::size_t high_water_;
    std::atomic<std::size_t> queued_bytes_{0};  // message bytes not yet handed to JS
    std::atomic<bool> paused_{false};
    // Set when a wake-up is on its way; the JS thread clears it before it
    // takes the queue, so a flush after that always wakes it again.
    std::atomic<bool> signalled_{false};
    std::unordered_map<ConnectionId, std::shared_ptr<ConnectionStatus>> statuses_;  // JS thread
};

}  // namespace hyphae::binding
