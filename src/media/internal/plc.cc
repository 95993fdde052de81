#include "media/internal/plc.h"

#include <spandsp.h>

#include <algorithm>
#include <array>

namespace kefu::media::internal {

struct Plc::State {
  plc_state_t* plc = nullptr;
  // Our own copy of the latest audio. spandsp 0.0.6 rotates its history ring with an overlapping
  // memcpy (undefined behaviour) when a gap starts and the ring is not aligned; handing it one
  // whole history's worth just before the gap aligns the ring, so that path never runs.
  std::array<int16_t, PLC_HISTORY_LEN> history{};
};

Plc::Plc() : state_(std::make_unique<State>()) { state_->plc = plc_init(nullptr); }

Plc::~Plc() { plc_free(state_->plc); }

void Plc::received(std::span<int16_t> pcm) {
  plc_rx(state_->plc, pcm.data(), static_cast<int>(pcm.size()));
  std::array<int16_t, PLC_HISTORY_LEN>& history = state_->history;
  if (pcm.size() >= history.size()) {
    std::copy(pcm.end() - static_cast<std::ptrdiff_t>(history.size()), pcm.end(), history.begin());
  } else {
    std::shift_left(history.begin(), history.end(), static_cast<std::ptrdiff_t>(pcm.size()));
    std::copy(pcm.begin(), pcm.end(), history.end() - static_cast<std::ptrdiff_t>(pcm.size()));
  }
}

void Plc::fill(std::span<int16_t> pcm) {
  if (state_->plc->missing_samples == 0) {
    // The same samples it already holds, as one block: this only resets its ring position.
    std::array<int16_t, PLC_HISTORY_LEN> copy = state_->history;
    plc_rx(state_->plc, copy.data(), static_cast<int>(copy.size()));
  }
  plc_fillin(state_->plc, pcm.data(), static_cast<int>(pcm.size()));
}

}  // namespace kefu::media::internal
