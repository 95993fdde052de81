#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "media/audio.h"
#include "media/codec_id.h"

namespace kefu::media {

/**
 * Turns 20 ms internal-rate frames into one codec's payloads. Lives on one media thread; encode()
 * never allocates.
 */
class Encoder {
 public:
  virtual ~Encoder() = default;
  /** Encodes one 20 ms internal-rate frame into `payload`; @return its size, 0 on failure. */
  virtual std::size_t encode(const AudioFrame& frame, std::span<uint8_t> payload) = 0;
};

/**
 * Turns one codec's payloads back into 20 ms internal-rate frames. Lives on one media thread;
 * decode() and conceal() never allocate and never crash on malformed input.
 */
class Decoder {
 public:
  virtual ~Decoder() = default;
  /** Decodes one 20 ms payload into `frame`; @return false (and silence) when it is malformed. */
  virtual bool decode(std::span<const uint8_t> payload, AudioFrame& frame) = 0;
  /** Fills `frame` for a lost packet (the codec's PLC, or a fade of the last frame). */
  virtual void conceal(AudioFrame& frame) = 0;
  /**
   * Fills `frame` for a lost packet when the packet after it, `next_payload`, has arrived: Opus
   * rebuilds the lost frame from the in-band FEC carried in the next one; other codecs conceal.
   * Call decode(next_payload) afterwards as usual. Media thread.
   */
  virtual void recover(std::span<const uint8_t> next_payload, AudioFrame& frame) {
    (void)next_payload;
    conceal(frame);
  }
};

using EncoderPtr = std::unique_ptr<Encoder>;
using DecoderPtr = std::unique_ptr<Decoder>;

/**
 * @return an encoder for `codec`: PCMU/PCMA at 8 kHz (resampled from the internal rate with
 * speexdsp), G.722 at 64 kbit/s (spandsp), Opus (libopus at 16 kHz, VOIP, in-band FEC, mono).
 * Allocates; call it when a session is set up, not per packet.
 */
EncoderPtr makeEncoder(CodecId codec);

/** @return a decoder for `codec` producing internal-rate frames. Allocates, as makeEncoder(). */
DecoderPtr makeDecoder(CodecId codec);

}  // namespace kefu::media
