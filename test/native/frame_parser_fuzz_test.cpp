// The frame parser against random input: generated valid streams must come
// out exactly as they went in, and streams damaged at random must give the
// same events and close code as a plain whole-buffer decoder written from
// RFC 6455 (below), whatever the split of the bytes. Seeds are fixed, so a
// failure names the seed and case that reproduce it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "hyphae/close_codes.hpp"
#include "hyphae/frame_parser.hpp"

namespace hyphae::test {
namespace {

using Event = FrameParser::Event;

// What a parse produced: the events in order, each with its payload (the
// message, the control payload, or for an error its close code as text).
struct Outcome {
    std::vector<Event> events;
    std::vector<std::string> payloads;
    std::vector<bool> binary;  // per message event
    std::uint16_t close_code = 0;
    std::string close_reason;
    std::uint16_t error_code = 0;

    bool operator==(const Outcome&) const = default;
};

std::string describe(const Outcome& outcome) {
    std::string text;
    for (std::size_t i = 0; i < outcome.events.size(); ++i) {
        text += std::to_string(static_cast<int>(outcome.events[i])) + ":" +
                std::to_string(outcome.payloads[i].size()) + " ";
    }
    return text + "close " + std::to_string(outcome.close_code) + " error " +
           std::to_string(outcome.error_code);
}

// ---- the reference: whole buffer, no state carried between calls ----

enum class Utf8 { valid, incomplete, invalid };

// Checks each byte against the ranges of Unicode's table of well-formed
// sequences, so a sequence is rejected at its first impossible byte.
Utf8 check_utf8(const std::string& text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto lead = static_cast<unsigned char>(text[i]);
        if (lead < 0x80) {
            ++i;
            continue;
        }
        std::size_t length = 0;
        unsigned char low = 0x80, high = 0xBF;  // the second byte's range
        if (lead >= 0xC2 && lead <= 0xDF) {
            length = 2;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            length = 3;
            if (lead == 0xE0) low = 0xA0;
            if (lead == 0xED) high = 0x9F;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            length = 4;
            if (lead == 0xF0) low = 0x90;
            if (lead == 0xF4) high = 0x8F;
        } else {
            return Utf8::invalid;
        }
        for (std::size_t k = 1; k < length; ++k) {
            if (i + k == text.size()) return Utf8::incomplete;
            const auto byte = static_cast<unsigned char>(text[i + k]);
            if (byte < (k == 1 ? low : 0x80) || byte > (k == 1 ? high : 0xBF)) return Utf8::invalid;
        }
        i += length;
    }
    return Utf8::valid;
}

// Codes a peer may send: RFC 6455 7.4.1, those registered with IANA since
// (1012-1014), and the ranges for libraries and applications.
bool receivable_close_code(std::uint16_t code) {
    if (code >= 3000 && code <= 4999) return true;
    if (code < 1000 || code > 1014) return false;
    return code != 1004 && code != 1005 && code != 1006;
}

Outcome reference_parse(const std::string& bytes, std::size_t max_message) {
    Outcome out;
    auto fail = [&](std::uint16_t code) {
        out.events.push_back(Event::error);
        out.payloads.push_back(std::to_string(code));
        out.error_code = code;
        return out;
    };
    const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
    std::size_t at = 0;
    bool in_message = false;
    bool binary = false;
    std::string message;
    while (true) {
        const std::size_t left = bytes.size() - at;
        if (left < 2) return out;
        const unsigned char b0 = data[at], b1 = data[at + 1];
        const std::size_t length_bytes = (b1 & 0x7F) == 126 ? 2 : (b1 & 0x7F) == 127 ? 8 : 0;
        const std::size_t header = 2 + length_bytes + ((b1 & 0x80) ? 4 : 0);
        if (left < header) return out;  // nothing is judged before the header is whole
        const bool fin = (b0 & 0x80) != 0;
        const unsigned opcode = b0 & 0x0F;
        if (b0 & 0x70) return fail(close_code::protocol_error);
        if (!(b1 & 0x80)) return fail(close_code::protocol_error);
        std::uint64_t length = b1 & 0x7F;
        if (length_bytes != 0) {
            length = 0;
            for (std::size_t k = 0; k < length_bytes; ++k)
                length = (length << 8) | data[at + 2 + k];
            if (length_bytes == 8 && length > max_message) return fail(close_code::message_too_big);
            if (length < (length_bytes == 2 ? 126u : 65536u))
                return fail(close_code::protocol_error);
        }
        const bool control = opcode >= 8;
        if (control) {
            if (opcode > 10 || !fin || length > 125) return fail(close_code::protocol_error);
        } else if (opcode == 0) {
            if (!in_message) return fail(close_code::protocol_error);
        } else if (opcode <= 2) {
            if (in_message) return fail(close_code::protocol_error);
            binary = opcode == 2;
        } else {
            return fail(close_code::protocol_error);
        }
        if (!control && message.size() + length > max_message) {
            return fail(close_code::message_too_big);
        }
        const unsigned char* key = data + at + header - 4;
        const std::size_t available =
            static_cast<std::size_t>(std::min<std::uint64_t>(length, left - header));
        std::string payload(available, '\0');
        for (std::size_t k = 0; k < available; ++k) {
            payload[k] = static_cast<char>(data[at + header + k] ^ key[k % 4]);
        }
        if (!control) {
            if (opcode != 0) in_message = true;
            message += payload;
            // Text is judged on what has arrived, even of an unfinished frame.
            if (!binary && check_utf8(message) == Utf8::invalid) {
                return fail(close_code::invalid_payload);
            }
        }
        if (available < length) return out;
        at += header + available;
        if (opcode == 8) {
            if (payload.size() == 1) return fail(close_code::protocol_error);
            std::uint16_t code = close_code::no_status;
            if (!payload.empty()) {
                code = static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                                  static_cast<unsigned char>(payload[1]));
                if (!receivable_close_code(code)) return fail(close_code::protocol_error);
                out.close_reason = payload.substr(2);
                if (check_utf8(out.close_reason) != Utf8::valid) {
                    out.close_reason.clear();
                    return fail(close_code::invalid_payload);
                }
            }
            out.events.push_back(Event::close);
            out.payloads.push_back(payload);
            out.close_code = code;
            return out;
        }
        if (control) {
            out.events.push_back(opcode == 9 ? Event::ping : Event::pong);
            out.payloads.push_back(payload);
            continue;
        }
        if (!fin) continue;
        if (!binary && check_utf8(message) != Utf8::valid) return fail(close_code::invalid_payload);
        out.events.push_back(Event::message);
        out.payloads.push_back(message);
        out.binary.push_back(binary);
        in_message = false;
        message.clear();
    }
}

