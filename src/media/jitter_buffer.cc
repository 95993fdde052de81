#include "media/jitter_buffer.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace kefu::media {
namespace {

constexpr int FrameMs = PtimeMs;
// The first unwrapped sequence number: far from zero, so unwrapping backwards stays positive.
constexpr int64_t SequenceBase = int64_t{1} << 32;
// Packets further than this from the playout point are strays or a new source (about 60 s).
constexpr int64_t FarAway = 3000;
// Two frames of headroom before the delay counts as too high: jitter is rarely that regular.
constexpr int ExcessHeadroomMs = 2 * FrameMs;
// RFC 3550 jitter: J += (|D| - J) / 16; the target is one frame plus four times J.
constexpr double JitterGain = 1.0 / 16.0;
constexpr double JitterMultiple = 4.0;
// A timestamp step above this between consecutive packets is a new timeline (re-INVITE).
constexpr double TimelineJumpMs = 1000.0;
// How fast the target may fall: 25 ms per second of packets.
constexpr double TargetFallPerPacketMs = 0.5;

}  // namespace

JitterBuffer::JitterBuffer(Config config) : config_(config) {
  config_.capacity = std::max<std::size_t>(config_.capacity, 2);
  config_.min_delay_ms = std::max(config_.min_delay_ms, 0);
  config_.max_delay_ms = std::max(config_.max_delay_ms, config_.min_delay_ms);
  config_.clock_rate = std::max(config_.clock_rate, 1);
  slots_.resize(config_.capacity);
  payloads_.resize(config_.capacity * MaxPayloadBytes);
  stats_.target_delay_ms = std::max(config_.min_delay_ms, FrameMs);
  stats_.target_delay_ms = std::min(stats_.target_delay_ms, config_.max_delay_ms);
  target_ms_ = stats_.target_delay_ms;
}

int64_t JitterBuffer::unwrap(uint16_t sequence) const {
  if (!have_reference_) {
    return SequenceBase + sequence;
  }
  return last_extended_ + static_cast<int16_t>(static_cast<uint16_t>(sequence - last_sequence_));
}

bool JitterBuffer::holds(int64_t sequence) const {
  const Slot& slot = slots_[static_cast<std::size_t>(sequence) % slots_.size()];
  return slot.sequence == sequence && !slot.played;
}

int64_t JitterBuffer::oldestBuffered() const {
  for (int64_t sequence = next_; sequence <= highest_; ++sequence) {
    if (holds(sequence)) {
      return sequence;
    }
  }
  return -1;
}

void JitterBuffer::restart(int64_t sequence) {
  for (Slot& slot : slots_) {
    slot = Slot{};
  }
  buffered_ = 0;
  next_ = sequence;
  highest_ = sequence - 1;
  state_ = State::Buffering;
  stalled_ = false;
  wait_count_ = 0;
  have_stray_ = false;
}

void JitterBuffer::updateJitter(uint32_t timestamp, int64_t arrival_ms) {
  if (have_transit_) {
    double media_ms =
        static_cast<int32_t>(timestamp - last_timestamp_) * 1000.0 / config_.clock_rate;
    double difference = static_cast<double>(arrival_ms - last_arrival_ms_) - media_ms;
    if (std::abs(media_ms) > TimelineJumpMs) {
      difference = 0;  // a new timeline says nothing about the network
    }
    stats_.jitter_ms += (std::abs(difference) - stats_.jitter_ms) * JitterGain;
  }
  have_transit_ = true;
  last_timestamp_ = timestamp;
  last_arrival_ms_ = arrival_ms;
  // The target rises at once with the jitter but falls slowly: J swings after every spike and
  // decays between them, and a target that followed it down would make the buffer shrink and
  // grow again (each a discarded or a concealed frame) around every spike.
  double wanted = FrameMs + JitterMultiple * stats_.jitter_ms;
  target_ms_ = std::max(wanted, target_ms_ - TargetFallPerPacketMs);
  target_ms_ = std::clamp(target_ms_, static_cast<double>(config_.min_delay_ms),
                          static_cast<double>(config_.max_delay_ms));
  stats_.target_delay_ms = static_cast<int>(std::lround(target_ms_));
}

