#include "media/codec.h"

#include "media/internal/g711_codec.h"
#include "media/internal/g722_codec.h"
#include "media/internal/opus_codec.h"

namespace kefu::media {

EncoderPtr makeEncoder(CodecId codec) {
  switch (codec) {
    case CodecId::Pcmu:
      return std::make_unique<internal::G711Encoder>(false);
    case CodecId::Pcma:
      return std::make_unique<internal::G711Encoder>(true);
    case CodecId::G722:
      return std::make_unique<internal::G722Encoder>();
    case CodecId::Opus:
      return std::make_unique<internal::OpusAudioEncoder>();
  }
  return nullptr;
}

DecoderPtr makeDecoder(CodecId codec) {
  switch (codec) {
    case CodecId::Pcmu:
      return std::make_unique<internal::G711Decoder>(false);
    case CodecId::Pcma:
      return std::make_unique<internal::G711Decoder>(true);
    case CodecId::G722:
      return std::make_unique<internal::G722Decoder>();
    case CodecId::Opus:
      return std::make_unique<internal::OpusAudioDecoder>();
  }
  return nullptr;
}

}  // namespace kefu::media
