#include "media/telephone_event.h"

#include <algorithm>
#include <string_view>

namespace kefu::media {
namespace {

constexpr std::string_view Digits = "0123456789*#ABCD";

}  // namespace

std::optional<TelephoneEvent> parseTelephoneEvent(std::span<const uint8_t> payload) {
  if (payload.size() < 4) {
    return std::nullopt;
  }
  TelephoneEvent event;
  event.event = payload[0];
  event.end = (payload[1] & 0x80) != 0;
  event.volume = payload[1] & 0x3F;
  event.duration = static_cast<uint16_t>((payload[2] << 8) | payload[3]);
  return event;
}

void writeTelephoneEvent(const TelephoneEvent& event, std::span<uint8_t, 4> out) {
  out[0] = event.event;
  out[1] = static_cast<uint8_t>((event.end ? 0x80 : 0x00) | (event.volume & 0x3F));
  out[2] = static_cast<uint8_t>(event.duration >> 8);
  out[3] = static_cast<uint8_t>(event.duration & 0xFF);
}

std::optional<char> eventDigit(uint8_t event) {
  if (event >= Digits.size()) {
    return std::nullopt;
  }
  return Digits[event];
}

std::optional<uint8_t> digitEvent(char digit) {
  if (digit >= 'a' && digit <= 'd') {
    digit = static_cast<char>(digit - 'a' + 'A');
  }
  std::size_t index = Digits.find(digit);
  if (index == std::string_view::npos) {
    return std::nullopt;
  }
  return static_cast<uint8_t>(index);
}

std::optional<char> TelephoneEventReceiver::onPacket(uint32_t rtp_timestamp,
                                                     std::span<const uint8_t> payload) {
  std::optional<TelephoneEvent> event = parseTelephoneEvent(payload);
  if (!event) {
    ++malformed_;
    return std::nullopt;
  }
  auto seen_begin = seen_.begin();
  auto seen_end = seen_begin + static_cast<std::ptrdiff_t>(seen_count_);
  if (std::find(seen_begin, seen_end, rtp_timestamp) != seen_end) {
    return std::nullopt;
  }
  seen_[seen_next_] = rtp_timestamp;
  seen_next_ = (seen_next_ + 1) % Remembered;
  seen_count_ = std::min(seen_count_ + 1, Remembered);
  return eventDigit(event->event);
}

void TelephoneEventSender::start(char digit, int duration_ms, int clock_rate) {
  sent_ = 0;
  total_ = 0;
  std::optional<uint8_t> event = digitEvent(digit);
  if (!event || clock_rate <= 0) {
    return;
  }
  event_ = *event;
  step_ = static_cast<uint32_t>(clock_rate / 50);
  // The duration field is 16 bits of clock units; longer tones would need the segmented events
  // of RFC 4733 section 2.5.1.3, which a DTMF digit never needs.
  int max_updates = static_cast<int>(0xFFFF / step_);
  updates_ = std::clamp((duration_ms + 19) / 20, 1, std::max(1, max_updates));
  total_ = updates_ + EndRepeats - 1;
  final_duration_ = static_cast<uint16_t>(static_cast<uint32_t>(updates_) * step_);
}

std::optional<TelephoneEventSender::Packet> TelephoneEventSender::next() {
  if (!active()) {
    return std::nullopt;
  }
  ++sent_;
  TelephoneEvent event;
  event.event = event_;
  event.end = sent_ >= updates_;
  event.duration = event.end ? final_duration_ : static_cast<uint16_t>(sent_ * step_);
  Packet packet{};
  packet.marker = sent_ == 1;
  packet.end = event.end;
  writeTelephoneEvent(event, packet.payload);
  return packet;
}

}  // namespace kefu::media