void JitterBuffer::discardOldest() {
  if (holds(next_)) {
    slotOf(next_).played = true;
    --buffered_;
    ++stats_.discarded;
  } else {
    ++stats_.lost;
  }
  ++next_;
}

JitterBuffer::PutResult JitterBuffer::put(uint16_t sequence, uint32_t timestamp,
                                          std::span<const uint8_t> payload, int64_t arrival_ms) {
  ++stats_.received;
  if (payload.size() > MaxPayloadBytes) {
    ++stats_.discarded;
    return PutResult::Overflow;
  }
  const auto capacity = static_cast<int64_t>(slots_.size());
  int64_t extended = unwrap(sequence);
  PutResult result = PutResult::Stored;

  if (!have_reference_) {
    restart(extended);
    spurt_arrival_ms_ = arrival_ms;
  } else {
    int64_t distance = extended - next_;
    const bool far = distance >= FarAway || distance < -FarAway;
    const bool outside_idle_window =
        state_ == State::Idle && (distance < -capacity || distance >= capacity);
    if (far || outside_idle_window) {
      // Far from where we are: a stray, or a new source. A new source sends the next packet
      // right after; a stray does not. When idle, nothing is lost by starting over at once.
      const bool confirmed = have_stray_ && sequence == static_cast<uint16_t>(stray_sequence_ + 1);
      if (!confirmed && state_ != State::Idle) {
        have_stray_ = true;
        stray_sequence_ = sequence;
        ++stats_.late;
        return PutResult::TooLate;
      }
      extended = SequenceBase + sequence;
      restart(extended);
      spurt_arrival_ms_ = arrival_ms;
      have_transit_ = false;
    } else if (distance < 0) {
      if (slotOf(extended).sequence == extended) {
        ++stats_.duplicates;
        return PutResult::Duplicate;
      }
      const bool room = highest_ - extended < capacity;
      if (state_ != State::Buffering || !room) {
        // Too late to play, but its lateness is exactly what the target delay must learn.
        updateJitter(timestamp, arrival_ms);
        ++stats_.late;
        return PutResult::TooLate;
      }
      next_ = extended;  // nothing has played yet: the talk spurt simply starts earlier
    } else if (slotOf(extended).sequence == extended) {
      ++stats_.duplicates;
      return PutResult::Duplicate;
    } else if (distance >= capacity) {
      while (extended - next_ >= capacity) {
        discardOldest();
      }
      result = PutResult::Overflow;
    }
    if (state_ == State::Idle) {
      state_ = State::Buffering;
      spurt_arrival_ms_ = arrival_ms;
      stalled_ = false;
      next_ = extended;
    } else if (state_ == State::Playing && stalled_ && extended == next_ && have_played_) {
      // The sender resumed after a pause: when the timestamp jumped past the silence it is a
      // new talk spurt, which waits for the target delay like the first one did.
      auto expected = static_cast<uint32_t>(last_played_timestamp_ +
                                            (extended - last_played_) * config_.timestamp_step);
      if (static_cast<int32_t>(timestamp - expected) >
          static_cast<int32_t>(config_.timestamp_step / 2)) {
        state_ = State::Buffering;
        spurt_arrival_ms_ = arrival_ms;
        stalled_ = false;
      }
    }
  }

  have_reference_ = true;
  last_sequence_ = sequence;
  last_extended_ = extended;
  have_stray_ = false;
  updateJitter(timestamp, arrival_ms);

  Slot& slot = slotOf(extended);
  slot.sequence = extended;
  slot.timestamp = timestamp;
  slot.arrival_ms = arrival_ms;
  slot.size = payload.size();
  slot.played = false;
  if (!payload.empty()) {
    std::memcpy(
        payloads_.data() + (static_cast<std::size_t>(extended) % slots_.size()) * MaxPayloadBytes,
        payload.data(), payload.size());
  }
  ++buffered_;
  if (extended < highest_) {
    ++stats_.reordered;
  }
  highest_ = std::max(highest_, extended);
  return result;
}

