#pragma once
// RFC 6455 frames from a client, parsed as bytes arrive in any split. The
// parser validates everything the server must (masking, reserved bits and
// opcodes, control frame rules, continuation order, message size, UTF-8 of
// text and close reasons) and hands out one event at a time.
#include <cstddef>
#include <cstdint>
#include <string>

#include "hyphae/frame.hpp"
#include "hyphae/utf8_validator.hpp"

namespace hyphae {

class FrameParser {
public:
    enum class Event : std::uint8_t { none, message, ping, pong, close, error };

    explicit FrameParser(std::size_t max_message) : max_message_(max_message) {}

    // Consumes bytes until one event is complete (or the input ends);
    // `consumed` tells how many were used. After `error` the parser is done.
    Event parse(const unsigned char* data, std::size_t size, std::size_t& consumed);

    // After `message`: the whole payload and its type. It may be taken
    // (moved from); message_done() readies the parser for the next one.
    std::string& message() { return message_; }
    // Keeps the buffer for the next message unless it grew large, so an
    // idle connection does not hold on to its biggest message.
    void message_done() {
        if (message_.capacity() > kKeptCapacity)
            std::string().swap(message_);
        else
            message_.clear();
    }
    bool binary() const { return binary_; }
    // After `ping` / `pong` / `close`: the control payload.
    const std::string& control_payload() const { return control_; }
    // After `close`: the peer's code (1005 when it sent none) and reason.
    std::uint16_t close_code() const { return close_code_; }
    std::string close_reason() const;
    // After `error`: the close code to fail the connection with, and why.
    std::uint16_t error_code() const { return error_code_; }
    const char* error_text() const { return error_text_; }

private:
    enum class State : std::uint8_t { header, payload, failed };

    Event fail(std::uint16_t code, const char* text);
    // The header in header_ is complete: check it and prepare the payload.
    Event start_frame();
    Event finish_frame();
    void unmask(unsigned char* data, std::size_t size);

    static constexpr std::size_t kKeptCapacity = 4096;
    std::size_t max_message_;
    State state_ = State::header;
    unsigned char header_[14]{};
    std::uint8_t header_size_ = 0;
    std::uint8_t opcode_ = 0;
    bool fin_ = false;
    unsigned char mask_[4]{};
    std::uint8_t mask_offset_ = 0;
    std::uint64_t remaining_ = 0;  // payload bytes of the current frame still to come
    // A data message being assembled (fragments appended).
    bool in_message_ = false;
    bool binary_ = false;
    std::string message_;
    Utf8Validator utf8_;
    std::string control_;
    std::uint16_t close_code_ = 0;
    std::uint16_t error_code_ = 0;
    const char* error_text_ = "";
};

}  // namespace hyphae
