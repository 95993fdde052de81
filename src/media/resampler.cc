#include "media/resampler.h"

#include <speex/speex_resampler.h>

#include <algorithm>
#include <limits>

#include "core/assert.h"

namespace kefu::media {
namespace {

// speexdsp's VoIP quality (3: a 48-tap Kaiser-windowed sinc) keeps the stopband below the G.711
// noise floor; quality 5 (80 taps) made the resampler a third of a conference's CPU.
constexpr int ResamplerQuality = SPEEX_RESAMPLER_QUALITY_VOIP;

}  // namespace

struct Resampler::State {
  SpeexResamplerState* speex = nullptr;
  bool passthrough = false;
};

Resampler::Resampler(int in_rate, int out_rate) : state_(std::make_unique<State>()) {
  KEFU_ASSERT(in_rate > 0 && out_rate > 0);
  if (in_rate == out_rate) {
    state_->passthrough = true;
    return;
  }
  int error = 0;
  state_->speex =
      speex_resampler_init(1, static_cast<spx_uint32_t>(in_rate),
                           static_cast<spx_uint32_t>(out_rate), ResamplerQuality, &error);
  if (state_->speex == nullptr) {
    KEFU_BUG("speex_resampler_init failed");
    state_->passthrough = true;
  }
}

Resampler::~Resampler() {
  if (state_ && state_->speex != nullptr) {
    speex_resampler_destroy(state_->speex);
  }
}

Resampler::Resampler(Resampler&&) noexcept = default;
Resampler& Resampler::operator=(Resampler&& other) noexcept {
  if (this != &other) {
    if (state_ && state_->speex != nullptr) {
      speex_resampler_destroy(state_->speex);
    }
    state_ = std::move(other.state_);
  }
  return *this;
}

std::size_t Resampler::process(std::span<const int16_t> in, std::span<int16_t> out) {
  if (state_->passthrough) {
    std::size_t n = std::min(in.size(), out.size());
    std::copy_n(in.begin(), n, out.begin());
    return n;
  }
  std::size_t written = 0;
  std::size_t consumed = 0;
  // speexdsp takes 32-bit lengths; loop so any span size works, and stop when no progress is made
  // (the output is full).
  while (consumed < in.size() && written < out.size()) {
    auto in_len = static_cast<spx_uint32_t>(
        std::min<std::size_t>(in.size() - consumed, std::numeric_limits<spx_uint32_t>::max()));
    auto out_len = static_cast<spx_uint32_t>(
        std::min<std::size_t>(out.size() - written, std::numeric_limits<spx_uint32_t>::max()));
    speex_resampler_process_int(state_->speex, 0, in.data() + consumed, &in_len,
                                out.data() + written, &out_len);
    if (in_len == 0 && out_len == 0) {
      break;
    }
    consumed += in_len;
    written += out_len;
  }
  return written;
}

int Resampler::outputLatency() const {
  return state_->passthrough ? 0 : speex_resampler_get_output_latency(state_->speex);
}

void Resampler::reset() {
  if (!state_->passthrough) {
    speex_resampler_reset_mem(state_->speex);
  }
}

}  // namespace kefu::media
