#include "hyphae/server.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <unordered_set>

#include "hyphae/listener.hpp"
#include "hyphae/session.hpp"
#include "hyphae/worker.hpp"

namespace hyphae {

namespace {

// Accept errors such as EMFILE repeat at once; wait a little before retrying.
constexpr std::chrono::milliseconds kAcceptRetryDelay{50};

tcp::endpoint resolve_listen_endpoint(net::io_context& io, const ServerOptions& options) {
    beast::error_code ec;
    const auto address = net::ip::make_address(options.host, ec);
    if (!ec) return {address, options.port};
    tcp::resolver resolver(io);
    const auto results =
        resolver.resolve(options.host, std::to_string(options.port), tcp::resolver::passive);
    return results.begin()->endpoint();
}

}  // namespace

Server::Server(ServerOptions options, std::shared_ptr<EventSink> sink,
               std::shared_ptr<ConnectionAdopter> adopter) {
    auto context = std::make_shared<ServerContext>();
    context->options = std::move(options);
    context->sink = std::move(sink);
    context->adopter = std::move(adopter);
    if (context->options.tls) context->tls = make_tls_context(*context->options.tls);
    context_ = std::move(context);

    const unsigned threads = resolve_thread_count(context_->options.threads);
    workers_.reserve(threads);
    for (unsigned i = 0; i < threads; ++i) {
        workers_.push_back(std::make_unique<Worker>(i, context_));
    }
}

Server::~Server() {
    stop_now();
}

Endpoint Server::listen() {
    if (state_.load() != State::idle) {
        throw boost::system::system_error(make_error_code(net::error::already_started), "listen");
    }
    auto& io = workers_.front()->io();
    const tcp::endpoint requested = resolve_listen_endpoint(io, context_->options);

    acceptor_.emplace(io);
    acceptor_->open(requested.protocol());
    acceptor_->set_option(net::socket_base::reuse_address(true));
    if (requested.address().is_v6()) {
        beast::error_code ignored;  // dual stack where the system allows it
        acceptor_->set_option(net::ip::v6_only(false), ignored);
    }
    acceptor_->bind(requested);
    acceptor_->listen(context_->options.backlog);

    const auto bound = acceptor_->local_endpoint();
    endpoint_ = Endpoint{bound.address().to_string(), bound.port(), bound.address().is_v6()};

    if (uses_own_handshake(context_->options)) {
        // Linux copies TCP_NODELAY to every socket accepted from here: one
        // setsockopt fewer per connection.
        acceptor_->set_option(tcp::no_delay(true));
        const int fd = acceptor_->release();
        acceptor_.reset();
        start_workers();
        if (context_->adopter) {
            // Same-thread mode: the JS thread's loop accepts and does the
            // handshakes too; its connections never touch an io thread.
            // Their ids are worker 0's, marked as served on the JS thread.
            context_->adopter->take_listener(
                fd, [worker = workers_.front().get()] { return worker->reserve_id(); });
        } else {
            listener_ = std::make_unique<Listener>(
                *workers_.front(), fd,
                [this](AcceptedSocket socket) { dispatch_accepted(std::move(socket)); });
            net::post(io, [this] { listener_->start(); });
        }
        return *endpoint_;
    }
    start_workers();
    net::post(io, [this] { accept_next(); });
    return *endpoint_;
}

void Server::start() {
    if (state_.load() != State::idle) {
        throw boost::system::system_error(make_error_code(net::error::already_started), "start");
    }
    start_workers();
}

void Server::start_workers() {
    state_.store(State::listening);
    live_threads_.store(static_cast<unsigned>(workers_.size()));
    for (auto& worker : workers_) worker->start([this] { io_thread_done(); });
}

ConnectionId Server::adopt(int fd, std::string preread) {
    sockaddr_storage local{};
    socklen_t length = sizeof(local);
    if (state_.load() != State::listening || context_->tls ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) != 0 ||
        (local.ss_family != AF_INET && local.ss_family != AF_INET6)) {
        ::close(fd);
        return 0;
    }
    Worker& target = *workers_[next_adopter_.fetch_add(1) % workers_.size()];
    const ConnectionId id = target.reserve_id();
    if (uses_own_handshake(context_->options)) {
        sockaddr_storage address{};
        length = sizeof(address);
        const int flags = ::fcntl(fd, F_GETFL);
        const int on = 1;
        if (id == 0 || flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0 ||
            ::getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
            ::close(fd);
            return 0;
        }
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
        AcceptedSocket socket(fd, endpoint_of(address, length));
        // Closed with the handler if the worker has already ended.
        net::post(target.io(), [&target, id, socket = std::move(socket),
                                preread = std::move(preread)]() mutable {
            target.adopt(std::move(socket), id, std::move(preread));
        });
        return id;
    }
    // Owned by a socket from here: if the worker has already ended, the
    // unrun handler is destroyed with its io_context and closes it.
    Socket socket(target.io());
    beast::error_code ec;
    socket.assign(local.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), fd, ec);
    if (ec || id == 0) {
        if (ec) ::close(fd);
        return 0;
    }
    socket.set_option(tcp::no_delay(true), ec);
    net::post(target.io(),
              [&target, id, socket = std::move(socket), preread = std::move(preread)]() mutable {
                  target.adopt(std::move(socket), id, std::move(preread));
              });
    return id;
}

