// hyphae's own frame parser and UTF-8 validator, byte by byte.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hyphae/close_codes.hpp"
#include "hyphae/frame_parser.hpp"
#include "hyphae/utf8_validator.hpp"

namespace hyphae::test {
namespace {

bool valid_utf8(const std::string& text) {
    Utf8Validator validator;
    return validator.feed(reinterpret_cast<const unsigned char*>(text.data()), text.size()) &&
           validator.complete();
}

TEST(Utf8Validator, AcceptsWellFormedAndRejectsEachIllFormedKind) {
    EXPECT_TRUE(valid_utf8("plain ascii, long enough for the word-at-a-time path"));
    EXPECT_TRUE(valid_utf8("\xC2\xA9 \xE2\x82\xAC \xF0\x9F\x8D\x84 \xF4\x8F\xBF\xBF"));
    EXPECT_FALSE(valid_utf8("\xC0\xAF"));          // overlong two-byte
    EXPECT_FALSE(valid_utf8("\xE0\x80\xAF"));      // overlong three-byte
    EXPECT_FALSE(valid_utf8("\xED\xA0\x80"));      // surrogate U+D800
    EXPECT_FALSE(valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
    EXPECT_FALSE(valid_utf8("\xF5\x80\x80\x80"));  // invalid lead byte
    EXPECT_FALSE(valid_utf8("\x80"));              // lone continuation
    EXPECT_FALSE(valid_utf8("\xE2\x82"));          // truncated
}

TEST(Utf8Validator, ASequenceMaySpanFeeds) {
    const std::string euro = "\xE2\x82\xAC";
    Utf8Validator validator;
    for (char c : euro) {
        const auto byte = static_cast<unsigned char>(c);
        EXPECT_TRUE(validator.feed(&byte, 1));
    }
    EXPECT_TRUE(validator.complete());
}

// A masked client frame.
std::string client_frame(std::uint8_t first, const std::string& payload) {
    const unsigned char key[4] = {0x12, 0x34, 0x56, 0x78};
    std::string frame(1, static_cast<char>(first));
    if (payload.size() < 126) {
        frame.push_back(static_cast<char>(0x80 | payload.size()));
    } else if (payload.size() < 65536) {
        frame.push_back(static_cast<char>(0x80 | 126));
        frame.push_back(static_cast<char>(payload.size() >> 8));
        frame.push_back(static_cast<char>(payload.size() & 0xFF));
    } else {
        frame.push_back(static_cast<char>(0x80 | 127));
        for (int i = 7; i >= 0; --i)
            frame.push_back(static_cast<char>((payload.size() >> (8 * i)) & 0xFF));
    }
    frame.append(reinterpret_cast<const char*>(key), 4);
    for (std::size_t i = 0; i < payload.size(); ++i) {
        frame.push_back(static_cast<char>(payload[i] ^ key[i % 4]));
    }
    return frame;
}

struct Parsed {
    std::vector<FrameParser::Event> events;
    std::vector<std::string> payloads;
};

// Feeds `bytes` in pieces of `step` bytes and records every event.
Parsed parse_in_steps(const std::string& bytes, std::size_t step, std::size_t max = 1 << 20) {
    FrameParser parser(max);
    Parsed out;
    std::size_t at = 0;
    while (at < bytes.size()) {
        const std::size_t end = std::min(bytes.size(), at + step);
        while (at < end) {
            std::size_t used = 0;
            const auto event = parser.parse(
                reinterpret_cast<const unsigned char*>(bytes.data()) + at, end - at, used);
            at += used;
            if (event == FrameParser::Event::none) continue;
            out.events.push_back(event);
            if (event == FrameParser::Event::message) {
                out.payloads.push_back(parser.message());
                parser.message_done();
            }
            if (event == FrameParser::Event::ping) out.payloads.push_back(parser.control_payload());
            if (event == FrameParser::Event::error) return out;
        }
    }
    return out;
}

TEST(FrameParser, SameEventsWhateverTheSplit) {
    const std::string big(70'000, 'b');  // 64-bit length form
    const std::string medium(300, 'm');  // 16-bit length form
    std::string stream = client_frame(0x81, "hello") + client_frame(0x82, big) +
                         client_frame(0x01, "frag") + client_frame(0x89, "ping!") +
                         client_frame(0x80, "mented") + client_frame(0x82, medium) +
                         client_frame(0x81, "");
    for (std::size_t step :
         {std::size_t{1}, std::size_t{3}, std::size_t{7}, std::size_t{4096}, stream.size()}) {
        const auto parsed = parse_in_steps(stream, step);
        using E = FrameParser::Event;
        ASSERT_EQ(parsed.events, (std::vector<E>{E::message, E::message, E::ping, E::message,
                                                 E::message, E::message}))
            << "step " << step;
        EXPECT_EQ(parsed.payloads[0], "hello");
        EXPECT_EQ(parsed.payloads[1], big);
        EXPECT_EQ(parsed.payloads[2], "ping!");
        EXPECT_EQ(parsed.payloads[3], "fragmented");
        EXPECT_EQ(parsed.payloads[4], medium);
        EXPECT_EQ(parsed.payloads[5], "");
    }
}

TEST(FrameParser, CloseFramesGiveCodeAndReason) {
    FrameParser parser(1024);
    const std::string frame = client_frame(0x88, std::string("\x0F\xA0", 2) + "bye");
    std::size_t used = 0;
    ASSERT_EQ(
        parser.parse(reinterpret_cast<const unsigned char*>(frame.data()), frame.size(), used),
        FrameParser::Event::close);
    EXPECT_EQ(parser.close_code(), 4000);
    EXPECT_EQ(parser.close_reason(), "bye");

    FrameParser empty(1024);
    const std::string bare = client_frame(0x88, "");
    ASSERT_EQ(empty.parse(reinterpret_cast<const unsigned char*>(bare.data()), bare.size(), used),
              FrameParser::Event::close);
    EXPECT_EQ(empty.close_code(), close_code::no_status);
}

std::uint16_t error_of(const std::string& bytes, std::size_t max = 1024) {
    FrameParser parser(max);
    std::size_t at = 0;
    while (at < bytes.size()) {
        std::size_t used = 0;
        const auto event = parser.parse(reinterpret_cast<const unsigned char*>(bytes.data()) + at,
                                        bytes.size() - at, used);
        at += used;
        if (event == FrameParser::Event::error) return parser.error_code();
        if (used == 0) break;
    }
    return 0;
}

TEST(FrameParser, EachViolationGetsItsCloseCode) {
    EXPECT_EQ(error_of(std::string("\x81\x02hi", 4)), close_code::protocol_error);  // unmasked
    EXPECT_EQ(error_of(client_frame(0xC1, "x")), close_code::protocol_error);       // RSV1
    EXPECT_EQ(error_of(client_frame(0x83, "x")), close_code::protocol_error);       // opcode 3
    EXPECT_EQ(error_of(client_frame(0x8B, "x")), close_code::protocol_error);       // opcode 11
    EXPECT_EQ(error_of(client_frame(0x09, "x")), close_code::protocol_error);  // fragmented ping
    EXPECT_EQ(error_of(client_frame(0x89, std::string(126, 'p'))), close_code::protocol_error);
    EXPECT_EQ(error_of(client_frame(0x80, "orphan")), close_code::protocol_error);
    EXPECT_EQ(error_of(client_frame(0x01, "a") + client_frame(0x81, "b")),
              close_code::protocol_error);
    EXPECT_EQ(error_of(client_frame(0x88, "\x03")), close_code::protocol_error);  // 1-byte close
    EXPECT_EQ(error_of(client_frame(0x88, std::string("\x03\xED", 2))),
              close_code::protocol_error);  // 1005
    EXPECT_EQ(error_of(client_frame(0x88, std::string("\x03\xE8\xC0\xAF", 4))),
              close_code::invalid_payload);
    EXPECT_EQ(error_of(client_frame(0x81, "\xFF")), close_code::invalid_payload);
    EXPECT_EQ(error_of(client_frame(0x01, "\xE2\x82") + client_frame(0x80, "A")),
              close_code::invalid_payload);
    EXPECT_EQ(error_of(client_frame(0x82, std::string(1025, 'x'))), close_code::message_too_big);
    EXPECT_EQ(error_of(client_frame(0x02, std::string(600, 'x')) +
                       client_frame(0x80, std::string(600, 'x'))),
              close_code::message_too_big);
}

TEST(FrameParser, ServerHeadersUseTheShortestLengthForm) {
    unsigned char header[10];
    EXPECT_EQ(write_frame_header(header, 0x1, 125), 2u);
    EXPECT_EQ(header[0], 0x81);
    EXPECT_EQ(header[1], 125);
    EXPECT_EQ(write_frame_header(header, 0x2, 126), 4u);
    EXPECT_EQ(header[1], 126);
    EXPECT_EQ(write_frame_header(header, 0x2, 65535), 4u);
    EXPECT_EQ(write_frame_header(header, 0x2, 65536), 10u);
    EXPECT_EQ(header[1], 127);
    EXPECT_EQ(header[7], 0x01);  // 65536 = 0x00..010000
}

}  // namespace
}  // namespace hyphae::test