int64_t JitterBuffer::currentDelayMs() const {
  if (wait_count_ == 0) {
    return last_wait_ms_;
  }
  const auto end = waits_.begin() + static_cast<std::ptrdiff_t>(std::min(wait_count_, WaitWindow));
  return *std::max_element(waits_.begin(), end);
}

JitterBuffer::Output JitterBuffer::pop(int64_t now_ms) {
  switch (state_) {
    case State::Idle:
      return {Output::Kind::Empty, {}};
    case State::Buffering: {
      if (buffered_ == 0) {
        state_ = State::Idle;
        return {Output::Kind::Empty, {}};
      }
      if (now_ms - spurt_arrival_ms_ < stats_.target_delay_ms) {
        return {Output::Kind::Empty, {}};
      }
      // Start the spurt at its first packet: earlier sequence numbers never came.
      int64_t oldest = oldestBuffered();
      while (next_ < oldest) {
        ++stats_.lost;
        ++next_;
      }
      state_ = State::Playing;
      stalled_ = false;
      wait_count_ = 0;
      return playNext(now_ms);
    }
    case State::Playing:
      return playNext(now_ms);
  }
  return {Output::Kind::Empty, {}};
}

JitterBuffer::Output JitterBuffer::playNext(int64_t now_ms) {
  if (holds(next_)) {
    stalled_ = false;
    if (wait_count_ >= WaitWindow) {
      const auto [shortest, longest] = std::minmax_element(waits_.begin(), waits_.end());
      if (*longest < stats_.target_delay_ms - FrameMs / 2) {
        // Even the packets that came on time waited less than the target: the jitter grew.
        // Conceal one frame without moving on, which delays everything after by 20 ms.
        wait_count_ = 0;
        ++stats_.stretched;
        return {Output::Kind::Lost, {}};
      }
      if (*shortest > stats_.target_delay_ms + ExcessHeadroomMs && holds(next_ + 1)) {
        // Even the latest packets waited well over the target (after a spike, or as the
        // target falls): drop one frame to bring the delay down.
        wait_count_ = 0;
        discardOldest();
      }
    }
    last_wait_ms_ = now_ms - slotOf(next_).arrival_ms;
    waits_[wait_count_ % WaitWindow] = last_wait_ms_;
    ++wait_count_;
    Slot& slot = slotOf(next_);
    slot.played = true;
    --buffered_;
    have_played_ = true;
    last_played_ = next_;
    last_played_timestamp_ = slot.timestamp;
    const uint8_t* data =
        payloads_.data() + (static_cast<std::size_t>(next_) % slots_.size()) * MaxPayloadBytes;
    ++next_;
    return {Output::Kind::Frame, std::span<const uint8_t>(data, slot.size)};
  }
  if (buffered_ > 0) {
    // A later packet is here, so this one is lost (or so late it no longer matters).
    stalled_ = false;
    ++stats_.lost;
    ++next_;
    return {Output::Kind::Lost, {}};
  }
  // Nothing at all: a late packet or the end of a talk spurt. Conceal without moving on, so a
  // late packet still plays; after max_delay of nothing, the call is silent, not lossy.
  if (!stalled_) {
    stalled_ = true;
    stall_started_ms_ = now_ms;
  }
  if (now_ms - stall_started_ms_ >= config_.max_delay_ms) {
    state_ = State::Idle;
    stalled_ = false;
    return {Output::Kind::Empty, {}};
  }
  return {Output::Kind::Lost, {}};
}

}  // namespace kefu::media
