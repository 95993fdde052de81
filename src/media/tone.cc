#include "media/tone.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>
#include <vector>

namespace kefu::media {
namespace {

constexpr double FullScale = 32768.0;

double hann(std::size_t i, std::size_t n) {
  if (n < 2) {
    return 1.0;
  }
  return 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * static_cast<double>(i) /
                              static_cast<double>(n - 1));
}

// In-place iterative radix-2 FFT; `data.size()` is a power of two.
void fft(std::vector<std::complex<double>>& data) {
  const std::size_t n = data.size();
  for (std::size_t i = 1, j = 0; i < n; ++i) {
    std::size_t bit = n >> 1;
    for (; (j & bit) != 0; bit >>= 1) {
      j ^= bit;
    }
    j ^= bit;
    if (i < j) {
      std::swap(data[i], data[j]);
    }
  }
  for (std::size_t len = 2; len <= n; len <<= 1) {
    double angle = -2.0 * std::numbers::pi / static_cast<double>(len);
    std::complex<double> root(std::cos(angle), std::sin(angle));
    for (std::size_t start = 0; start < n; start += len) {
      std::complex<double> w(1.0, 0.0);
      for (std::size_t k = 0; k < len / 2; ++k) {
        std::complex<double> even = data[start + k];
        std::complex<double> odd = data[start + k + len / 2] * w;
        data[start + k] = even + odd;
        data[start + k + len / 2] = even - odd;
        w *= root;
      }
    }
  }
}

}  // namespace

ToneGenerator::ToneGenerator(double hz, double amplitude, int rate)
    : step_(2.0 * std::numbers::pi * hz / rate), amplitude_(std::clamp(amplitude, 0.0, 1.0)) {}

void ToneGenerator::fill(std::span<int16_t> out) {
  for (int16_t& sample : out) {
    double value = std::round(std::sin(phase_) * amplitude_ * 32767.0);
    sample = static_cast<int16_t>(std::clamp(value, -32768.0, 32767.0));
    phase_ += step_;
    if (phase_ > 2.0 * std::numbers::pi) {
      phase_ -= 2.0 * std::numbers::pi;
    }
  }
}

double tonePower(std::span<const int16_t> pcm, int rate, double hz) {
  if (pcm.empty() || rate <= 0) {
    return 0.0;
  }
  // Goertzel at an arbitrary (non-bin) frequency over a Hann window: the window keeps the other
  // tones of a mix from leaking into the one measured.
  const double omega = 2.0 * std::numbers::pi * hz / rate;
  const double coefficient = 2.0 * std::cos(omega);
  double s1 = 0;
  double s2 = 0;
  double window_sum = 0;
  for (std::size_t i = 0; i < pcm.size(); ++i) {
    double w = hann(i, pcm.size());
    window_sum += w;
    double s0 = w * pcm[i] / FullScale + coefficient * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  double real = s1 - s2 * std::cos(omega);
  double imag = s2 * std::sin(omega);
  double magnitude = std::sqrt(real * real + imag * imag);
  // A sine of amplitude a gives a magnitude of a * sum(w) / 2.
  double amplitude = 2.0 * magnitude / window_sum;
  return amplitude * amplitude;
}

double dominantFrequency(std::span<const int16_t> pcm, int rate) {
  if (pcm.size() < 4 || rate <= 0) {
    return 0.0;
  }
  // A coarse peak from a zero-padded FFT, then refine it by maximising the Goertzel power on a
  // finer and finer grid around it.
  std::size_t n = 1;
  while (n < pcm.size() * 4) {
    n <<= 1;
  }
  std::vector<std::complex<double>> data(n);
  for (std::size_t i = 0; i < pcm.size(); ++i) {
    data[i] = hann(i, pcm.size()) * pcm[i];
  }
  fft(data);
  std::size_t best = 1;
  double best_power = -1;
  for (std::size_t k = 1; k < n / 2; ++k) {
    double power = std::norm(data[k]);
    if (power > best_power) {
      best_power = power;
      best = k;
    }
  }
  double bin_hz = static_cast<double>(rate) / static_cast<double>(n);
  double center = static_cast<double>(best) * bin_hz;
  double span = bin_hz;
  for (int round = 0; round < 4; ++round) {
    double step = span / 10.0;
    double best_hz = center;
    double best_tone = -1;
    for (int i = -10; i <= 10; ++i) {
      double hz = center + i * step;
      if (hz <= 0) {
        continue;
      }
      double power = tonePower(pcm, rate, hz);
      if (power > best_tone) {
        best_tone = power;
        best_hz = hz;
      }
    }
    center = best_hz;
    span = step;
  }
  return center;
}

double rmsLevel(std::span<const int16_t> pcm) {
  if (pcm.empty()) {
    return 0.0;
  }
  double sum = 0;
  for (int16_t sample : pcm) {
    double value = sample / FullScale;
    sum += value * value;
  }
  return std::sqrt(sum / static_cast<double>(pcm.size()));
}

}  // namespace kefu::media
