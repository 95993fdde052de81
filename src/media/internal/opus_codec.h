#pragma once

#include "media/codec.h"

struct OpusEncoder;
struct OpusDecoder;

namespace kefu::media::internal {

/**
 * Opus through the 16 kHz API (mono, VOIP, in-band FEC). Payloads are ordinary Opus packets, which
 * any Opus stack decodes at its own rate (RFC 7587's 48 kHz clock). Media thread.
 */
class OpusAudioEncoder final : public Encoder {
 public:
  OpusAudioEncoder();
  ~OpusAudioEncoder() override;
  std::size_t encode(const AudioFrame& frame, std::span<uint8_t> payload) override;

 private:
  OpusEncoder* encoder_ = nullptr;
};

/** Opus decoding to 16 kHz mono (a stereo packet is downmixed by libopus). Media thread. */
class OpusAudioDecoder final : public Decoder {
 public:
  OpusAudioDecoder();
  ~OpusAudioDecoder() override;
  /** Accepts packets of exactly 20 ms; other durations and corrupt packets are malformed. */
  bool decode(std::span<const uint8_t> payload, AudioFrame& frame) override;
  void conceal(AudioFrame& frame) override;
  void recover(std::span<const uint8_t> next_payload, AudioFrame& frame) override;

 private:
  OpusDecoder* decoder_ = nullptr;
};

}  // namespace kefu::media::internal
