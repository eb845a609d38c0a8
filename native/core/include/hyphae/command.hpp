#pragma once
// An operation the JS thread asks of a connection (or of every subscriber,
// for publish). The binding stages commands per io thread and hands each
// thread one batch per JS turn: one post, one wake-up, however many sends.
#include <cstdint>
#include <memory>
#include <string>

#include "hyphae/connection_id.hpp"
#include "hyphae/connection_status.hpp"
#include "hyphae/event_sink.hpp"
#include "hyphae/outbound_message.hpp"

namespace hyphae {

struct Command {
    enum class Kind : std::uint8_t {
        send,
        close,
        ping,
        terminate,
        subscribe,
        unsubscribe,
        publish,
        decide_upgrade
    };

    Kind kind = Kind::send;
    ConnectionId id = 0;      // the connection; for publish, the one to exclude (0: none)
    OutboundMessage message;  // send, publish
    std::shared_ptr<ConnectionStatus> status;   // send: bytes already counted in it
    std::uint16_t code = 0;                     // close
    std::shared_ptr<const std::string> text;    // topic, close reason or ping payload
    std::shared_ptr<UpgradeDecision> decision;  // decide_upgrade

    // The command will not run (its connection is gone, or the server
    // stopped): a counted send must stop counting as buffered.
    void drop() {
        if (kind == Kind::send && status) {
            status->buffered_amount.fetch_sub(
                static_cast<std::int64_t>(frame_size(message.payload.size())));
            status.reset();
        }
    }
};

}  // namespace hyphae
