#include "hyphae/frame_parser.hpp"

#include <algorithm>
#include <cstring>

#include "hyphae/close_codes.hpp"

namespace hyphae {

namespace {

// Bytes of header implied by the first two: 2, plus extended length, plus mask.
std::uint8_t header_length(const unsigned char* header) {
    const std::uint8_t length = header[1] & 0x7F;
    const std::uint8_t extended = length == 126 ? 2 : length == 127 ? 8 : 0;
    return static_cast<std::uint8_t>(2 + extended + ((header[1] & 0x80) ? 4 : 0));
}

}  // namespace

FrameParser::Event FrameParser::fail(std::uint16_t code, const char* text) {
    state_ = State::failed;
    error_code_ = code;
    error_text_ = text;
    return Event::error;
}

FrameParser::Event FrameParser::parse(const unsigned char* data, std::size_t size,
                                      std::size_t& consumed) {
    consumed = 0;
    while (consumed < size) {
        if (state_ == State::failed) return Event::error;
        if (state_ == State::header) {
            // Collect the two fixed bytes, then the rest the second implies.
            const std::size_t want = header_size_ < 2 ? 2 : header_length(header_);
            const std::size_t take = std::min(want - header_size_, size - consumed);
            std::memcpy(header_ + header_size_, data + consumed, take);
            header_size_ = static_cast<std::uint8_t>(header_size_ + take);
            consumed += take;
            if (header_size_ < 2 || header_size_ < header_length(header_)) continue;
            const Event event = start_frame();
            if (event != Event::none) return event;
            continue;  // an empty frame is fully handled; otherwise its payload follows
        }
        // Payload bytes: data frames straight into the message, control
        // frames into their own small buffer.
        const std::size_t take =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, size - consumed));
        std::string& target = opcode_ >= opcode::close ? control_ : message_;
        const std::size_t at = target.size();
        target.append(reinterpret_cast<const char*>(data + consumed), take);
        unsigned char* bytes = reinterpret_cast<unsigned char*>(target.data()) + at;
        unmask(bytes, take);
        consumed += take;
        remaining_ -= take;
        if (opcode_ < opcode::close && !binary_ && !utf8_.feed(bytes, take)) {
            return fail(close_code::invalid_payload, "invalid UTF-8 in a text message");
        }
        if (remaining_ == 0) {
            const Event event = finish_frame();
            if (event != Event::none) return event;
        }
    }
    return Event::none;
}

FrameParser::Event FrameParser::start_frame() {
    const unsigned char b0 = header_[0];
    const unsigned char b1 = header_[1];
    fin_ = (b0 & 0x80) != 0;
    opcode_ = b0 & 0x0F;
    if (b0 & 0x70) return fail(close_code::protocol_error, "reserved bits set");
    if (!(b1 & 0x80)) return fail(close_code::protocol_error, "unmasked client frame");
    std::uint64_t length = b1 & 0x7F;
    std::size_t at = 2;
    if (length == 126) {
        length = (std::uint64_t{header_[2]} << 8) | header_[3];
        at = 4;
        if (length < 126) return fail(close_code::protocol_error, "non-minimal length");
    } else if (length == 127) {
        length = 0;
        for (int i = 0; i < 8; ++i) length = (length << 8) | header_[2 + i];
        at = 10;
        if (length > max_message_) return fail(close_code::message_too_big, "message too big");
        if (length < 65536) return fail(close_code::protocol_error, "non-minimal length");
    }
    std::memcpy(mask_, header_ + at, 4);
    mask_offset_ = 0;
    header_size_ = 0;
    remaining_ = length;

    if (opcode_ >= opcode::close) {
        if (opcode_ != opcode::close && opcode_ != opcode::ping && opcode_ != opcode::pong) {
            return fail(close_code::protocol_error, "reserved opcode");
        }
        if (!fin_) return fail(close_code::protocol_error, "fragmented control frame");
        if (length > kMaxControlPayload)
            return fail(close_code::protocol_error, "control frame too big");
        control_.clear();
    } else if (opcode_ == opcode::continuation) {
        if (!in_message_) return fail(close_code::protocol_error, "continuation without a message");
    } else if (opcode_ == opcode::text || opcode_ == opcode::binary) {
        if (in_message_)
            return fail(close_code::protocol_error, "new message inside a fragmented one");
        in_message_ = true;
        binary_ = opcode_ == opcode::binary;
        utf8_.reset();
    } else {
        return fail(close_code::protocol_error, "reserved opcode");
    }
    if (opcode_ < opcode::close && message_.size() + length > max_message_) {
        return fail(close_code::message_too_big, "message too big");
    }
    if (length == 0) return finish_frame();
    // One allocation for an unfragmented message (the size is within limits).
    if (opcode_ < opcode::close && fin_)
        message_.reserve(message_.size() + static_cast<std::size_t>(length));
    state_ = State::payload;
    return Event::none;
}

