#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

// Network byte order reads and writes for the wire formats (RTP, RTCP, STUN). The caller has
// checked that `at` and the bytes after it are inside the span.
namespace kefu::media::internal {

inline uint16_t load16(std::span<const uint8_t> bytes, std::size_t at) {
  return static_cast<uint16_t>((bytes[at] << 8) | bytes[at + 1]);
}

inline uint32_t load32(std::span<const uint8_t> bytes, std::size_t at) {
  return (uint32_t{bytes[at]} << 24) | (uint32_t{bytes[at + 1]} << 16) |
         (uint32_t{bytes[at + 2]} << 8) | uint32_t{bytes[at + 3]};
}

inline uint64_t load64(std::span<const uint8_t> bytes, std::size_t at) {
  return uint64_t{load32(bytes, at)} << 32 | load32(bytes, at + 4);
}

inline void store16(std::span<uint8_t> bytes, std::size_t at, uint16_t value) {
  bytes[at] = static_cast<uint8_t>(value >> 8);
  bytes[at + 1] = static_cast<uint8_t>(value);
}

inline void store32(std::span<uint8_t> bytes, std::size_t at, uint32_t value) {
  bytes[at] = static_cast<uint8_t>(value >> 24);
  bytes[at + 1] = static_cast<uint8_t>(value >> 16);
  bytes[at + 2] = static_cast<uint8_t>(value >> 8);
  bytes[at + 3] = static_cast<uint8_t>(value);
}

}  // namespace kefu::media::internal
