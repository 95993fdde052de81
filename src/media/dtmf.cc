#include "media/dtmf.h"

#include <spandsp.h>

#include <algorithm>

namespace kefu::media {
namespace {

constexpr int NarrowRate = 8000;
constexpr std::size_t NarrowSamples = FrameSamples / 2;
// -10 dBm0 per tone, the usual telephone level; spandsp's default twist.
constexpr int ToneLevelDbm0 = -10;
constexpr int TwistDb = 0;
// Silence after each digit, so that digits sent one after the other (even the same digit twice)
// reach a detector as separate digits: Q.24 asks for at least 40 ms between digits.
constexpr int GapMs = 60;

}  // namespace

struct DtmfDetector::State {
  dtmf_rx_state_t* rx = nullptr;
  std::array<int16_t, NarrowSamples> narrow{};
};

DtmfDetector::DtmfDetector() : state_(std::make_unique<State>()) {
  state_->rx = dtmf_rx_init(nullptr, &DtmfDetector::onDigits, this);
}

DtmfDetector::~DtmfDetector() { dtmf_rx_free(state_->rx); }

void DtmfDetector::onDigits(void* user_data, const char* digits, int len) {
  auto* self = static_cast<DtmfDetector*>(user_data);
  for (int i = 0; i < len && self->found_count_ < self->found_.size(); ++i) {
    self->found_[self->found_count_++] = digits[i];
  }
}

std::string_view DtmfDetector::feed(const AudioFrame& frame) {
  found_count_ = 0;
  std::size_t produced = downsampler_.process(frame.view(), state_->narrow);
  dtmf_rx(state_->rx, state_->narrow.data(), static_cast<int>(produced));
  return {found_.data(), found_count_};
}

std::string_view DtmfDetector::feedNarrow(std::span<const int16_t> samples) {
  found_count_ = 0;
  // dtmf_rx only reads the samples; its signature just predates const.
  dtmf_rx(state_->rx, const_cast<int16_t*>(samples.data()), static_cast<int>(samples.size()));
  return {found_.data(), found_count_};
}

struct DtmfGenerator::State {
  dtmf_tx_state_t* tx = nullptr;
  std::array<int16_t, NarrowSamples> narrow{};
};

DtmfGenerator::DtmfGenerator() : state_(std::make_unique<State>()) {
  state_->tx = dtmf_tx_init(nullptr);
  dtmf_tx_set_level(state_->tx, ToneLevelDbm0, TwistDb);
}

DtmfGenerator::~DtmfGenerator() { dtmf_tx_free(state_->tx); }

void DtmfGenerator::start(char digit, int duration_ms) {
  if (!digitEvent(digit) || duration_ms <= 0) {
    return;
  }
  char upper = digit >= 'a' && digit <= 'd' ? static_cast<char>(digit - 'a' + 'A') : digit;
  // A fresh transmitter each time: one digit of exactly `duration_ms`, then the gap.
  dtmf_tx_init(state_->tx);
  dtmf_tx_set_level(state_->tx, ToneLevelDbm0, TwistDb);
  dtmf_tx_set_timing(state_->tx, duration_ms, GapMs);
  dtmf_tx_put(state_->tx, &upper, 1);
  remaining_samples_ = (duration_ms + GapMs) * NarrowRate / 1000;
}

bool DtmfGenerator::active() const { return remaining_samples_ > 0; }

bool DtmfGenerator::fill(AudioFrame& frame) {
  if (!active()) {
    frame.samples.fill(0);
    return false;
  }
  state_->narrow.fill(0);
  int generated = dtmf_tx(state_->tx, state_->narrow.data(), static_cast<int>(NarrowSamples));
  remaining_samples_ -= std::max(generated, static_cast<int>(NarrowSamples));
  std::size_t produced = upsampler_.process(state_->narrow, frame.view());
  std::fill(frame.samples.begin() + static_cast<std::ptrdiff_t>(produced), frame.samples.end(),
            int16_t{0});
  return true;
}

}  // namespace kefu::media
