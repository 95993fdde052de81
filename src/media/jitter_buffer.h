#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "media/audio.h"

namespace kefu::media {

/**
 * Adaptive playout buffer for legs that terminate audio. Fixed capacity, preallocated slots (each
 * payload is copied into a slot of MaxPayloadBytes): put() and pop() never allocate.
 *
 * Packets are played in sequence order, one per pop(). The target delay follows the RFC 3550
 * interarrival jitter estimate (target = one packet + 4 x jitter, between min and max); it rises
 * at once and falls by at most 25 ms per second of packets, so it does not swing after every
 * spike. A talk spurt (the first packet, or one after a silence) waits in the buffer for the target
 * delay before it plays. During a spurt the delay actually applied (how long played packets waited)
 * is steered to the target: one concealed frame is inserted to grow it, one frame discarded to
 * shrink it, at most once per 10 frames. A missing packet with later ones buffered is Lost; with
 * nothing buffered the buffer conceals without moving on (a late packet still plays) and goes
 * silent (Empty) after max_delay. Sequence numbers are unwrapped, so the wrap at 65535 is seamless.
 * A packet far outside the window that the next packet confirms (a new source after a re-INVITE)
 * restarts the buffer. Lives on one media thread.
 */
class JitterBuffer {
 public:
  struct Config {
    int min_delay_ms = 20;
    int max_delay_ms = 200;
    uint32_t timestamp_step = 160;  // RTP timestamp units per packet
    int clock_rate = 8000;          // the RTP clock, for the jitter estimate
    std::size_t capacity = 32;      // slots; packets further ahead than this overflow
  };

  enum class PutResult {
    Stored,
    Duplicate,  // this sequence number is already buffered or was already played
    TooLate,    // its turn to play has passed (it was concealed), or it is a stray from far away
    Overflow,   // stored, but the oldest frames were discarded to make room for it; or refused
                // when the payload is larger than MaxPayloadBytes
  };

  explicit JitterBuffer(Config config);

  /** Stores a packet that arrived at `arrival_ms` (any monotonic ms clock, the one pop() uses). */
  PutResult put(uint16_t sequence, uint32_t timestamp, std::span<const uint8_t> payload,
                int64_t arrival_ms);

  struct Output {
    enum class Kind { Frame, Lost, Empty } kind;
    std::span<const uint8_t> payload;  // the frame's payload when kind is Frame
  };

  /** Called every 20 ms by the leg's playout clock: @return the next frame, a gap to conceal, or
   *  Empty before the first packet / after a long silence. The span stays valid until the next
   * call. */
  Output pop(int64_t now_ms);

  struct Stats {
    uint64_t received = 0;  // packets given to put()
    uint64_t duplicates = 0;
    uint64_t late = 0;       // arrived after their turn (or strays)
    uint64_t lost = 0;       // sequence numbers skipped at playout because they never came
    uint64_t reordered = 0;  // arrived after a higher sequence number, in time to play
    int target_delay_ms = 0;
    uint64_t discarded = 0;  // frames dropped to bring the delay down or on overflow
    uint64_t stretched = 0;  // concealed frames inserted to raise the delay
    double jitter_ms = 0;    // the RFC 3550 interarrival jitter estimate
  };

  /** @return the counters and the current target delay. */
  const Stats& stats() const { return stats_; }

  /** @return the longest wait of the last few played packets, in ms: the delay applied to
   *  packets that arrive on time. */
  int64_t currentDelayMs() const;

  /** @return how many packets are buffered and not yet played. */
  std::size_t buffered() const { return buffered_; }

 private:
  struct Slot {
    int64_t sequence = -1;  // unwrapped; -1 when empty
    uint32_t timestamp = 0;
    int64_t arrival_ms = 0;
    std::size_t size = 0;
    bool played = false;  // kept after playing, to tell duplicates from late packets
  };

  enum class State { Idle, Buffering, Playing };

  int64_t unwrap(uint16_t sequence) const;
  void restart(int64_t sequence);
  void updateJitter(uint32_t timestamp, int64_t arrival_ms);
  Slot& slotOf(int64_t sequence) {
    return slots_[static_cast<std::size_t>(sequence) % slots_.size()];
  }
  bool holds(int64_t sequence) const;
  int64_t oldestBuffered() const;
  void discardOldest();
  Output playNext(int64_t now_ms);

  Config config_;
  std::vector<Slot> slots_;
  std::vector<uint8_t> payloads_;  // capacity x MaxPayloadBytes
  Stats stats_;

  State state_ = State::Idle;
  bool have_reference_ = false;
  uint16_t last_sequence_ = 0;  // the latest put's wire sequence number, for unwrapping
  int64_t last_extended_ = 0;   // and its unwrapped value
  int64_t highest_ = -1;        // highest unwrapped sequence received
  int64_t next_ = 0;            // next unwrapped sequence to play
  std::size_t buffered_ = 0;
  int64_t stall_started_ms_ = 0;  // while Playing with nothing to play
  bool stalled_ = false;
  // How long the last few played packets waited in the buffer: the delay actually applied,
  // which the buffer steers towards the target by concealing one frame more (to grow) or
  // discarding one (to shrink) once a full window has been seen since the last change.
  static constexpr std::size_t WaitWindow = 10;
  std::array<int64_t, WaitWindow> waits_{};
  std::size_t wait_count_ = 0;
  int64_t last_wait_ms_ = 0;
  // A far-away packet is remembered, and the buffer restarts when the next one follows it.
  bool have_stray_ = false;
  uint16_t stray_sequence_ = 0;
  int64_t spurt_arrival_ms_ = 0;  // when the talk spurt being buffered began to arrive
  bool have_played_ = false;
  int64_t last_played_ = 0;
  uint32_t last_played_timestamp_ = 0;
  double target_ms_ = 0;  // the target delay before rounding
  // RFC 3550 jitter state.
  bool have_transit_ = false;
  uint32_t last_timestamp_ = 0;
  int64_t last_arrival_ms_ = 0;
};

}  // namespace kefu::media
