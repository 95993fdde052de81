#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace kefu::media {

/**
 * A streaming sample-rate converter (speexdsp) for mono 16-bit audio, keeping its filter state
 * between calls. Lives on one thread; process() never allocates.
 */
class Resampler {
 public:
  /** Quality suits voice (speexdsp quality 5); `in_rate` and `out_rate` are in Hz. */
  Resampler(int in_rate, int out_rate);
  ~Resampler();
  Resampler(const Resampler&) = delete;
  Resampler& operator=(const Resampler&) = delete;
  Resampler(Resampler&&) noexcept;
  Resampler& operator=(Resampler&&) noexcept;

  /** Converts `in`; @return the number of samples written to `out`. */
  std::size_t process(std::span<const int16_t> in, std::span<int16_t> out);

  /** @return the filter's delay in output samples (how far output lags input). */
  int outputLatency() const;

  /** Forgets the filter state, as if no audio had gone through. */
  void reset();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace kefu::media
