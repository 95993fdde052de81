#pragma once

#include "media/codec.h"
#include "media/internal/plc.h"

struct g722_encode_state_s;
struct g722_decode_state_s;

namespace kefu::media::internal {

/** G.722 at 64 kbit/s (spandsp), 16 kHz native: 320 samples to 160 bytes. Media thread. */
class G722Encoder final : public Encoder {
 public:
  G722Encoder();
  ~G722Encoder() override;
  std::size_t encode(const AudioFrame& frame, std::span<uint8_t> payload) override;

 private:
  g722_encode_state_s* state_;
};

/** G.722 decoding, with spandsp's PLC (run at 16 kHz) for lost packets. Media thread. */
class G722Decoder final : public Decoder {
 public:
  G722Decoder();
  ~G722Decoder() override;
  /** Accepts exactly one 20 ms payload (160 bytes); other sizes are malformed. */
  bool decode(std::span<const uint8_t> payload, AudioFrame& frame) override;
  void conceal(AudioFrame& frame) override;

 private:
  g722_decode_state_s* state_;
  Plc plc_;
};

}  // namespace kefu::media::internal
