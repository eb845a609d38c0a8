#include "server_wrap.hpp"

#include <fcntl.h>

#include <algorithm>
#include <chrono>

#include "hyphae/tls.hpp"

namespace hyphae::binding {

namespace {

ConnectionId connection_id(double id) {
    if (!(id >= 1 && id <= 9007199254740991.0)) return 0;
    return static_cast<ConnectionId>(id);
}

ConnectionId connection_id(const Napi::Value& value) {
    return value.IsNumber() ? connection_id(value.As<Napi::Number>().DoubleValue()) : 0;
}

std::string string_option(const Napi::Object& options, const char* name, std::string fallback) {
    const auto value = options.Get(name);
    return value.IsString() ? value.As<Napi::String>().Utf8Value() : fallback;
}

std::vector<std::string> string_list_option(const Napi::Object& options, const char* name) {
    std::vector<std::string> list;
    const auto value = options.Get(name);
    if (!value.IsArray()) return list;
    const auto array = value.As<Napi::Array>();
    for (std::uint32_t i = 0; i < array.Length(); ++i) {
        const auto item = array.Get(i);
        if (item.IsString()) list.push_back(item.As<Napi::String>().Utf8Value());
    }
    return list;
}

double number_option(const Napi::Object& options, const char* name, double fallback) {
    const auto value = options.Get(name);
    return value.IsNumber() ? value.As<Napi::Number>().DoubleValue() : fallback;
}

Napi::Error coded_error(Napi::Env env, const std::string& message, const std::string& code) {
    auto error = Napi::Error::New(env, message);
    error.Set("code", Napi::String::New(env, code));
    return error;
}

// The errno name Node uses for common listen failures (EADDRINUSE...).
std::string errno_name(const boost::system::error_code& ec) {
    namespace errc = boost::system::errc;
    if (ec == errc::address_in_use) return "EADDRINUSE";
    if (ec == errc::permission_denied) return "EACCES";
    if (ec == errc::address_not_available) return "EADDRNOTAVAIL";
    if (ec == errc::invalid_argument) return "EINVAL";
    return "ERR_HYPHAE_LISTEN";
}

}  // namespace

Napi::Function ServerWrap::define(Napi::Env env) {
    return DefineClass(env, "NativeServer",
                       {
                           InstanceMethod<&ServerWrap::listen>("listen"),
                           InstanceMethod<&ServerWrap::end>("end"),
                           InstanceMethod<&ServerWrap::terminate>("terminate"),
                           InstanceMethod<&ServerWrap::set_paused>("setPaused"),
                           InstanceMethod<&ServerWrap::ping>("ping"),
                           InstanceMethod<&ServerWrap::pong>("pong"),
                           InstanceMethod<&ServerWrap::close>("close"),
                           InstanceMethod<&ServerWrap::address>("address"),
                           InstanceMethod<&ServerWrap::ref>("ref"),
                           InstanceMethod<&ServerWrap::unref>("unref"),
                           InstanceMethod<&ServerWrap::connection_count>("connectionCount"),
                           InstanceMethod<&ServerWrap::buffered_amount>("bufferedAmount"),
                           InstanceMethod<&ServerWrap::subscribe>("subscribe"),
                           InstanceMethod<&ServerWrap::unsubscribe>("unsubscribe"),
                           InstanceMethod<&ServerWrap::publish>("publish"),
                           InstanceMethod<&ServerWrap::subscriber_count>("subscriberCount"),
                           InstanceMethod<&ServerWrap::topic_count>("topicCount"),
                           InstanceMethod<&ServerWrap::stats>("stats"),
                           InstanceMethod<&ServerWrap::flush>("flush"),
                           InstanceMethod<&ServerWrap::decide_upgrade>("decideUpgrade"),
                           InstanceMethod<&ServerWrap::adopt>("adopt"),
                       });
}

ServerWrap::ServerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ServerWrap>(info) {
    auto env = info.Env();
    if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction()) {
        throw Napi::TypeError::New(env, "NativeServer(options, dispatcher)");
    }
    const auto options = info[0].As<Napi::Object>();
    options_.host = string_option(options, "host", options_.host);
    options_.port = static_cast<std::uint16_t>(number_option(options, "port", 0));
    options_.policy.path = string_option(options, "path", "");
    options_.threads = static_cast<unsigned>(number_option(options, "threads", 0));
    options_.max_payload_length = static_cast<std::size_t>(number_option(
        options, "maxPayloadLength", static_cast<double>(options_.max_payload_length)));
    options_.max_header_bytes = static_cast<std::size_t>(
        number_option(options, "maxHeaderBytes", static_cast<double>(options_.max_header_bytes)));
    options_.handshake_timeout = std::chrono::milliseconds(static_cast<long long>(number_option(
        options, "handshakeTimeout", static_cast<double>(options_.handshake_timeout.count()))));
    options_.backlog = static_cast<int>(number_option(options, "backlog", options_.backlog));
    options_.max_backpressure = static_cast<std::size_t>(
        number_option(options, "maxBackpressure", static_cast<double>(options_.max_backpressure)));
    options_.close_on_backpressure_limit = options.Get("closeOnBackpressureLimit").ToBoolean();
    options_.policy.allowed_origins = string_list_option(options, "allowedOrigins");
    options_.policy.protocols = string_list_option(options, "protocols");
    options_.policy.max_connections =
        static_cast<std::size_t>(number_option(options, "maxConnections", 0));
    options_.policy.max_connections_per_ip =
        static_cast<std::size_t>(number_option(options, "maxConnectionsPerIp", 0));
    options_.decide_upgrades = options.Get("decideUpgrades").ToBoolean();
    same_thread_ = options.Get("sameThread").ToBoolean();
    // Attached to a Node HTTP server: no listening socket of our own.
    attached_ = options.Get("attach").ToBoolean();
    // perMessageDeflate: false | true | { serverMaxWindowBits, clientMaxWindowBits, level,
    // memLevel, threshold, serverNoContextTakeover, clientNoContextTakeover } (checked in JS)
    const auto deflate = options.Get("perMessageDeflate");
    if (deflate.IsBoolean() || deflate.IsObject()) options_.deflate.enabled = deflate.ToBoolean();
    if (deflate.IsObject()) {
        const auto d = deflate.As<Napi::Object>();
        auto& out = options_.deflate;
        out.server_max_window_bits =
            static_cast<int>(number_option(d, "serverMaxWindowBits", out.server_max_window_bits));
        out.client_max_window_bits =
            static_cast<int>(number_option(d, "clientMaxWindowBits", out.client_max_window_bits));
        out.level = static_cast<int>(number_option(d, "level", out.level));
        out.mem_level = static_cast<int>(number_option(d, "memLevel", out.mem_level));
        out.threshold = static_cast<std::size_t>(number_option(d, "threshold", 0));
        out.server_no_context_takeover = d.Get("serverNoContextTakeover").ToBoolean();
        out.client_no_context_takeover = d.Get("clientNoContextTakeover").ToBoolean();
    }
    // tls: { cert, key, ca, passphrase, requestCert }, PEM text (normalised in JS).
    const auto tls = options.Get("tls");
    if (tls.IsObject()) {
        const auto t = tls.As<Napi::Object>();
        auto& out = options_.tls.emplace();
        out.cert = string_option(t, "cert", "");
        out.key = string_option(t, "key", "");
        out.ca = string_option(t, "ca", "");
        out.passphrase = string_option(t, "passphrase", "");
        out.request_cert = t.Get("requestCert").ToBoolean();
    }
    options_.idle_timeout =
        std::chrono::milliseconds(static_cast<long long>(number_option(options, "idleTimeout", 0)));
    options_.ping_interval = std::chrono::milliseconds(
        static_cast<long long>(number_option(options, "pingInterval", 0)));
    options_.ping_timeout = std::chrono::milliseconds(static_cast<long long>(
        number_option(options, "pingTimeout", static_cast<double>(options_.ping_timeout.count()))));
    inbound_high_water_ = static_cast<std::size_t>(
        number_option(options, "inboundHighWaterMark", static_cast<double>(inbound_high_water_)));
    dispatcher_ = Napi::Persistent(info[1].As<Napi::Function>());
    // Optional: a function that queues a microtask calling flush(). Without
    // it, every operation is handed to the core at once.
    if (info.Length() > 2 && info[2].IsFunction())
        schedule_flush_ = Napi::Persistent(info[2].As<Napi::Function>());
    // The function holds a plain pointer to this wrapper; only lib/ reaches
    // it, and lib/ keeps the wrapper itself as long as it calls send.
    info.This().As<Napi::Object>().Set(
        "send", Napi::Function::New<&ServerWrap::send_entry>(env, "send", this));
}

