#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace kefu::media {

/** The fixed RTP header's length (RFC 3550 section 5.1), without CSRCs or an extension. */
inline constexpr std::size_t RtpHeaderSize = 12;

/** The parts of an RTP header (RFC 3550) the media engine uses. */
struct RtpHeader {
  bool marker = false;
  uint8_t payload_type = 0;
  uint16_t sequence = 0;
  uint32_t timestamp = 0;
  uint32_t ssrc = 0;
  std::size_t header_size = 0;   // includes the CSRC list and the header extension
  std::size_t payload_size = 0;  // excludes the padding
};

/** Why a datagram is not a valid RTP packet. */
enum class RtpError { TooShort, BadVersion, BadCsrcCount, BadExtension, BadPadding };

/**
 * Parses and validates an RTP packet; never allocates or throws; any thread.
 * @return the header, or nullopt with `*error` (when given) saying what is wrong.
 */
std::optional<RtpHeader> parseRtp(std::span<const uint8_t> packet, RtpError* error = nullptr);

/**
 * Writes a 12-byte header (version 2, no padding, extension or CSRCs) from `header`; any thread.
 * @return the bytes written, 0 when `out` is shorter than 12 bytes.
 */
std::size_t writeRtpHeader(const RtpHeader& header, std::span<uint8_t> out);

/** Rewrites the sequence number of a packet already validated by parseRtp; any thread. */
void setRtpSequence(std::span<uint8_t> packet, uint16_t value);
/** Rewrites the timestamp of a packet already validated by parseRtp; any thread. */
void setRtpTimestamp(std::span<uint8_t> packet, uint32_t value);
/** Rewrites the SSRC of a packet already validated by parseRtp; any thread. */
void setRtpSsrc(std::span<uint8_t> packet, uint32_t value);
/** Rewrites the payload type of a validated packet, keeping its marker bit; any thread. */
void setRtpPayloadType(std::span<uint8_t> packet, uint8_t payload_type);
/** Sets or clears the marker bit of a packet already validated by parseRtp; any thread. */
void setRtpMarker(std::span<uint8_t> packet, bool marker);

}  // namespace kefu::media
