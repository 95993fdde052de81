#pragma once

#include <cstdint>

#include "media/rtcp.h"

namespace kefu::media {

/**
 * What one leg received from one remote SSRC: sequence tracking with wrap and restarts (RFC 3550
 * appendix A.1), interarrival jitter (A.8) and loss for report blocks (A.3). Lives on the media
 * thread of its session; not thread-safe.
 */
class ReceptionStats {
 public:
  /** `clock_rate` is the RTP clock of the stream's codec, used to turn jitter into time. */
  explicit ReceptionStats(int clock_rate);

  /** Records one received packet; `arrival_us` is any monotonic clock in microseconds. */
  void onPacket(uint16_t sequence, uint32_t rtp_timestamp, int64_t arrival_us);

  /**
   * @return the report block for `remote_ssrc`; `last_sr` is the middle 32 bits of the last SR
   * received (0 when none) and `last_sr_arrival_us` its arrival on the same clock as `now_us`.
   * Starts a new interval for the fraction lost.
   */
  ReportBlock reportBlock(uint32_t remote_ssrc, uint32_t last_sr, int64_t now_us,
                          int64_t last_sr_arrival_us);

  /** @return the packets received, duplicates included (as in RFC 3550 A.3). */
  uint64_t received() const { return received_; }
  /** @return the packets expected from the first to the highest extended sequence number. */
  int64_t expected() const;
  /** @return expected minus received; negative when duplicates outnumber losses. */
  int64_t lost() const;
  /** @return the interarrival jitter in milliseconds. */
  double jitterMs() const;
  /** @return the percentage of expected packets lost over the whole session (0 when none). */
  double lossPercent() const;
  /** @return the extended highest sequence number received (cycles in the upper 16 bits). */
  uint32_t extendedHighestSequence() const { return cycles_ + max_sequence_; }

 private:
  void startEpoch(uint16_t sequence);
  /** @return the packets expected in the current epoch (since the last restart). */
  int64_t epochExpected() const;

  int clock_rate_;
  bool started_ = false;
  uint16_t max_sequence_ = 0;
  uint32_t cycles_ = 0;  // count of sequence number wraps, shifted left by 16
  uint32_t base_sequence_ = 0;
  uint32_t bad_sequence_ = 0;
  // Counts of the current epoch; earlier epochs (before a sequence restart) are folded into the
  // "earlier_" totals so session loss survives a restart.
  uint64_t received_ = 0;
  uint64_t epoch_received_ = 0;
  int64_t earlier_expected_ = 0;
  int64_t expected_prior_ = 0;
  uint64_t received_prior_ = 0;
  bool have_transit_ = false;
  int64_t last_arrival_units_ = 0;
  uint32_t last_timestamp_ = 0;
  double jitter_ = 0.0;  // in timestamp units, as RFC 3550 A.8 keeps it
};

}  // namespace kefu::media
