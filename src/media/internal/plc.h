#pragma once

#include <cstdint>
#include <memory>
#include <span>

namespace kefu::media::internal {

/** spandsp's generic packet loss concealer, kept behind a small wrapper. One media thread. */
class Plc {
 public:
  Plc();
  ~Plc();
  Plc(const Plc&) = delete;
  Plc& operator=(const Plc&) = delete;

  /** Records good audio (the history concealment is built from); smooths the edge after a gap. */
  void received(std::span<int16_t> pcm);
  /** Fills `pcm` with a continuation of the last audio, fading out over a long gap. */
  void fill(std::span<int16_t> pcm);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace kefu::media::internal
