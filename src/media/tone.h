#pragma once

// Tone generation and analysis. Tests all over the project check audio by frequency with these.

#include <cstdint>
#include <span>

#include "media/audio.h"

namespace kefu::media {

/** A phase-continuous sine generator. Lives on one thread; never allocates. */
class ToneGenerator {
 public:
  /** A sine of `hz` at `amplitude` (0..1 of full scale) sampled at `rate`. */
  ToneGenerator(double hz, double amplitude, int rate = InternalRate);
  /** Writes the next `out.size()` samples, continuing where the last call stopped. */
  void fill(std::span<int16_t> out);

 private:
  double phase_ = 0;
  double step_;
  double amplitude_;
};

/**
 * @return the power of the `hz` component of `pcm` (Goertzel over a Hann window), normalised so a
 * full-scale sine at `hz` gives 1 and a sine of amplitude a gives a*a. Pure; any thread.
 */
double tonePower(std::span<const int16_t> pcm, int rate, double hz);

/** @return the frequency of the strongest component in Hz; accurate to ~2 Hz on 0.5 s. Allocates.
 */
double dominantFrequency(std::span<const int16_t> pcm, int rate);

/** @return the RMS level, 0..1 of full scale. Pure; any thread. */
double rmsLevel(std::span<const int16_t> pcm);

}  // namespace kefu::media
