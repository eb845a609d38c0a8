#pragma once
// Runs JS-issued commands against one thread's sessions and topics: shared
// by the io threads (Worker) and the JS thread's loop (same-thread mode).
#include <chrono>
#include <string>
#include <vector>

#include "hyphae/command.hpp"
#include "hyphae/registry.hpp"
#include "hyphae/server_options.hpp"
#include "hyphae/topic_table.hpp"

namespace hyphae {

// Fans a published message out to the subscribers of `topic` in `topics`.
void publish_to(const TopicTable& topics, const std::string& topic, const OutboundMessage& message,
                ConnectionId exclude);
// Runs one command; a command for a connection gone already is dropped.
void run_command(Command& command, Registry& sessions, TopicTable& topics);
// Runs a batch in order.
void run_commands(std::vector<Command>& commands, Registry& sessions, TopicTable& topics);
// One heartbeat round over `sessions`: pings, or the check that follows
// them. Returns the delay until the next round (the other kind).
std::chrono::milliseconds heartbeat_round(const Registry& sessions, const ServerOptions& options,
                                          bool check);

}  // namespace hyphae
