#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "media/sdp.h"

// What the packet path (leg.cc) and the clocked work (leg_clock.cc) of a Leg share.

namespace kefu::media::leg_support {

constexpr std::size_t PacketBufferSize = 1600;

inline int64_t unixMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/** Adds one to a media thread's counter; only the owning thread calls it. */
inline void bump(std::atomic<uint64_t>& counter) {
  // Only the owning media thread writes a counter: a relaxed load and store is enough.
  counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

/** @return whether a stream in `direction` carries audio from us. */
inline bool sends(Direction direction) {
  return direction == Direction::SendRecv || direction == Direction::SendOnly;
}

/** @return whether a stream in `direction` carries audio to us. */
inline bool receives(Direction direction) {
  return direction == Direction::SendRecv || direction == Direction::RecvOnly;
}

}  // namespace kefu::media::leg_support
