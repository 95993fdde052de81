#pragma once

#include <atomic>
#include <cstdint>

namespace kefu::media {

/**
 * One media thread's counters. Only the owning thread writes, except sessions_active: it changes
 * by atomic read-modify-writes where legs are created and destroyed, and where a leg moves to
 * another thread (on the thread it leaves, for both threads' counters). Any thread reads.
 */
struct ThreadCounters {
  std::atomic<uint64_t> sessions_active{0};
  std::atomic<uint64_t> sessions_created{0};
  std::atomic<uint64_t> sessions_moved{0};  // legs that arrived here from another thread
  std::atomic<uint64_t> packets_received{0};
  std::atomic<uint64_t> packets_sent{0};
  std::atomic<uint64_t> packets_relayed{0};
  std::atomic<uint64_t> packets_transcoded{0};
  std::atomic<uint64_t> frames_decoded{0};
  std::atomic<uint64_t> frames_dtmf_narrow{0};
  std::atomic<uint64_t> malformed_rtp{0};
  std::atomic<uint64_t> malformed_rtcp{0};
  std::atomic<uint64_t> malformed_stun{0};
  std::atomic<uint64_t> malformed_dtls{0};
  std::atomic<uint64_t> srtp_failures{0};
  std::atomic<uint64_t> unknown_packets{0};
};

}  // namespace kefu::media