ServerWrap::~ServerWrap() {
    // Normally stopped long before; this covers a wrapper collected at exit.
    if (server_) server_->stop_now();
    if (js_loop_) js_loop_->close();
    if (pump_) pump_->release();
}

Napi::Value ServerWrap::listen(const Napi::CallbackInfo& info) {
    auto env = info.Env();
    if (server_)
        throw coded_error(env, "The server is already listening", "ERR_HYPHAE_ALREADY_LISTENING");

    closed_loop_.reset();
    pump_ = std::make_shared<EventPump>(inbound_high_water_);
    pump_->set_resume([this] {
        if (server_) server_->resume_reading();
        if (js_loop_) js_loop_->resume_paused();
    });
    pump_->set_dispatching([this](bool dispatching) {
        dispatching_ = dispatching;
        if (!dispatching) flush_staged();
    });
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    if (!async_context_) async_context_.emplace(env, "hyphae.events");
    // From a libuv callback: events are delivered inside a callback scope,
    // so nextTicks and microtasks run after the batch, as after any I/O.
    auto deliver = [this] {
        auto env = Env();
        Napi::HandleScope scope(env);
        pump_->dispatch_now(env, dispatcher_.Value(), *async_context_);
    };
    pump_->start(loop, deliver);
    pump_->set_on_server_closed([this] { on_stopped(); });
    Endpoint endpoint;
    try {
        if (same_thread_) {
            JsLoop::Hooks hooks;
            hooks.dispatch_events = deliver;
            hooks.finished = [this] {
                if (server_) server_->adopter_finished();
            };
            js_loop_ = std::make_shared<JsLoop>(loop, std::move(hooks));
        }
        server_ = std::make_unique<Server>(options_, pump_, js_loop_);
        if (js_loop_) js_loop_->attach(*server_->context());
        staged_.assign(server_->thread_count(), {});
        if (attached_) {
            server_->start();
        } else {
            endpoint = server_->listen();
        }
    } catch (const TlsConfigError& failure) {
        // Invalid TLS material: nothing was started.
        server_.reset();
        js_loop_.reset();
        pump_->release();
        pump_.reset();
        throw coded_error(env, failure.what(), "ERR_HYPHAE_TLS");
    } catch (const boost::system::system_error& failure) {
        server_.reset();
        js_loop_.reset();
        pump_->release();
        pump_.reset();
        auto error =
            coded_error(env,
                        std::string("listen ") + errno_name(failure.code()) + " " + options_.host +
                            ":" + std::to_string(options_.port) + ": " + failure.code().message(),
                        errno_name(failure.code()));
        throw error;
    }
    // Stops the server if the environment goes away first (worker
    // termination, process exit).
    cleanup_.emplace(env.AddCleanupHook(&ServerWrap::teardown, this));
    if (!referenced_) pump_->unref();
    Ref();  // the JS object stays alive while the server runs, like net.Server

    if (attached_) return env.Null();
    auto result = Napi::Object::New(env);
    result.Set("address", endpoint.address);
    result.Set("port", endpoint.port);
    result.Set("family", endpoint.ipv6 ? "IPv6" : "IPv4");
    return result;
}