void Server::io_thread_done() {
    if (live_threads_.fetch_sub(1) != 1) return;
    // The adopter finishes only after it hears this, so its end, not the io
    // threads', is the server's.
    if (context_->adopter) return context_->adopter->handoffs_ended();
    report_closed();
}

void Server::report_closed() {
    state_.store(State::stopped);
    context_->sink->on_server_closed();
    context_->sink->flush();
}

std::optional<Endpoint> Server::local_endpoint() const {
    if (state_.load() != State::listening) return std::nullopt;
    return endpoint_;
}

void Server::dispatch_accepted(AcceptedSocket socket) {
    Worker& target = *workers_[next_worker_];
    next_worker_ = (next_worker_ + 1) % workers_.size();
    const ConnectionId id = target.reserve_id();
    // The listener runs on worker 0: its share starts at once.
    if (&target == workers_.front().get()) return target.adopt(std::move(socket), id, {});
    net::post(target.io(), [&target, id, socket = std::move(socket)]() mutable {
        target.adopt(std::move(socket), id, {});
    });
}

void Server::accept_next() {
    if (!acceptor_ || !acceptor_->is_open()) return;
    Worker& target = *workers_[next_worker_];
    next_worker_ = (next_worker_ + 1) % workers_.size();
    // The socket is created on the target worker's io_context, so the session
    // runs on that thread from its first byte.
    acceptor_->async_accept(target.io(), [this, &target](beast::error_code ec, Socket socket) {
        if (ec == net::error::operation_aborted || !acceptor_->is_open()) return;
        if (ec) {
            // Out of descriptors or memory, most likely: try again shortly.
            WorkerStats::bump(workers_.front()->stats().accept_errors);
            accept_retry_.emplace(workers_.front()->io(), kAcceptRetryDelay);
            accept_retry_->async_wait([this](beast::error_code wait_ec) {
                if (!wait_ec) accept_next();
            });
            return;
        }
        socket.set_option(tcp::no_delay(true), ec);
        net::post(target.io(), [&target, socket = std::move(socket)]() mutable {
            target.adopt(std::move(socket), target.reserve_id(), {});
        });
        accept_next();
    });
}

// The immediate API is a batch of one command: the same path as the binding's.
bool Server::submit_one(Command command) {
    const unsigned thread = owner_thread(command.id);
    if (command.id == 0 || thread >= workers_.size()) return false;
    std::vector<Command> batch;
    batch.push_back(std::move(command));
    return submit(thread, batch);
}

std::size_t Server::send(ConnectionId id, OutboundMessage message,
                         std::shared_ptr<ConnectionStatus> status) {
    const std::size_t bytes = frame_size(message.payload.size());
    if (!accepting_commands() || id == 0 || owner_thread(id) >= workers_.size()) return 0;
    if (status) status->add_sent(static_cast<std::int64_t>(bytes));
    Command command;
    command.kind = Command::Kind::send;
    command.id = id;
    command.message = std::move(message);
    command.counted = status != nullptr;
    return submit_one(std::move(command)) ? bytes : 0;
}

bool Server::close(ConnectionId id, std::uint16_t code, std::string reason) {
    Command command;
    command.kind = Command::Kind::close;
    command.id = id;
    command.code = code;
    command.text = std::make_shared<const std::string>(std::move(reason));
    return submit_one(std::move(command));
}

bool Server::ping(ConnectionId id, std::string payload) {
    return submit_control(Command::Kind::ping, id, std::move(payload));
}

bool Server::pong(ConnectionId id, std::string payload) {
    return submit_control(Command::Kind::pong, id, std::move(payload));
}

bool Server::submit_control(Command::Kind kind, ConnectionId id, std::string payload) {
    Command command;
    command.kind = kind;
    command.id = id;
    command.text = std::make_shared<const std::string>(std::move(payload));
    return submit_one(std::move(command));
}