// ---- the parser under test, fed in random pieces ----

Outcome parse_in_pieces(const std::string& bytes, std::size_t max_message, std::mt19937_64& random,
                        std::size_t largest_piece) {
    FrameParser parser(max_message);
    Outcome out;
    const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
    std::size_t at = 0;
    while (at < bytes.size()) {
        const std::size_t piece = std::min(bytes.size() - at, 1 + random() % largest_piece);
        const std::size_t end = at + piece;
        while (at < end) {
            std::size_t used = 0;
            const Event event = parser.parse(data + at, end - at, used);
            at += used;
            if (event == Event::none) {
                // Without an event the parser takes everything it is given.
                EXPECT_EQ(at, end);
                at = end;
                continue;
            }
            out.events.push_back(event);
            switch (event) {
                case Event::message:
                    out.payloads.push_back(std::move(parser.message()));
                    out.binary.push_back(parser.binary());
                    parser.message_done();
                    break;
                case Event::ping:
                case Event::pong:
                    out.payloads.push_back(parser.control_payload());
                    break;
                case Event::close:
                    out.payloads.push_back(parser.control_payload());
                    out.close_code = parser.close_code();
                    out.close_reason = parser.close_reason();
                    return out;  // a server reads no further
                case Event::error:
                    out.payloads.push_back(std::to_string(parser.error_code()));
                    out.error_code = parser.error_code();
                    return out;
                case Event::none:
                    break;
            }
        }
    }
    return out;
}

// ---- generated input ----

class Generator {
public:
    explicit Generator(std::uint64_t seed) : random_(seed) {}

    std::mt19937_64& random() { return random_; }
    std::size_t below(std::size_t bound) { return static_cast<std::size_t>(random_() % bound); }
    bool chance(unsigned percent) { return below(100) < percent; }

    // A size across the three length forms, mostly small.
    std::size_t size(std::size_t largest) {
        const std::size_t pick = below(100);
        const std::size_t bound = pick < 70 ? 126 : pick < 97 ? 70'000 : largest;
        return below(std::min(bound, largest) + 1);
    }