// adopt(fd, request) -> the connection's id, or 0 when the core did not take
// it (no event follows then; otherwise open..close or refused). `fd` stays
// the caller's (a Node socket it destroys next): the core serves a duplicate,
// so closing the original neither ends the connection nor races the core.
Napi::Value ServerWrap::adopt(const Napi::CallbackInfo& info) {
    auto env = info.Env();
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsBuffer()) {
        throw Napi::TypeError::New(env, "adopt(fd, request)");
    }
    if (!server_) return Napi::Number::New(env, 0);
    const int fd = info[0].As<Napi::Number>().Int32Value();
    const auto request = info[1].As<Napi::Buffer<char>>();
    const int copy = fd >= 0 ? ::fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
    if (copy < 0) return Napi::Number::New(env, 0);
    const auto id = server_->adopt(copy, std::string(request.Data(), request.Length()));
    return Napi::Number::New(env, static_cast<double>(id));
}

const std::shared_ptr<ConnectionStatus>* ServerWrap::open_status(ConnectionId id) const {
    return server_ && id != 0 ? pump_->find(id) : nullptr;
}

Napi::Value ServerWrap::send_entry(const Napi::CallbackInfo& info) {
    return static_cast<ServerWrap*>(info.Data())->send(info);
}

// send(id, data, isBinary) -> frame bytes queued; 0 dropped or not open; -1
// queued but now over maxBackpressure. Every message JS sends comes through
// here, so it spends as few N-API calls as it can.
Napi::Value ServerWrap::send(const Napi::CallbackInfo& info) {
    napi_env env = info.Env();
    double number = 0;
    const ConnectionId id =
        napi_get_value_double(env, info[0], &number) == napi_ok ? connection_id(number) : 0;
    SharedPayload payload;
    if (!payload_reader_.read(env, info[1], payload)) {
        throw coded_error(env, "data must be a string, Buffer, TypedArray, DataView or ArrayBuffer",
                          "ERR_HYPHAE_INVALID_DATA");
    }
    bool binary = false;
    if (napi_get_value_bool(env, info[2], &binary) != napi_ok) binary = info[2].ToBoolean();
    // Only connections JS has seen open (and not yet closed) are addressable.
    const auto* entry = open_status(id);
    if (!entry) return Napi::Number::New(env, 0);
    ConnectionStatus* status = entry->get();
    // Backpressure is decided here, on the JS thread, from what is queued or
    // on its way: 0 dropped (already at the limit), -1 queued but now over.
    const auto limit = static_cast<std::int64_t>(options_.max_backpressure);
    const auto before = status->buffered_amount();
    if (limit != 0 && before >= limit) {
        server_->note_dropped();
        return Napi::Number::New(env, 0);
    }
    const auto queued = frame_size(payload.size());
    status->add_sent(static_cast<std::int64_t>(queued));
    Command command;
    command.kind = Command::Kind::send;
    command.id = id;
    command.message = OutboundMessage{std::move(payload), binary};
    command.counted = true;
    stage(id, *status, std::move(command));
    if (limit != 0 && before + static_cast<std::int64_t>(queued) > limit)
        return Napi::Number::New(env, -1);
    return Napi::Number::New(env, static_cast<double>(queued));
}

