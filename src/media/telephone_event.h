#pragma once

// RFC 4733 telephone events (DTMF sent out of band in RTP).

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace kefu::media {

/** One telephone-event payload (RFC 4733 section 2.3). */
struct TelephoneEvent {
  uint8_t event = 0;
  bool end = false;
  uint8_t volume = 10;    // -dBm0, 0..63
  uint16_t duration = 0;  // in units of the RTP clock, since the event's timestamp
};

/** @return the event in `payload`, or nullopt when it is shorter than 4 bytes. Never throws. */
std::optional<TelephoneEvent> parseTelephoneEvent(std::span<const uint8_t> payload);

/** Writes `event` as a 4-byte payload. */
void writeTelephoneEvent(const TelephoneEvent& event, std::span<uint8_t, 4> out);

/** @return the DTMF digit of an event: 0-9 * # A-D for events 0..15, nullopt for others. */
std::optional<char> eventDigit(uint8_t event);

/** @return the event of a DTMF digit (0-9 * # A-D, a-d), nullopt for other characters. */
std::optional<uint8_t> digitEvent(char digit);

/**
 * Turns a stream of telephone-event packets into digits: each event reported once, on its first
 * packet, however many updates and retransmitted ends follow (an event is keyed by its RTP
 * timestamp). Lives on one media thread; never allocates.
 */
class TelephoneEventReceiver {
 public:
  /** @return the digit a packet starts, nullopt for updates, repeats, malformed or non-DTMF events.
   */
  std::optional<char> onPacket(uint32_t rtp_timestamp, std::span<const uint8_t> payload);

  /** @return how many payloads were malformed (shorter than 4 bytes). */
  uint64_t malformed() const { return malformed_; }

 private:
  // The timestamps of the last few events, so a retransmitted end of an earlier event that arrives
  // after the next event has started is not reported again.
  static constexpr std::size_t Remembered = 4;
  std::array<uint32_t, Remembered> seen_{};
  std::size_t seen_count_ = 0;
  std::size_t seen_next_ = 0;
  uint64_t malformed_ = 0;
};

/**
 * Produces the packets of one digit (start with marker, updates every 20 ms, the end sent 3 times).
 * Lives on one media thread; never allocates.
 */
class TelephoneEventSender {
 public:
  struct Packet {
    std::array<uint8_t, 4> payload;
    bool marker;
    bool end;
  };

  /**
   * Starts a digit lasting `duration_ms` (at least 20 ms; capped so the duration field fits) at
   * `clock_rate`, the clock of the negotiated audio codec. An unknown digit leaves the sender idle.
   */
  void start(char digit, int duration_ms, int clock_rate);
  /** @return true while packets of the current digit remain. */
  bool active() const { return sent_ < total_; }
  /** @return the packet for the next 20 ms tick; all packets of one digit share one RTP timestamp.
   */
  std::optional<Packet> next();

 private:
  static constexpr int EndRepeats = 3;
  uint8_t event_ = 0;
  uint32_t step_ = 0;  // clock units per 20 ms
  int updates_ = 0;    // packets up to and including the first end
  int total_ = 0;      // updates_ plus the repeated ends
  int sent_ = 0;
  uint16_t final_duration_ = 0;
};

}  // namespace kefu::media
