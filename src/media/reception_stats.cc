#include "media/reception_stats.h"

#include <algorithm>
#include <cmath>

#include "core/assert.h"

namespace kefu::media {
namespace {

// RFC 3550 appendix A.1: a jump ahead of up to MaxDropout is loss, one behind of up to
// MaxMisorder is a late packet, anything else is a restart candidate.
constexpr uint32_t MaxDropout = 3000;
constexpr uint32_t MaxMisorder = 100;
constexpr uint32_t SequenceMod = 1U << 16;

}  // namespace

ReceptionStats::ReceptionStats(int clock_rate) : clock_rate_(clock_rate) {
  if (clock_rate_ <= 0) {
    // A codec table bug: keep serving with the telephony clock rather than divide by zero.
    KEFU_BUG("ReceptionStats with a clock rate that is not positive");
    clock_rate_ = 8000;
  }
}

void ReceptionStats::startEpoch(uint16_t sequence) {
  earlier_expected_ += epochExpected();
  base_sequence_ = sequence;
  max_sequence_ = sequence;
  bad_sequence_ = SequenceMod + 1;  // never equal to a 16-bit sequence number
  cycles_ = 0;
  epoch_received_ = 0;
}

void ReceptionStats::onPacket(uint16_t sequence, uint32_t rtp_timestamp, int64_t arrival_us) {
  if (!started_) {
    // Unlike A.1 there is no probation: the signalling already told us this source exists.
    started_ = true;
    startEpoch(sequence);
  } else {
    const auto delta = static_cast<uint16_t>(sequence - max_sequence_);
    if (delta < MaxDropout) {
      if (sequence < max_sequence_) {
        cycles_ += SequenceMod;
      }
      max_sequence_ = sequence;
    } else if (delta <= SequenceMod - MaxMisorder) {
      // A big jump: accept it only when the next packet follows it (the sender restarted).
      if (sequence != bad_sequence_) {
        bad_sequence_ = (sequence + 1U) & (SequenceMod - 1);
        return;
      }
      startEpoch(sequence);
    }
    // Otherwise a duplicate or late packet: counted as received, no change to the highest.
  }
  ++received_;
  ++epoch_received_;

  // Interarrival jitter (A.8), with the arrival in timestamp units. Differences of the wrapping
  // 32-bit timestamp are taken as signed so a wrap is a small step.
  // Split so that a wall-clock arrival (about 1.7e15 us) times 48000 does not overflow.
  const int64_t arrival_units =
      arrival_us / 1'000'000 * clock_rate_ + arrival_us % 1'000'000 * clock_rate_ / 1'000'000;
  if (have_transit_) {
    const int64_t d = (arrival_units - last_arrival_units_) -
                      static_cast<int32_t>(rtp_timestamp - last_timestamp_);
    jitter_ += (static_cast<double>(std::llabs(d)) - jitter_) / 16.0;
  }
  have_transit_ = true;
  last_arrival_units_ = arrival_units;
  last_timestamp_ = rtp_timestamp;
}

int64_t ReceptionStats::epochExpected() const {
  if (!started_ || epoch_received_ == 0) {
    return 0;
  }
  return static_cast<int64_t>(extendedHighestSequence()) - base_sequence_ + 1;
}

int64_t ReceptionStats::expected() const { return earlier_expected_ + epochExpected(); }

int64_t ReceptionStats::lost() const { return expected() - static_cast<int64_t>(received_); }

double ReceptionStats::jitterMs() const { return jitter_ * 1000.0 / clock_rate_; }

double ReceptionStats::lossPercent() const {
  const int64_t expected_packets = expected();
  if (expected_packets <= 0) {
    return 0.0;
  }
  return static_cast<double>(std::max<int64_t>(lost(), 0)) * 100.0 /
         static_cast<double>(expected_packets);
}

ReportBlock ReceptionStats::reportBlock(uint32_t remote_ssrc, uint32_t last_sr, int64_t now_us,
                                        int64_t last_sr_arrival_us) {
  ReportBlock block;
  block.ssrc = remote_ssrc;
  const int64_t expected_packets = expected();
  block.cumulative_lost = static_cast<int32_t>(std::clamp<int64_t>(lost(), -0x800000, 0x7fffff));

  // Fraction lost over the interval since the previous report (A.3).
  const int64_t expected_interval = expected_packets - expected_prior_;
  const auto received_interval = static_cast<int64_t>(received_ - received_prior_);
  expected_prior_ = expected_packets;
  received_prior_ = received_;
  const int64_t lost_interval = expected_interval - received_interval;
  if (expected_interval > 0 && lost_interval > 0) {
    block.fraction_lost =
        static_cast<uint8_t>(std::min<int64_t>((lost_interval << 8) / expected_interval, 255));
  }
  block.highest_sequence = extendedHighestSequence();
  block.jitter = static_cast<uint32_t>(jitter_);
  block.last_sr = last_sr;
  if (last_sr != 0 && now_us >= last_sr_arrival_us) {
    // DLSR is in units of 1/65536 s.
    block.delay_since_last_sr =
        static_cast<uint32_t>((now_us - last_sr_arrival_us) * 65536 / 1'000'000);
  }
  return block;
}

}  // namespace kefu::media
