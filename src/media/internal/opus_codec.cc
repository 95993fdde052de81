#include "media/internal/opus_codec.h"

#include <opus.h>

#include "core/assert.h"

namespace kefu::media::internal {
namespace {

constexpr int BitRate = 24000;           // wideband speech, transparent enough for voice
constexpr int ExpectedLossPercent = 10;  // makes the encoder spend bits on FEC
// Transcoding capacity is bound by the Opus encoder: complexity 3 costs 72 µs per 20 ms frame here
// against 106 µs at 5 and 219 µs at 8 (bench/media_dsp_bench.cc), for a small loss of quality.
constexpr int Complexity = 3;

}  // namespace

OpusAudioEncoder::OpusAudioEncoder() {
  int error = 0;
  encoder_ = opus_encoder_create(InternalRate, 1, OPUS_APPLICATION_VOIP, &error);
  if (encoder_ == nullptr) {
    KEFU_BUG("opus_encoder_create failed");
    return;
  }
  opus_encoder_ctl(encoder_, OPUS_SET_BITRATE(BitRate));
  opus_encoder_ctl(encoder_, OPUS_SET_INBAND_FEC(1));
  opus_encoder_ctl(encoder_, OPUS_SET_PACKET_LOSS_PERC(ExpectedLossPercent));
  opus_encoder_ctl(encoder_, OPUS_SET_COMPLEXITY(Complexity));
  opus_encoder_ctl(encoder_, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
}

OpusAudioEncoder::~OpusAudioEncoder() { opus_encoder_destroy(encoder_); }

std::size_t OpusAudioEncoder::encode(const AudioFrame& frame, std::span<uint8_t> payload) {
  if (encoder_ == nullptr || payload.empty()) {
    return 0;
  }
  auto capacity = static_cast<opus_int32>(std::min<std::size_t>(payload.size(), MaxPayloadBytes));
  opus_int32 bytes = opus_encode(encoder_, frame.samples.data(), static_cast<int>(FrameSamples),
                                 payload.data(), capacity);
  return bytes > 0 ? static_cast<std::size_t>(bytes) : 0;
}

OpusAudioDecoder::OpusAudioDecoder() {
  int error = 0;
  decoder_ = opus_decoder_create(InternalRate, 1, &error);
  if (decoder_ == nullptr) {
    KEFU_BUG("opus_decoder_create failed");
  }
}

OpusAudioDecoder::~OpusAudioDecoder() { opus_decoder_destroy(decoder_); }

bool OpusAudioDecoder::decode(std::span<const uint8_t> payload, AudioFrame& frame) {
  // An empty payload would ask libopus for concealment, which is not a decode.
  if (decoder_ == nullptr || payload.empty() || payload.size() > MaxPayloadBytes) {
    frame.samples.fill(0);
    return false;
  }
  auto length = static_cast<opus_int32>(payload.size());
  // Check the packet's duration first, so a 40 or 60 ms packet is refused before decoding.
  int samples = opus_packet_get_nb_samples(payload.data(), length, InternalRate);
  if (samples != static_cast<int>(FrameSamples)) {
    frame.samples.fill(0);
    return false;
  }
  int decoded = opus_decode(decoder_, payload.data(), length, frame.samples.data(),
                            static_cast<int>(FrameSamples), 0);
  if (decoded != static_cast<int>(FrameSamples)) {
    frame.samples.fill(0);
    return false;
  }
  return true;
}

void OpusAudioDecoder::conceal(AudioFrame& frame) {
  int decoded = decoder_ == nullptr ? -1
                                    : opus_decode(decoder_, nullptr, 0, frame.samples.data(),
                                                  static_cast<int>(FrameSamples), 0);
  if (decoded != static_cast<int>(FrameSamples)) {
    frame.samples.fill(0);
  }
}

void OpusAudioDecoder::recover(std::span<const uint8_t> next_payload, AudioFrame& frame) {
  if (decoder_ == nullptr || next_payload.empty() || next_payload.size() > MaxPayloadBytes ||
      opus_packet_get_nb_samples(next_payload.data(), static_cast<opus_int32>(next_payload.size()),
                                 InternalRate) != static_cast<int>(FrameSamples)) {
    conceal(frame);
    return;
  }
  // With fec = 1 libopus rebuilds the previous frame from the LBRR data in this packet, or
  // conceals when the packet carries none.
  int decoded =
      opus_decode(decoder_, next_payload.data(), static_cast<opus_int32>(next_payload.size()),
                  frame.samples.data(), static_cast<int>(FrameSamples), 1);
  if (decoded != static_cast<int>(FrameSamples)) {
    conceal(frame);
  }
}

}  // namespace kefu::media::internal