bool Server::terminate(ConnectionId id) {
    Command command;
    command.kind = Command::Kind::terminate;
    command.id = id;
    return submit_one(std::move(command));
}

bool Server::set_paused(ConnectionId id, bool paused) {
    Command command;
    command.kind = paused ? Command::Kind::pause : Command::Kind::resume;
    command.id = id;
    return submit_one(std::move(command));
}

void Server::stop(std::chrono::milliseconds grace) {
    State expected = State::listening;
    if (!state_.compare_exchange_strong(expected, State::stopping)) return;
    net::post(workers_.front()->io(), [this] {
        beast::error_code ignored;
        if (acceptor_) acceptor_->close(ignored);
        if (listener_) listener_->stop();
        if (accept_retry_) accept_retry_->cancel();
    });
    for (auto& worker : workers_) {
        net::post(worker->io(), [w = worker.get(), grace] { w->begin_shutdown(grace); });
    }
}

void Server::stop_now() {
    stop(std::chrono::milliseconds(0));
    join();
}

void Server::join() {
    for (auto& worker : workers_) worker->join();
}

bool Server::subscribe(ConnectionId id, std::string topic) {
    Command command;
    command.kind = Command::Kind::subscribe;
    command.id = id;
    command.text = std::make_shared<const std::string>(std::move(topic));
    return submit_one(std::move(command));
}

bool Server::unsubscribe(ConnectionId id, std::string topic) {
    Command command;
    command.kind = Command::Kind::unsubscribe;
    command.id = id;
    command.text = std::make_shared<const std::string>(std::move(topic));
    return submit_one(std::move(command));
}

std::size_t Server::publish(std::string topic, OutboundMessage message, ConnectionId exclude) {
    if (!accepting_commands()) return 0;
    note_publish();
    const std::size_t bytes = frame_size(message.payload.size());
    Command command;
    command.kind = Command::Kind::publish;
    command.id = exclude;
    command.message = std::move(message);
    command.text = std::make_shared<const std::string>(std::move(topic));
    for (unsigned worker = 0; worker < workers_.size(); ++worker) {
        std::vector<Command> batch{command};
        submit(worker, batch);
    }
    return bytes;
}

std::size_t Server::subscriber_count(const std::string& topic) const {
    std::size_t total = 0;
    for (const auto& worker : workers_) total += worker->topics().subscriber_count(topic);
    return total;
}

bool Server::is_subscribed(ConnectionId id, const std::string& topic) const {
    if (owner_thread(id) >= workers_.size()) return false;
    return workers_[owner_thread(id)]->topics().is_subscribed(id, topic);
}

std::vector<std::string> Server::topics_of(ConnectionId id) const {
    if (owner_thread(id) >= workers_.size()) return {};
    return workers_[owner_thread(id)]->topics().topics_of(id);
}

std::size_t Server::topic_count(const TopicTable* extra) const {
    // A topic may have subscribers on several workers: count names once.
    if (workers_.size() == 1 && extra == nullptr) return workers_.front()->topics().topic_count();
    std::unordered_set<std::string> names;
    for (const auto& worker : workers_) {
        for (auto& name : worker->topics().topic_names()) names.insert(std::move(name));
    }
    if (extra != nullptr) {
        for (auto& name : extra->topic_names()) names.insert(std::move(name));
    }
    return names.size();
}

bool Server::accepting_commands() const {
    const State state = state_.load();
    return state == State::listening || state == State::stopping;
}

bool Server::submit(unsigned worker, std::vector<Command>& commands) {
    if (worker >= workers_.size() || commands.empty()) return false;
    if (!accepting_commands()) {
        commands.clear();
        return false;
    }
    workers_[worker]->deliver(commands);
    return true;
}

void Server::resume_reading() {
    const State state = state_.load();
    if (state != State::listening && state != State::stopping) return;
    for (auto& worker : workers_) {
        net::post(worker->io(), [w = worker.get()] { w->resume_paused(); });
    }
}

StatsSnapshot Server::stats() const {
    StatsSnapshot total;
    for (const auto& worker : workers_) worker->stats().add_to(total);
    total.publishes = publishes_.load(std::memory_order_relaxed);
    total.dropped += dropped_.load(std::memory_order_relaxed);
    return total;
}

std::size_t Server::connection_count() const {
    std::size_t total = 0;
    for (const auto& worker : workers_) total += worker->sessions().size();
    return total;
}

}  // namespace hyphae