Napi::Value ServerWrap::buffered_amount(const Napi::CallbackInfo& info) {
    const ConnectionId id = connection_id(info[0]);
    const auto* status = pump_ && id != 0 ? pump_->find(id) : nullptr;
    const auto amount = status ? (*status)->buffered_amount() : 0;
    return Napi::Number::New(info.Env(), static_cast<double>(amount > 0 ? amount : 0));
}

// subscribe/unsubscribe(id, topic): only for connections JS has seen open.
Napi::Value ServerWrap::subscription(const Napi::CallbackInfo& info, bool subscribe) {
    const ConnectionId id = connection_id(info[0]);
    if (!info[1].IsString()) {
        throw coded_error(info.Env(), "topic must be a string", "ERR_HYPHAE_INVALID_TOPIC");
    }
    const auto* status = open_status(id);
    if (!status) return Napi::Boolean::New(info.Env(), false);
    Command command;
    command.kind = subscribe ? Command::Kind::subscribe : Command::Kind::unsubscribe;
    command.id = id;
    command.text = std::make_shared<const std::string>(info[1].As<Napi::String>().Utf8Value());
    stage(id, **status, std::move(command));
    return Napi::Boolean::New(info.Env(), true);
}

Napi::Value ServerWrap::subscribe(const Napi::CallbackInfo& info) {
    return subscription(info, true);
}

