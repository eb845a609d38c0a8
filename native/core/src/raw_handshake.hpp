#pragma once
// What a RawSession holds while it does the opening handshake (defined here
// for raw_session.cpp and raw_handshake.cpp, which both destroy it).
#include <boost/beast/http.hpp>
#include <optional>
#include <string>

#include "hyphae/raw_session.hpp"
#include "hyphae/upgrade_policy.hpp"

namespace hyphae {

namespace http = beast::http;

struct RawSession::Handshake {
    http::request_parser<http::empty_body> parser;
    std::string input;  // received, not yet taken by the parser
    std::string remote_address;
    std::uint16_t remote_port = 0;
    UpgradeContext context;
    std::string protocol;
    std::string answer;  // the 101 or the refusal, being written
    std::size_t written = 0;
    std::optional<Ending> close_when_open;  // close() came while the 101 was on its way
    bool adopted = false;                   // handed in by Server::adopt(): reports on_refused
    bool request_done = false;              // bytes behind the request wait for open
    bool deciding = false;                  // the application has the request
    bool accepting = false;                 // the 101 is being written
    bool refusing = false;                  // an error answer is being written
    bool write_blocked = false;             // waiting for EPOLLOUT
    // The socket may hold input whose edge has been taken (bytes handed in
    // by adopt(), a read that filled the buffer, input reported after the
    // request): read once the connection is open. Otherwise new input
    // raises an edge of its own, and the read after the 101 is skipped:
    // it found nothing once per connect/close cycle (EAGAIN).
    bool unread = true;
};

}  // namespace hyphae
