#pragma once

#include <array>
#include <memory>

#include "media/codec.h"
#include "media/internal/plc.h"
#include "media/resampler.h"

namespace kefu::media::internal {

/** PCMU or PCMA: the internal rate resampled to 8 kHz, then the G.711 tables. Media thread. */
class G711Encoder final : public Encoder {
 public:
  explicit G711Encoder(bool alaw);
  std::size_t encode(const AudioFrame& frame, std::span<uint8_t> payload) override;

 private:
  bool alaw_;
  Resampler downsampler_;
  std::array<int16_t, FrameSamples / 2> narrow_{};
};

/** PCMU or PCMA back to the internal rate, with spandsp's PLC for lost packets. Media thread. */
class G711Decoder final : public Decoder {
 public:
  explicit G711Decoder(bool alaw);
  ~G711Decoder() override;
  /** Accepts exactly one 20 ms payload (160 bytes); other sizes are malformed. */
  bool decode(std::span<const uint8_t> payload, AudioFrame& frame) override;
  void conceal(AudioFrame& frame) override;

 private:
  void upsample(AudioFrame& frame);

  bool alaw_;
  Plc plc_;
  Resampler upsampler_;
  std::array<int16_t, FrameSamples / 2> narrow_{};
};

}  // namespace kefu::media::internal
