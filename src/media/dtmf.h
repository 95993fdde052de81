#pragma once

// In-band DTMF: detection and generation on internal-rate frames (spandsp at 8 kHz behind a
// resampler). Out-of-band DTMF (RFC 4733) is in telephone_event.h.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "media/audio.h"
#include "media/resampler.h"
#include "media/telephone_event.h"

namespace kefu::media {

/** In-band DTMF detection (spandsp dtmf_rx) on internal-rate frames. Lives on one media thread. */
class DtmfDetector {
 public:
  DtmfDetector();
  ~DtmfDetector();
  DtmfDetector(const DtmfDetector&) = delete;
  DtmfDetector& operator=(const DtmfDetector&) = delete;

  /** @return the digits that completed within this frame (usually none, at most a few). */
  std::string_view feed(const AudioFrame& frame);  // no allocation per frame
  /** @return the digits that completed within these 8 kHz samples (a G.711 leg's own rate: no
   *  resampling). Do not mix with feed() on one detector: the two keep separate histories. */
  std::string_view feedNarrow(std::span<const int16_t> samples);

 private:
  static void onDigits(void* user_data, const char* digits, int len);

  struct State;
  std::unique_ptr<State> state_;
  Resampler downsampler_{InternalRate, 8000};
  std::array<char, 16> found_{};
  std::size_t found_count_ = 0;
};

/** In-band DTMF generation (spandsp dtmf_tx) into internal-rate frames. Lives on one media thread.
 */
class DtmfGenerator {
 public:
  DtmfGenerator();
  ~DtmfGenerator();
  DtmfGenerator(const DtmfGenerator&) = delete;
  DtmfGenerator& operator=(const DtmfGenerator&) = delete;

  /** Starts a digit: `duration_ms` of tone, then 60 ms of silence so the next digit stands apart.
   *  An unknown digit leaves the generator idle. */
  void start(char digit, int duration_ms);
  /** @return true while tone (or the silence after it) remains to be written. */
  bool active() const;
  /** Writes the next 20 ms of tone (or silence after it) into `frame`; @return false when done. */
  bool fill(AudioFrame& frame);

 private:
  struct State;
  std::unique_ptr<State> state_;
  Resampler upsampler_{8000, InternalRate};
  int remaining_samples_ = 0;  // at 8 kHz, tone and gap still to generate
};

}  // namespace kefu::media