    // Well-formed UTF-8 of about `bytes` bytes, with sequences of every length.
    std::string text(std::size_t bytes) {
        std::string out;
        while (out.size() < bytes) {
            switch (below(5)) {
                case 0:
                    append_code_point(out, static_cast<char32_t>(0x80 + below(0x780)));
                    break;
                case 1: {
                    char32_t point = static_cast<char32_t>(0x800 + below(0xF800));
                    if (point >= 0xD800 && point <= 0xDFFF) point -= 0x800;  // no surrogates
                    append_code_point(out, point);
                    break;
                }
                case 2:
                    append_code_point(out, static_cast<char32_t>(0x10000 + below(0x100000)));
                    break;
                default:
                    out.push_back(static_cast<char>(0x20 + below(0x5F)));
            }
        }
        return out;
    }

    std::string bytes(std::size_t count) {
        std::string out(count, '\0');
        for (auto& byte : out) byte = static_cast<char>(random_());
        return out;
    }

    // How a frame is written; a valid client frame by default.
    struct Shape {
        bool fin = true;
        unsigned opcode = 1;
        unsigned reserved = 0;  // RSV1-3, as bits 4-6 of the first byte
        bool masked = true;
        unsigned length_bytes = 0;  // 0: the shortest form; else 2 or 8
    };

    std::string frame(bool fin, unsigned opcode, const std::string& payload) {
        Shape shape;
        shape.fin = fin;
        shape.opcode = opcode;
        return frame(shape, payload);
    }