Napi::Value ServerWrap::unsubscribe(const Napi::CallbackInfo& info) {
    return subscription(info, false);
}

// publish(topic, data, isBinary, excludeId?) -> frame bytes, 0 when not running
Napi::Value ServerWrap::publish(const Napi::CallbackInfo& info) {
    auto env = info.Env();
    if (!info[0].IsString())
        throw coded_error(env, "topic must be a string", "ERR_HYPHAE_INVALID_TOPIC");
    SharedPayload payload;
    if (!payload_reader_.read(env, info[1], payload)) {
        throw coded_error(env, "data must be a string, Buffer, TypedArray, DataView or ArrayBuffer",
                          "ERR_HYPHAE_INVALID_DATA");
    }
    if (!server_) return Napi::Number::New(env, 0);
    // The payload is copied once, here; every subscriber on every io thread
    // shares it.
    Command command;
    command.kind = Command::Kind::publish;
    command.id = connection_id(info[3]);  // excluded
    command.message = OutboundMessage{std::move(payload), info[2].ToBoolean()};
    command.text = std::make_shared<const std::string>(info[0].As<Napi::String>().Utf8Value());
    const auto queued = frame_size(command.message.payload.size());
    server_->note_publish();
    stage_everywhere(command);
    return Napi::Number::New(env, static_cast<double>(queued));
}

Napi::Value ServerWrap::subscriber_count(const Napi::CallbackInfo& info) {
    if (!server_ || !info[0].IsString()) return Napi::Number::New(info.Env(), 0);
    const auto topic = info[0].As<Napi::String>().Utf8Value();
    auto count = server_->subscriber_count(topic);
    if (js_loop_) count += js_loop_->topics().subscriber_count(topic);
    return Napi::Number::New(info.Env(), static_cast<double>(count));
}

Napi::Value ServerWrap::topic_count(const Napi::CallbackInfo& info) {
    if (!server_) return Napi::Number::New(info.Env(), 0);
    const auto count = server_->topic_count(js_loop_ ? &js_loop_->topics() : nullptr);
    return Napi::Number::New(info.Env(), static_cast<double>(count));
}

Napi::Value ServerWrap::stats(const Napi::CallbackInfo& info) {
    auto env = info.Env();
    StatsSnapshot stats = server_ ? server_->stats() : StatsSnapshot{};
    if (server_ && js_loop_) js_loop_->stats().add_to(stats);
    auto result = Napi::Object::New(env);
    const auto set = [&](const char* name, std::uint64_t value) {
        result.Set(name, Napi::Number::New(env, static_cast<double>(value)));
    };
    set("connectionsOpened", stats.connections_opened);
    set("connectionsClosed", stats.connections_closed);
    set("messagesIn", stats.messages_in);
    set("bytesIn", stats.bytes_in);
    set("messagesOut", stats.messages_out);
    set("bytesOut", stats.bytes_out);
    set("publishes", stats.publishes);
    set("dropped", stats.dropped);
    set("backpressureEvents", stats.backpressure);
    set("readsPaused", stats.reads_paused);
    set("tlsHandshakesFailed", stats.tls_failed);
    set("pingTimeouts", stats.ping_timeouts);
    set("acceptErrors", stats.accept_errors);
    set("sameThreadConnections", server_ && js_loop_ ? js_loop_->connection_count() : 0);
    return result;
}