FrameParser::Event FrameParser::finish_frame() {
    state_ = State::header;
    switch (opcode_) {
        case opcode::ping:
            return Event::ping;
        case opcode::pong:
            return Event::pong;
        case opcode::close: {
            if (control_.size() == 1)
                return fail(close_code::protocol_error, "close payload of one byte");
            if (control_.empty()) {
                close_code_ = close_code::no_status;
                return Event::close;
            }
            close_code_ =
                static_cast<std::uint16_t>((static_cast<unsigned char>(control_[0]) << 8) |
                                           static_cast<unsigned char>(control_[1]));
            if (!close_code::is_sendable(close_code_)) {
                return fail(close_code::protocol_error, "invalid close code");
            }
            Utf8Validator reason;
            if (!reason.feed(reinterpret_cast<const unsigned char*>(control_.data()) + 2,
                             control_.size() - 2) ||
                !reason.complete()) {
                return fail(close_code::invalid_payload, "invalid UTF-8 in the close reason");
            }
            return Event::close;
        }
        default:
            break;
    }
    if (!fin_) return Event::none;  // more fragments follow
    if (!binary_ && !utf8_.complete()) {
        return fail(close_code::invalid_payload, "invalid UTF-8 in a text message");
    }
    in_message_ = false;
    return Event::message;
}

std::string FrameParser::close_reason() const {
    return control_.size() > 2 ? control_.substr(2) : std::string();
}

void FrameParser::unmask(unsigned char* data, std::size_t size) {
    std::size_t i = 0;
    // Eight bytes at a time with the key rotated to the current offset.
    if (size >= 16) {
        unsigned char rotated[8];
        for (int k = 0; k < 8; ++k) rotated[k] = mask_[(mask_offset_ + k) & 3];
        std::uint64_t key;
        std::memcpy(&key, rotated, 8);
        for (; i + 8 <= size; i += 8) {
            std::uint64_t word;
            std::memcpy(&word, data + i, 8);
            word ^= key;
            std::memcpy(data + i, &word, 8);
        }
    }
    for (; i < size; ++i) data[i] ^= mask_[(mask_offset_ + i) & 3];
    mask_offset_ = static_cast<std::uint8_t>((mask_offset_ + size) & 3);
}

std::size_t write_frame_header(unsigned char* out, std::uint8_t opcode, std::size_t length) {
    out[0] = static_cast<unsigned char>(0x80 | opcode);
    if (length < 126) {
        out[1] = static_cast<unsigned char>(length);
        return 2;
    }
    if (length < 65536) {
        out[1] = 126;
        out[2] = static_cast<unsigned char>(length >> 8);
        out[3] = static_cast<unsigned char>(length);
        return 4;
    }
    out[1] = 127;
    for (int i = 0; i < 8; ++i)
        out[2 + i] = static_cast<unsigned char>(std::uint64_t{length} >> (56 - 8 * i));
    return 10;
}

}  // namespace hyphae
