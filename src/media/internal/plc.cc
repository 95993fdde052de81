#include "media/internal/plc.h"

#include <spandsp.h>

namespace kefu::media::internal {

Plc::Plc() : state_(plc_init(nullptr)) {}

Plc::~Plc() { plc_free(static_cast<plc_state_t*>(state_)); }

void Plc::received(std::span<int16_t> pcm) {
  plc_rx(static_cast<plc_state_t*>(state_), pcm.data(), static_cast<int>(pcm.size()));
}

void Plc::fill(std::span<int16_t> pcm) {
  plc_fillin(static_cast<plc_state_t*>(state_), pcm.data(), static_cast<int>(pcm.size()));
}

}  // namespace kefu::media::internal