Napi::Value ServerWrap::end(const Napi::CallbackInfo& info) {
    auto env = info.Env();
    const ConnectionId id = connection_id(info[0]);
    const auto code = static_cast<std::uint16_t>(
        info[1].IsNumber() ? info[1].As<Napi::Number>().Uint32Value() : 1000);
    std::string reason =
        info[2].IsString() ? info[2].As<Napi::String>().Utf8Value() : std::string();
    const auto* status = open_status(id);
    if (!status) return Napi::Boolean::New(env, false);
    Command command;
    command.kind = Command::Kind::close;
    command.id = id;
    command.code = code;
    command.text = std::make_shared<const std::string>(std::move(reason));
    stage(id, **status, std::move(command));
    return Napi::Boolean::New(env, true);
}

// A command that names only the connection (info[0]); false for one JS does
// not know as open.
Napi::Value ServerWrap::stage_for(const Napi::CallbackInfo& info, Command::Kind kind) {
    const ConnectionId id = connection_id(info[0]);
    const auto* status = open_status(id);
    if (!status) return Napi::Boolean::New(info.Env(), false);
    Command command;
    command.kind = kind;
    command.id = id;
    stage(id, **status, std::move(command));
    return Napi::Boolean::New(info.Env(), true);
}

Napi::Value ServerWrap::terminate(const Napi::CallbackInfo& info) {
    return stage_for(info, Command::Kind::terminate);
}

// setPaused(id, paused): ws's pause()/resume().
Napi::Value ServerWrap::set_paused(const Napi::CallbackInfo& info) {
    return stage_for(info, info[1].ToBoolean() ? Command::Kind::pause : Command::Kind::resume);
}

Napi::Value ServerWrap::ping(const Napi::CallbackInfo& info) {
    return control(info, Command::Kind::ping);
}

Napi::Value ServerWrap::pong(const Napi::CallbackInfo& info) {
    return control(info, Command::Kind::pong);
}

// ping/pong(id, data?) -> false when the connection is not open
Napi::Value ServerWrap::control(const Napi::CallbackInfo& info, Command::Kind kind) {
    const ConnectionId id = connection_id(info[0]);
    SharedPayload payload;
    if (info.Length() > 1 && !info[1].IsUndefined() &&
        !payload_reader_.read(info.Env(), info[1], payload)) {
        throw coded_error(info.Env(),
                          kind == Command::Kind::ping ? "ping data must be a string or binary"
                                                      : "pong data must be a string or binary",
                          "ERR_HYPHAE_INVALID_DATA");
    }
    const auto* status = open_status(id);
    if (!status) return Napi::Boolean::New(info.Env(), false);
    Command command;
    command.kind = kind;
    command.id = id;
    command.text = std::make_shared<const std::string>(payload.view());
    stage(id, **status, std::move(command));
    return Napi::Boolean::New(info.Env(), true);
}

Napi::Value ServerWrap::close(const Napi::CallbackInfo& info) {
    auto env = info.Env();
    if (!server_ || !server_->listening()) return Napi::Boolean::New(env, false);
    flush_staged();  // what JS sent before close() goes out first
    const double grace = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 5000;
    const std::chrono::milliseconds grace_ms(static_cast<long long>(grace < 0 ? 0 : grace));
    server_->stop(grace_ms);
    if (js_loop_) js_loop_->begin_shutdown(grace_ms);
    return Napi::Boolean::New(env, true);
}

// decideUpgrade(id, accept, status, message, protocol, [name, value, ...])
Napi::Value ServerWrap::decide_upgrade(const Napi::CallbackInfo& info) {
    const ConnectionId id = connection_id(info[0]);
    if (!server_ || id == 0) return Napi::Boolean::New(info.Env(), false);
    auto decision = std::make_shared<UpgradeDecision>();
    decision->accept = info[1].ToBoolean();
    decision->status = info[2].IsNumber() ? info[2].As<Napi::Number>().Uint32Value() : 401;
    decision->message = info[3].IsString() ? info[3].As<Napi::String>().Utf8Value() : std::string();
    decision->protocol =
        info[4].IsString() ? info[4].As<Napi::String>().Utf8Value() : std::string();
    if (info[5].IsArray()) {
        const auto list = info[5].As<Napi::Array>();
        for (std::uint32_t i = 0; i + 1 < list.Length(); i += 2) {
            const auto name = list.Get(i);
            const auto value = list.Get(i + 1);
            if (name.IsString() && value.IsString()) {
                decision->headers.emplace_back(name.As<Napi::String>().Utf8Value(),
                                               value.As<Napi::String>().Utf8Value());
            }
        }
    }
    // A connection this thread accepted (same-thread mode) is decided at once.
    if (js_loop_ && js_loop_->decide_upgrade(id, *decision))
        return Napi::Boolean::New(info.Env(), true);
    Command command;
    command.kind = Command::Kind::decide_upgrade;
    command.id = id;
    command.decision = std::move(decision);
    stage(owner_thread(id), std::move(command));
    return Napi::Boolean::New(info.Env(), true);
}

