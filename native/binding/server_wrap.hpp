#pragma once
// The JS-facing server object. Every method returns at once: sends, closes
// and pings are posted to the io thread owning the connection.
#include <napi.h>

#include <memory>

#include "event_pump.hpp"
#include "hyphae/server.hpp"
#include "js_loop.hpp"
#include "js_payload.hpp"

namespace hyphae::binding {

class ServerWrap : public Napi::ObjectWrap<ServerWrap> {
public:
    static Napi::Function define(Napi::Env env);

    // new NativeServer(options, dispatcher)
    explicit ServerWrap(const Napi::CallbackInfo& info);
    ~ServerWrap() override;

private:
    Napi::Value listen(const Napi::CallbackInfo& info);
    // `send` is an own property of each instance, a function bound to it:
    // no unwrap of `this` per call.
    static Napi::Value send_entry(const Napi::CallbackInfo& info);
    Napi::Value send(const Napi::CallbackInfo& info);
    Napi::Value end(const Napi::CallbackInfo& info);
    Napi::Value terminate(const Napi::CallbackInfo& info);
    Napi::Value set_paused(const Napi::CallbackInfo& info);
    Napi::Value stage_for(const Napi::CallbackInfo& info, Command::Kind kind);
    Napi::Value ping(const Napi::CallbackInfo& info);
    Napi::Value pong(const Napi::CallbackInfo& info);
    Napi::Value control(const Napi::CallbackInfo& info, Command::Kind kind);
    Napi::Value close(const Napi::CallbackInfo& info);
    Napi::Value address(const Napi::CallbackInfo& info);
    Napi::Value ref(const Napi::CallbackInfo& info);
    Napi::Value unref(const Napi::CallbackInfo& info);
    Napi::Value connection_count(const Napi::CallbackInfo& info);
    Napi::Value buffered_amount(const Napi::CallbackInfo& info);
    Napi::Value subscription(const Napi::CallbackInfo& info, bool subscribe);
    Napi::Value subscribe(const Napi::CallbackInfo& info);
    Napi::Value unsubscribe(const Napi::CallbackInfo& info);
    Napi::Value publish(const Napi::CallbackInfo& info);
    Napi::Value subscriber_count(const Napi::CallbackInfo& info);
    Napi::Value topic_count(const Napi::CallbackInfo& info);
    Napi::Value stats(const Napi::CallbackInfo& info);

    Napi::Value flush(const Napi::CallbackInfo& info);
    Napi::Value decide_upgrade(const Napi::CallbackInfo& info);
    Napi::Value adopt(const Napi::CallbackInfo& info);

    // JS-issued operations are staged per io thread and handed over in one
    // batch per JS turn: after each dispatch, or from a microtask when they
    // were issued outside one.
    // The status of a connection JS has seen open and not yet closed (null
    // otherwise, so calls on unknown ids are refused); see EventPump::find.
    const std::shared_ptr<ConnectionStatus>* open_status(ConnectionId id) const;
    // A command for a connection JS has seen open: staged for its io
    // thread, or run at once when it is served on the JS thread.
    void stage(ConnectionId id, const ConnectionStatus& status, Command command);
    void stage(unsigned worker, Command command);
    void stage_everywhere(const Command& command);
    void flush_staged();

    // JS thread, once the io threads have finished.
    void on_stopped();
    // Environment teardown (process exit, worker termination).
    static void teardown(ServerWrap* self);

    ServerOptions options_;
    Napi::FunctionReference dispatcher_;
    std::shared_ptr<EventPump> pump_;
    std::unique_ptr<Server> server_;
    // Same-thread mode: plain connections are served on this thread.
    bool same_thread_ = false;
    bool attached_ = false;  // serves sockets adopted from a Node HTTP server
    std::shared_ptr<JsLoop> js_loop_;
    std::shared_ptr<JsLoop> closed_loop_;  // see on_stopped()
    std::optional<Napi::AsyncContext> async_context_;
    std::optional<Napi::Env::CleanupHook<void (*)(ServerWrap*), ServerWrap>> cleanup_;
    bool referenced_ = true;
    std::size_t inbound_high_water_ = 8 * 1024 * 1024;
    Napi::FunctionReference schedule_flush_;  // queues a microtask that calls flush()
    std::vector<std::vector<Command>> staged_;
    bool dispatching_ = false;
    bool flush_scheduled_ = false;
    PayloadReader payload_reader_;
};

}  // namespace hyphae::binding
