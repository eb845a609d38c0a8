#include "hyphae/command_runner.hpp"

#include <algorithm>

#include "hyphae/session.hpp"

namespace hyphae {

void publish_to(const TopicTable& topics, const std::string& topic, const OutboundMessage& message,
                ConnectionId exclude) {
    const auto* subscribers = topics.subscribers(topic);
    if (subscribers == nullptr) return;
    // Every subscriber queues the same immutable payload: no copy per send.
    for (const auto& subscriber : *subscribers) {
        if (subscriber.id != exclude) subscriber.session->send(message);
    }
}

void run_command(Command& command, Registry& sessions, TopicTable& topics) {
    if (command.kind == Command::Kind::publish) {
        return publish_to(topics, *command.text, command.message, command.id);
    }
    Session* const session = sessions.find(command.id);
    if (!session) return;  // gone already
    switch (command.kind) {
        case Command::Kind::send:
            session->send(std::move(command.message), command.counted);
            break;
        case Command::Kind::close:
            session->close(command.code, *command.text);
            break;
        case Command::Kind::ping:
            session->ping(*command.text);
            break;
        case Command::Kind::pong:
            session->pong(*command.text);
            break;
        case Command::Kind::terminate:
            session->terminate();
            break;
        case Command::Kind::subscribe:
            if (session->is_open()) topics.subscribe(*command.text, command.id, session);
            break;
        case Command::Kind::unsubscribe:
            topics.unsubscribe(*command.text, command.id);
            break;
        case Command::Kind::publish:
            break;
        case Command::Kind::decide_upgrade:
            session->decide_upgrade(std::move(*command.decision));
            break;
        case Command::Kind::pause:
        case Command::Kind::resume:
            session->set_paused(command.kind == Command::Kind::pause);
            break;
    }
}

void run_commands(std::vector<Command>& commands, Registry& sessions, TopicTable& topics) {
    for (auto& command : commands) run_command(command, sessions, topics);
}

std::chrono::milliseconds heartbeat_round(const Registry& sessions, const ServerOptions& options,
                                          bool check) {
    for (const auto& session : sessions.snapshot()) {
        if (check) {
            session->heartbeat_check();
        } else {
            session->heartbeat_ping();
        }
    }
    // The check comes `timeout` after the pings, and at the latest just
    // before the next round of pings.
    const auto interval = options.ping_interval;
    const auto timeout = std::min(options.ping_timeout, interval);
    return check ? interval - timeout : timeout;
}

}  // namespace hyphae