Napi::Value ServerWrap::flush(const Napi::CallbackInfo& info) {
    flush_staged();
    return info.Env().Undefined();
}

void ServerWrap::stage(ConnectionId id, const ConnectionStatus& status, Command command) {
    // A connection served on this thread: no batch to hand over, the
    // command runs now.
    if (status.on_js_thread && js_loop_) return js_loop_->execute(command);
    stage(owner_thread(id), std::move(command));
}

void ServerWrap::stage(unsigned worker, Command command) {
    if (worker >= staged_.size()) return;
    staged_[worker].push_back(std::move(command));
    if (dispatching_ || flush_scheduled_) return;  // flushed after the dispatch / by the microtask
    if (schedule_flush_.IsEmpty()) return flush_staged();
    flush_scheduled_ = true;
    schedule_flush_.Call({});
}

void ServerWrap::stage_everywhere(const Command& command) {
    for (unsigned worker = 0; worker < staged_.size(); ++worker) stage(worker, command);
    if (js_loop_) {
        Command here = command;
        js_loop_->execute(here);
    }
}

void ServerWrap::flush_staged() {
    flush_scheduled_ = false;
    if (!server_) return;
    for (unsigned worker = 0; worker < staged_.size(); ++worker) {
        auto& batch = staged_[worker];
        if (!batch.empty()) server_->submit(worker, batch);
    }
}

Napi::Value ServerWrap::address(const Napi::CallbackInfo& info) {
    auto env = info.Env();
    const auto endpoint = server_ ? server_->local_endpoint() : std::nullopt;
    if (!endpoint) return env.Null();
    auto result = Napi::Object::New(env);
    result.Set("address", endpoint->address);
    result.Set("port", endpoint->port);
    result.Set("family", endpoint->ipv6 ? "IPv6" : "IPv4");
    return result;
}

Napi::Value ServerWrap::ref(const Napi::CallbackInfo& info) {
    referenced_ = true;
    if (pump_) pump_->ref();
    return info.This();
}

Napi::Value ServerWrap::unref(const Napi::CallbackInfo& info) {
    referenced_ = false;
    if (pump_) pump_->unref();
    return info.This();
}

Napi::Value ServerWrap::connection_count(const Napi::CallbackInfo& info) {
    if (!server_) return Napi::Number::New(info.Env(), 0);
    auto count = server_->connection_count();
    if (js_loop_) count += js_loop_->connection_count();
    return Napi::Number::New(info.Env(), static_cast<double>(count));
}

void ServerWrap::on_stopped() {
    staged_.clear();
    // The last io thread reported; joining returns at once.
    server_->join();
    if (js_loop_) js_loop_->close();
    server_.reset();
    // This may run inside the loop's own dispatch (its last close event
    // came with server_closed): the closed loop is freed at the next
    // listen() or with this object, not under its caller.
    closed_loop_ = std::move(js_loop_);
    pump_->release();
    if (cleanup_) {
        cleanup_->Remove(Env());
        cleanup_.reset();
    }
    Unref();
}

void ServerWrap::teardown(ServerWrap* self) {
    self->cleanup_.reset();
    if (self->server_) {
        self->server_->stop_now();
        if (self->js_loop_) self->js_loop_->close();
        self->server_.reset();
        self->js_loop_.reset();
    }
    if (self->pump_) {
        self->pump_->discard_pending();
        self->pump_->release();
    }
}

}  // namespace hyphae::binding
