#include "media/telephone_event.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kefu::media {
namespace {

TEST(TelephoneEventTest, ParsesTheRfc4733Layout) {
  // Event 5, end bit, volume 10, duration 800.
  const std::array<uint8_t, 4> payload = {0x05, 0x8A, 0x03, 0x20};
  std::optional<TelephoneEvent> event = parseTelephoneEvent(payload);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->event, 5);
  EXPECT_TRUE(event->end);
  EXPECT_EQ(event->volume, 10);
  EXPECT_EQ(event->duration, 800);
}

TEST(TelephoneEventTest, WriteThenParseRoundTrips) {
  for (uint8_t code = 0; code < 16; ++code) {
    for (bool end : {false, true}) {
      TelephoneEvent event{.event = code, .end = end, .volume = 63, .duration = 65535};
      std::array<uint8_t, 4> payload{};
      writeTelephoneEvent(event, payload);
      std::optional<TelephoneEvent> parsed = parseTelephoneEvent(payload);
      ASSERT_TRUE(parsed.has_value());
      EXPECT_EQ(parsed->event, code);
      EXPECT_EQ(parsed->end, end);
      EXPECT_EQ(parsed->volume, 63);
      EXPECT_EQ(parsed->duration, 65535);
    }
  }
}

TEST(TelephoneEventTest, ShortPayloadsAreMalformed) {
  EXPECT_FALSE(parseTelephoneEvent({}).has_value());
  const std::array<uint8_t, 3> three = {1, 2, 3};
  EXPECT_FALSE(parseTelephoneEvent(three).has_value());
}

TEST(TelephoneEventTest, MapsDigitsAndEvents) {
  const std::string digits = "0123456789*#ABCD";
  for (uint8_t code = 0; code < 16; ++code) {
    EXPECT_EQ(eventDigit(code), digits[code]);
    EXPECT_EQ(digitEvent(digits[code]), code);
  }
  EXPECT_EQ(digitEvent('a'), 12);
  EXPECT_FALSE(eventDigit(16).has_value());  // flash is an event, not a DTMF digit
  EXPECT_FALSE(digitEvent('E').has_value());
  EXPECT_FALSE(digitEvent(' ').has_value());
}

std::vector<TelephoneEventSender::Packet> sendDigit(char digit, int duration_ms, int clock_rate) {
  TelephoneEventSender sender;
  sender.start(digit, duration_ms, clock_rate);
  std::vector<TelephoneEventSender::Packet> packets;
  while (auto packet = sender.next()) {
    packets.push_back(*packet);
  }
  EXPECT_FALSE(sender.active());
  return packets;
}

TEST(TelephoneEventSenderTest, SendsUpdatesEvery20msThenTheEndThreeTimes) {
  std::vector<TelephoneEventSender::Packet> packets = sendDigit('7', 100, 8000);
  ASSERT_EQ(packets.size(), 7u);  // 4 updates + the end 3 times
  EXPECT_TRUE(packets[0].marker);
  for (std::size_t i = 0; i < packets.size(); ++i) {
    auto event = parseTelephoneEvent(packets[i].payload);
    ASSERT_TRUE(event.has_value());
    EXPECT_EQ(event->event, 7);
    EXPECT_EQ(packets[i].marker, i == 0);
    EXPECT_EQ(event->end, i >= 4);
    EXPECT_EQ(packets[i].end, i >= 4);
    // Durations grow by 160 per 20 ms at 8 kHz; the ends all carry the total, 800.
    EXPECT_EQ(event->duration, std::min<std::size_t>(i + 1, 5) * 160);
  }
}

TEST(TelephoneEventSenderTest, UsesTheAudioCodecsClock) {
  std::vector<TelephoneEventSender::Packet> packets = sendDigit('#', 60, 48000);
  ASSERT_EQ(packets.size(), 5u);
  EXPECT_EQ(parseTelephoneEvent(packets.back().payload)->duration, 3 * 960);
  EXPECT_EQ(parseTelephoneEvent(packets.back().payload)->event, 11);
}

TEST(TelephoneEventSenderTest, CapsTheDurationToSixteenBits) {
  std::vector<TelephoneEventSender::Packet> packets = sendDigit('1', 5000, 48000);
  EXPECT_LE(parseTelephoneEvent(packets.back().payload)->duration, 65535);
  EXPECT_GT(parseTelephoneEvent(packets.back().payload)->duration, 60000);
}

TEST(TelephoneEventSenderTest, UnknownDigitsSendNothing) {
  EXPECT_TRUE(sendDigit('x', 100, 8000).empty());
}

TEST(TelephoneEventReceiverTest, ReportsEachDigitOnceWhateverRepeats) {
  TelephoneEventReceiver receiver;
  std::string digits;
  uint32_t timestamp = 1000;
  for (char digit : std::string("0123456789*#ABCD")) {
    std::vector<TelephoneEventSender::Packet> packets = sendDigit(digit, 120, 8000);
    // Duplicate the start, and deliver the ends reordered before the last update.
    packets.push_back(packets[0]);
    std::swap(packets[packets.size() - 2], packets[3]);
    for (const auto& packet : packets) {
      if (auto found = receiver.onPacket(timestamp, packet.payload)) {
        digits += *found;
      }
    }
    timestamp += 3200;
  }
  EXPECT_EQ(digits, "0123456789*#ABCD");
}

TEST(TelephoneEventReceiverTest, ALateEndOfTheLastDigitIsNotANewOne) {
  TelephoneEventReceiver receiver;
  std::vector<TelephoneEventSender::Packet> first = sendDigit('1', 60, 8000);
  std::vector<TelephoneEventSender::Packet> second = sendDigit('1', 60, 8000);
  EXPECT_EQ(receiver.onPacket(100, first[0].payload), '1');
  EXPECT_EQ(receiver.onPacket(900, second[0].payload), '1');  // the same digit pressed again
  EXPECT_EQ(receiver.onPacket(100, first.back().payload), std::nullopt);
  EXPECT_EQ(receiver.onPacket(900, second.back().payload), std::nullopt);
}

TEST(TelephoneEventReceiverTest, ADigitFirstSeenAtItsEndIsStillReported) {
  TelephoneEventReceiver receiver;
  std::vector<TelephoneEventSender::Packet> packets = sendDigit('9', 100, 8000);
  EXPECT_EQ(receiver.onPacket(5000, packets.back().payload), '9');
  EXPECT_EQ(receiver.onPacket(5000, packets[0].payload), std::nullopt);
}

TEST(TelephoneEventReceiverTest, CountsMalformedAndIgnoresNonDigitEvents) {
  TelephoneEventReceiver receiver;
  const std::array<uint8_t, 2> short_payload = {1, 2};
  EXPECT_EQ(receiver.onPacket(1, short_payload), std::nullopt);
  EXPECT_EQ(receiver.malformed(), 1u);
  std::array<uint8_t, 4> flash{};
  writeTelephoneEvent({.event = 16}, flash);
  EXPECT_EQ(receiver.onPacket(2, flash), std::nullopt);
}

}  // namespace
}  // namespace kefu::media