    std::string frame(const Shape& shape, const std::string& payload) {
        std::string out(
            1, static_cast<char>((shape.fin ? 0x80 : 0) | (shape.reserved << 4) | shape.opcode));
        const std::size_t length = payload.size();
        const char mask_bit = shape.masked ? static_cast<char>(0x80) : 0;
        const unsigned form = shape.length_bytes != 0 ? shape.length_bytes
                              : length < 126          ? 0
                              : length < 65536        ? 2
                                                      : 8;
        if (form == 0) {
            out.push_back(static_cast<char>(mask_bit | length));
        } else {
            out.push_back(static_cast<char>(mask_bit | (form == 2 ? 126 : 127)));
            for (int i = static_cast<int>(form) - 1; i >= 0; --i)
                out.push_back(static_cast<char>((length >> (8 * i)) & 0xFF));
        }
        if (!shape.masked) return out + payload;
        const std::string key = bytes(4);
        out += key;
        for (std::size_t i = 0; i < length; ++i)
            out.push_back(static_cast<char>(payload[i] ^ key[i % 4]));
        return out;
    }

private:
    static void append_code_point(std::string& out, char32_t point) {
        if (point < 0x800) {
            out.push_back(static_cast<char>(0xC0 | (point >> 6)));
        } else if (point < 0x10000) {
            out.push_back(static_cast<char>(0xE0 | (point >> 12)));
            out.push_back(static_cast<char>(0x80 | ((point >> 6) & 0x3F)));
        } else {
            out.push_back(static_cast<char>(0xF0 | (point >> 18)));
            out.push_back(static_cast<char>(0x80 | ((point >> 12) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | ((point >> 6) & 0x3F)));
        }
        out.push_back(static_cast<char>(0x80 | (point & 0x3F)));
    }

    std::mt19937_64 random_;
};

// A valid stream: messages cut into fragments at arbitrary bytes (text
// too, so sequences span fragments), empty fragments, pings and pongs
// between them, and sometimes a close at the end. `expected` is the
// outcome it must have.
std::string valid_stream(Generator& gen, std::size_t largest, Outcome& expected) {
    std::string stream;
    auto control = [&] {
        const bool ping = gen.chance(50);
        const std::string payload = gen.bytes(gen.below(126));
        stream += gen.frame(true, ping ? 9 : 10, payload);
        expected.events.push_back(ping ? Event::ping : Event::pong);
        expected.payloads.push_back(payload);
    };
    const std::size_t messages = 1 + gen.below(8);
    for (std::size_t m = 0; m < messages; ++m) {
        if (gen.chance(20)) control();
        const bool binary = gen.chance(50);
        const std::string message =
            binary ? gen.bytes(gen.size(largest)) : gen.text(gen.size(largest));
        const std::size_t fragments = gen.chance(60) ? 1 : 2 + gen.below(5);
        std::size_t at = 0;
        for (std::size_t f = 0; f < fragments; ++f) {
            const bool last = f + 1 == fragments;
            const std::size_t take =
                last ? message.size() - at : gen.below(message.size() - at + 1);
            stream += gen.frame(last, f == 0 ? (binary ? 2 : 1) : 0, message.substr(at, take));
            at += take;
            if (!last && gen.chance(25)) control();
        }
        expected.events.push_back(Event::message);
        expected.payloads.push_back(message);
        expected.binary.push_back(binary);
    }
    if (gen.chance(30)) {
        const auto code =
            static_cast<std::uint16_t>(gen.chance(50) ? 1000 : 3000 + gen.below(2000));
        const std::string reason = gen.text(gen.below(60));
        std::string payload{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
        payload += reason;
        stream += gen.frame(true, 8, payload);
        expected.events.push_back(Event::close);
        expected.payloads.push_back(payload);
        expected.close_code = code;
        expected.close_reason = reason;
    }
    return stream;
}

// A stream of frames each of which may break one rule of RFC 6455: a
// reserved opcode or bit, no mask, a length in a longer form than needed,
// a fragmented or oversized control frame, continuations out of order,
// invalid UTF-8, close payloads of every kind, messages over the limit.
std::string rule_breaking_stream(Generator& gen, std::size_t max_message) {
    static constexpr std::uint16_t kCloseCodes[] = {0,    999,  1000, 1001, 1003, 1004, 1005,
                                                    1006, 1007, 1011, 1012, 1014, 1015, 1016,
                                                    2999, 3000, 4999, 5000, 65535};
    std::string stream;
    const std::size_t frames = 1 + gen.below(12);
    for (std::size_t f = 0; f < frames; ++f) {
        Generator::Shape shape;
        shape.opcode = gen.chance(60) ? 1 + gen.below(2) : gen.chance(50) ? 0 : 8 + gen.below(3);
        shape.fin = gen.chance(80);
        std::string payload;
        if (shape.opcode >= 8) {
            // Over the limit sometimes, and then often just over it.
            const std::size_t size = gen.chance(90)
                                         ? gen.below(126)
                                         : 126 + (gen.chance(50) ? gen.below(2) : gen.below(80));
            payload = gen.bytes(size);
        } else {
            const bool text = shape.opcode == 1 || gen.chance(50);
            const std::size_t size =
                gen.chance(10) ? max_message / 2 + gen.below(max_message) : gen.size(300);
            payload = text ? gen.text(size) : gen.bytes(size);
            if (text && !payload.empty() && gen.chance(10)) {
                // An impossible byte, or a sequence cut short at the end.
                if (gen.chance(50))
                    payload[gen.below(payload.size())] = static_cast<char>(0x80 + gen.below(0x80));
                else
                    payload.back() = static_cast<char>(0xE0 + gen.below(0x10));
            }
        }
        if (shape.opcode == 8 && gen.chance(70)) {
            const std::uint16_t code = gen.chance(80)
                                           ? kCloseCodes[gen.below(std::size(kCloseCodes))]
                                           : static_cast<std::uint16_t>(gen.below(65536));
            payload = std::string{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
            payload += gen.chance(80) ? gen.text(gen.below(40)) : gen.bytes(gen.below(40));
            if (payload.size() > 125) payload.resize(125);
            // A reason that ends inside a sequence, or a payload of one byte.
            if (payload.size() > 2 && gen.chance(15))
                payload.back() = static_cast<char>(0xC2 + gen.below(0x30));
            if (gen.chance(10)) payload.resize(1);
        }
        switch (gen.below(25)) {  // at most one more broken rule, often none
            case 0:
                shape.opcode = 3 + gen.below(5) + (gen.chance(50) ? 8 : 0);  // 3-7, 11-15
                break;
            case 1:
                shape.reserved = 1 + gen.below(7);
                break;
            case 2:
                shape.masked = false;
                break;
            case 3:
                shape.length_bytes = gen.chance(50) ? 2 : 8;
                break;
            default:
                break;
        }
        stream += gen.frame(shape, payload);
    }
    return stream;
}

// Damages a stream: flipped bits, bytes put in or cut out, a cut-off end.
void damage(Generator& gen, std::string& stream) {
    const std::size_t edits = 1 + gen.below(3);
    for (std::size_t e = 0; e < edits && !stream.empty(); ++e) {
        const std::size_t at = gen.below(stream.size());
        switch (gen.below(4)) {
            case 0:
            case 1:  // most often a flipped bit: headers change meaning
                stream[at] = static_cast<char>(stream[at] ^ (1 << gen.below(8)));
                break;
            case 2:
                stream.insert(at, gen.bytes(1 + gen.below(6)));
                break;
            default:
                stream.erase(at, 1 + gen.below(6));
        }
    }
    if (gen.chance(20) && !stream.empty()) stream.resize(gen.below(stream.size()));
}

// The parser fed in pieces of one byte, of up to `small` bytes and whole
// must give `expected` each time.
testing::AssertionResult parses_as_in_every_split(const std::string& stream,
                                                  std::size_t max_message, const Outcome& expected,
                                                  Generator& gen, std::size_t small) {
    for (const std::size_t largest_piece : {std::size_t{1}, small, stream.size() + 1}) {
        const Outcome parsed = parse_in_pieces(stream, max_message, gen.random(), largest_piece);
        if (!(parsed == expected)) {
            return testing::AssertionFailure()
                   << "pieces up to " << largest_piece << "\nparsed:   " << describe(parsed)
                   << "\nexpected: " << describe(expected);
        }
    }
    return testing::AssertionSuccess();
}

TEST(FrameParserFuzz, ValidStreamsComeOutAsTheyWentIn) {
    constexpr std::size_t kLargest = 200'000;
    for (std::uint64_t seed = 1; seed <= 300; ++seed) {
        Generator gen(seed);
        Outcome expected;
        const std::string stream = valid_stream(gen, kLargest, expected);
        const std::size_t largest_piece = gen.chance(50) ? 8 : 70'000;
        const Outcome parsed = parse_in_pieces(stream, kLargest, gen.random(), largest_piece);
        ASSERT_EQ(parsed, expected) << "seed " << seed << "\nparsed:   " << describe(parsed)
                                    << "\nexpected: " << describe(expected);
        // The reference agrees on valid input too (it is the oracle below).
        ASSERT_EQ(reference_parse(stream, kLargest), expected) << "seed " << seed;
    }
}

TEST(FrameParserFuzz, DamagedStreamsGiveTheReferenceOutcomeInAnySplit) {
    // Small enough that damaged lengths reach 1009 as well.
    constexpr std::size_t kMaxMessage = 3000;
    std::size_t errors = 0;
    for (std::uint64_t seed = 1; seed <= 3000; ++seed) {
        Generator gen(seed);
        Outcome valid;
        // Messages up to twice the limit: fragmented ones pass it by their sum.
        std::string stream = valid_stream(gen, 2 * kMaxMessage, valid);
        damage(gen, stream);
        const Outcome expected = reference_parse(stream, kMaxMessage);
        if (expected.error_code != 0) ++errors;
        ASSERT_TRUE(parses_as_in_every_split(stream, kMaxMessage, expected, gen, 5))
            << "seed " << seed;
    }
    // The damage must reach the error paths, not only end streams early.
    EXPECT_GT(errors, 1000u);
}

TEST(FrameParserFuzz, RuleBreakingStreamsGiveTheReferenceOutcomeInAnySplit) {
    constexpr std::size_t kMaxMessage = 2000;
    std::vector<std::size_t> codes(3);  // how often 1002, 1007 and 1009 came out
    for (std::uint64_t seed = 1; seed <= 4000; ++seed) {
        Generator gen(seed);
        std::string stream = rule_breaking_stream(gen, kMaxMessage);
        if (gen.chance(20)) damage(gen, stream);
        const Outcome expected = reference_parse(stream, kMaxMessage);
        if (expected.error_code == close_code::protocol_error) ++codes[0];
        if (expected.error_code == close_code::invalid_payload) ++codes[1];
        if (expected.error_code == close_code::message_too_big) ++codes[2];
        ASSERT_TRUE(parses_as_in_every_split(stream, kMaxMessage, expected, gen, 9))
            << "seed " << seed;
    }
    for (const std::size_t count : codes) EXPECT_GT(count, 100u);
}

TEST(FrameParserFuzz, RandomBytesNeverOutrunTheReference) {
    for (std::uint64_t seed = 1; seed <= 2000; ++seed) {
        Generator gen(seed);
        std::string stream = gen.bytes(1 + gen.below(64));
        // Mostly masked, so the parse goes past the first header's checks.
        if (gen.chance(80) && stream.size() > 1) stream[1] = static_cast<char>(stream[1] | 0x80);
        if (gen.chance(60)) stream[0] = static_cast<char>(stream[0] & 0x8F);
        const Outcome expected = reference_parse(stream, 1000);
        const Outcome parsed = parse_in_pieces(stream, 1000, gen.random(), 3);
        ASSERT_EQ(parsed, expected) << "seed " << seed << "\nparsed:   " << describe(parsed)
                                    << "\nexpected: " << describe(expected);
    }
}

}  // namespace
}  // namespace hyphae::test
