#pragma once
// Minimal client-side WebSocket framing for the load generator: masked
// frames out, an incremental parser for the server's unmasked frames in.
// Deliberately tiny: the generator must cost less per message than the
// servers it measures.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "stamp.hpp"

namespace hyphae::load {

// Appends one masked frame (FIN set) with the given payload to `out`.
inline void append_frame(std::string& out, bool binary, const char* payload, std::size_t size,
                         std::uint32_t mask_key) {
    std::uint8_t header[14];
    std::size_t used = 0;
    header[used++] = static_cast<std::uint8_t>(0x80 | (binary ? 0x2 : 0x1));
    if (size < 126) {
        header[used++] = static_cast<std::uint8_t>(0x80 | size);
    } else if (size <= 0xFFFF) {
        header[used++] = 0x80 | 126;
        header[used++] = static_cast<std::uint8_t>(size >> 8);
        header[used++] = static_cast<std::uint8_t>(size);
    } else {
        header[used++] = 0x80 | 127;
        for (int shift = 56; shift >= 0; shift -= 8)
            header[used++] = static_cast<std::uint8_t>(size >> shift);
    }
    std::uint8_t mask[4];
    std::memcpy(mask, &mask_key, 4);
    std::memcpy(header + used, mask, 4);
    used += 4;
    out.append(reinterpret_cast<const char*>(header), used);
    const std::size_t start = out.size();
    out.append(payload, size);
    for (std::size_t i = 0; i < size; ++i)
        out[start + i] = static_cast<char>(out[start + i] ^ mask[i % 4]);
}

// A frame whose payload is `size` bytes starting with a 16-digit stamp:
// built and masked once, so each message costs a copy and 16 masked bytes.
class StampedFrame {
public:
    StampedFrame(bool binary, std::size_t size, std::uint32_t mask_key) {
        const std::string filler(size, 'x');
        append_frame(frame_, binary, filler.data(), size, mask_key);
        stamp_at_ = frame_.size() - size;
        std::memcpy(mask_, &mask_key, 4);
    }

    void append(std::string& out, std::uint64_t stamp) const {
        const std::size_t start = out.size();
        out.append(frame_);
        char digits[16];
        encode_stamp(stamp, digits);
        for (std::size_t i = 0; i < 16; ++i)
            out[start + stamp_at_ + i] = static_cast<char>(digits[i] ^ mask_[i % 4]);
    }

private:
    std::string frame_;
    std::size_t stamp_at_ = 0;
    char mask_[4];
};

// Feeds bytes in; calls on_message(payload, size) for each complete data
// message (single-frame messages, as the servers measured here send).
// Complete frames are read where they lie; only a partial tail is kept.
class FrameParser {
public:
    template <class OnMessage>
    void feed(const char* data, std::size_t size, OnMessage&& on_message) {
        if (buffer_.empty()) {
            const std::size_t used = parse(data, size, on_message);
            buffer_.assign(data + used, data + size);
            return;
        }
        buffer_.insert(buffer_.end(), data, data + size);
        const std::size_t used = parse(buffer_.data(), buffer_.size(), on_message);
        buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(used));
    }

private:
    // Reports every complete frame in [data, data + size); returns the bytes they took.
    template <class OnMessage>
    static std::size_t parse(const char* data, std::size_t size, OnMessage& on_message) {
        std::size_t offset = 0;
        while (true) {
            const std::size_t available = size - offset;
            if (available < 2) break;
            const auto* bytes = reinterpret_cast<const std::uint8_t*>(data + offset);
            std::uint64_t length = bytes[1] & 0x7F;
            std::size_t header = 2;
            if (length == 126) {
                if (available < 4) break;
                length = (std::uint64_t{bytes[2]} << 8) | bytes[3];
                header = 4;
            } else if (length == 127) {
                if (available < 10) break;
                length = 0;
                for (int i = 0; i < 8; ++i) length = (length << 8) | bytes[2 + i];
                header = 10;
            }
            if (available < header + length) break;
            const std::uint8_t opcode = bytes[0] & 0x0F;
            if (opcode == 0x1 || opcode == 0x2)
                on_message(data + offset + header, static_cast<std::size_t>(length));
            offset += header + static_cast<std::size_t>(length);
        }
        return offset;
    }

    std::vector<char> buffer_;
};

}  // namespace hyphae::load
