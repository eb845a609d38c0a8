#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hyphae/upgrade_policy.hpp"

namespace hyphae {

// wss: PEM material for the server's TLS context (see tls.hpp).
struct TlsOptions {
    std::string cert;  // the certificate, then any intermediates
    std::string key;   // private key, encrypted when `passphrase` is set
    std::string passphrase;
    std::string ca;             // CA certificates trusted for client certificates
    bool request_cert = false;  // require a client certificate signed by `ca`
};

struct ServerOptions {
    std::string host = "0.0.0.0";
    std::uint16_t port = 0;  // 0: the kernel picks a free port
    unsigned threads = 0;    // 0: max(1, hardware_concurrency - 1)
    std::size_t max_payload_length = 16 * 1024 * 1024;
    std::size_t max_header_bytes = 16 * 1024;
    std::chrono::milliseconds handshake_timeout{30'000};
    int backlog = 511;
    // Outbound: bytes queued per connection beyond which published messages
    // are dropped for it (and sends report -1). 0: no limit.
    std::size_t max_backpressure = 16 * 1024 * 1024;
    // Close a connection (1008) instead of letting it pass the limit.
    bool close_on_backpressure_limit = false;
    // Path, origins, connection limits (404 / 403 / 503 / 429) and subprotocols.
    UpgradePolicy policy;
    // A peer that sends nothing for this long is dropped; a ping goes out
    // halfway through (Beast's keep-alive). 0: never.
    std::chrono::milliseconds idle_timeout{0};
    // Heartbeat (seed 001): every `ping_interval` each open connection gets a
    // ping; one that has received nothing (no pong, no frame) `ping_timeout`
    // later is dropped (reported as 1006 "Ping timeout"). 0: no heartbeat.
    // A timeout of at least the interval means "before the next ping".
    std::chrono::milliseconds ping_interval{0};
    std::chrono::milliseconds ping_timeout{5'000};
    // Ask the sink (on_upgrade) before accepting each upgrade; the handshake
    // timeout still bounds the wait.
    bool decide_upgrades = false;
    // permessage-deflate (RFC 7692), negotiated when the client offers it.
    // Off by default: each compressing connection keeps zlib state (tens of KB).
    struct Deflate {
        bool enabled = false;
        int server_max_window_bits = 15;  // 9..15
        int client_max_window_bits = 15;  // 9..15
        int level = 8;                    // zlib compression level 0..9
        int mem_level = 4;                // zlib memLevel 1..9
        std::size_t threshold = 0;        // messages smaller than this are sent uncompressed
        bool server_no_context_takeover = false;
        bool client_no_context_takeover = false;
    } deflate;
    // Serve plain connections with hyphae's own frame reader and writer
    // (raw_session.hpp). Connections that need permessage-deflate, the idle
    // keep-alive or TLS use Beast's websocket::stream either way.
    bool own_frames = true;
    // Set: every connection speaks TLS first (wss). Invalid material makes
    // the Server constructor throw TlsConfigError.
    std::optional<TlsOptions> tls;
};

unsigned resolve_thread_count(unsigned requested);

// Whether plain connections are served by a RawSession from their first
// byte (its own accept, request parser and 101; raw_handshake.cpp). What
// needs Beast's stream (TLS, permessage-deflate, idleTimeout's keep-alive,
// own_frames off) keeps Beast's handshake.
bool uses_own_handshake(const ServerOptions& options);

}  // namespace hyphae
