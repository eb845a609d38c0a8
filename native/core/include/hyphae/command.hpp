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
        pong,
        terminate,
        subscribe,
        unsubscribe,
        publish,
        decide_upgrade,
        pause,  // the application stops reading the connection (ws's pause())
        resume  // and reads it again
    };

    Kind kind = Kind::send;
    ConnectionId id = 0;  // the connection; for publish, the one to exclude (0: none)
    // send: the sender already counted the frame's bytes in the connection's
    // ConnectionStatus, and the session settles them once written. A send
    // that never reaches its session (gone, or the server stopped) stays
    // counted: its status is dropped with the close event, and until then
    // bufferedAmount includes it, as ws counts a send after close. So the
    // command holds no reference to the status: no atomic count per send.
    bool counted = false;
    OutboundMessage message;                    // send, publish
    std::uint16_t code = 0;                     // close
    std::shared_ptr<const std::string> text;    // topic, close reason, ping or pong payload
    std::shared_ptr<UpgradeDecision> decision;  // decide_upgrade
};

}  // namespace hyphae
