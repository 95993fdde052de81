#include "media/rtp.h"

#include "core/assert.h"
#include "media/internal/byte_order.h"

namespace kefu::media {
namespace {

using internal::load16;
using internal::load32;
using internal::store16;
using internal::store32;

// The in-place setters run on packets parseRtp accepted, so a short one is a caller's bug.
bool writable(std::span<uint8_t> packet) {
  if (packet.size() < RtpHeaderSize) {
    KEFU_BUG("RTP header rewrite on a packet shorter than 12 bytes");
    return false;
  }
  return true;
}

std::optional<RtpHeader> fail(RtpError* error, RtpError what) {
  if (error != nullptr) {
    *error = what;
  }
  return std::nullopt;
}

}  // namespace

std::optional<RtpHeader> parseRtp(std::span<const uint8_t> packet, RtpError* error) {
  if (packet.size() < RtpHeaderSize) {
    return fail(error, RtpError::TooShort);
  }
  if ((packet[0] >> 6) != 2) {
    return fail(error, RtpError::BadVersion);
  }
  const bool padding = (packet[0] & 0x20) != 0;
  const bool extension = (packet[0] & 0x10) != 0;
  const std::size_t csrc_count = packet[0] & 0x0f;

  RtpHeader header;
  header.marker = (packet[1] & 0x80) != 0;
  header.payload_type = packet[1] & 0x7f;
  header.sequence = load16(packet, 2);
  header.timestamp = load32(packet, 4);
  header.ssrc = load32(packet, 8);

  std::size_t size = RtpHeaderSize + 4 * csrc_count;
  if (size > packet.size()) {
    return fail(error, RtpError::BadCsrcCount);
  }
  if (extension) {
    // The extension header is a 16-bit profile and a 16-bit length in 32-bit words (5.3.1).
    if (size + 4 > packet.size()) {
      return fail(error, RtpError::BadExtension);
    }
    const std::size_t words = load16(packet, size + 2);
    size += 4 + 4 * words;
    if (size > packet.size()) {
      return fail(error, RtpError::BadExtension);
    }
  }
  std::size_t padding_size = 0;
  if (padding) {
    // The last octet counts the padding, itself included, so it is never zero.
    padding_size = packet.back();
    if (padding_size == 0 || padding_size > packet.size() - size) {
      return fail(error, RtpError::BadPadding);
    }
  }
  header.header_size = size;
  header.payload_size = packet.size() - size - padding_size;
  return header;
}

std::size_t writeRtpHeader(const RtpHeader& header, std::span<uint8_t> out) {
  if (out.size() < RtpHeaderSize) {
    return 0;
  }
  out[0] = 0x80;
  out[1] = static_cast<uint8_t>((header.marker ? 0x80 : 0) | (header.payload_type & 0x7f));
  store16(out, 2, header.sequence);
  store32(out, 4, header.timestamp);
  store32(out, 8, header.ssrc);
  return RtpHeaderSize;
}

void setRtpSequence(std::span<uint8_t> packet, uint16_t value) {
  if (writable(packet)) {
    store16(packet, 2, value);
  }
}

void setRtpTimestamp(std::span<uint8_t> packet, uint32_t value) {
  if (writable(packet)) {
    store32(packet, 4, value);
  }
}

void setRtpSsrc(std::span<uint8_t> packet, uint32_t value) {
  if (writable(packet)) {
    store32(packet, 8, value);
  }
}

void setRtpPayloadType(std::span<uint8_t> packet, uint8_t payload_type) {
  if (writable(packet)) {
    packet[1] = static_cast<uint8_t>((packet[1] & 0x80) | (payload_type & 0x7f));
  }
}

void setRtpMarker(std::span<uint8_t> packet, bool marker) {
  if (writable(packet)) {
    packet[1] = static_cast<uint8_t>((packet[1] & 0x7f) | (marker ? 0x80 : 0));
  }
}

}  // namespace kefu::media
