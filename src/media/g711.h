#pragma once

// G.711 mu-law and A-law (ITU-T G.711), table-driven for the relay fast path: each conversion is
// one lookup in a table built at compile time. The encoders follow the reference segment search
// on 14-bit (mu-law) and 13-bit (A-law) input, so the tables are indexed by the top bits only.

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace kefu::media {
namespace g711_detail {

constexpr uint8_t encodeUlawSlow(int16_t pcm) {
  constexpr int Bias = 0x21;
  constexpr int Clip = 8159;
  int value = pcm >> 2;
  int mask = 0xFF;
  if (value < 0) {
    value = -value;
    mask = 0x7F;
  }
  if (value > Clip) {
    value = Clip;
  }
  value += Bias;
  // The segment ends are 0x3F, 0x7F, ... 0x1FFF: the segment is the bit width above 6 bits.
  // (Computed, not searched, so building the table stays within compilers' constexpr budgets.)
  int segment = std::max(0, static_cast<int>(std::bit_width(static_cast<unsigned>(value))) - 6);
  if (segment >= 8) {
    return static_cast<uint8_t>(0x7F ^ mask);  // only the clipped maximum
  }
  int code = (segment << 4) | ((value >> (segment + 1)) & 0x0F);
  return static_cast<uint8_t>(code ^ mask);
}

constexpr int16_t decodeUlawSlow(uint8_t code) {
  int inverted = ~code & 0xFF;
  int magnitude = (((inverted & 0x0F) << 3) + 0x84) << ((inverted & 0x70) >> 4);
  return static_cast<int16_t>((inverted & 0x80) != 0 ? 0x84 - magnitude : magnitude - 0x84);
}

constexpr uint8_t encodeAlawSlow(int16_t pcm) {
  int value = pcm >> 3;
  int mask = 0xD5;
  if (value < 0) {
    value = -value - 1;
    mask = 0x55;
  }
  // The segment ends are 0x1F, 0x3F, ... 0xFFF: the segment is the bit width above 5 bits.
  int segment = std::max(0, static_cast<int>(std::bit_width(static_cast<unsigned>(value))) - 5);
  int code = segment << 4;
  code |= segment < 2 ? (value >> 1) & 0x0F : (value >> segment) & 0x0F;
  return static_cast<uint8_t>(code ^ mask);
}

constexpr int16_t decodeAlawSlow(uint8_t code) {
  int value = code ^ 0x55;
  int magnitude = (value & 0x0F) << 4;
  int segment = (value & 0x70) >> 4;
  if (segment == 0) {
    magnitude += 8;
  } else {
    magnitude += 0x108;
    magnitude <<= segment - 1;
  }
  return static_cast<int16_t>((value & 0x80) != 0 ? magnitude : -magnitude);
}

// The encoders only look at the top 14 (mu-law) or 13 (A-law) bits, so one entry per value of
// those bits covers every input exactly.
constexpr std::array<uint8_t, 16384> makeUlawEncodeTable() {
  std::array<uint8_t, 16384> table{};
  for (int i = 0; i < 16384; ++i) {
    table[static_cast<std::size_t>(i)] = encodeUlawSlow(static_cast<int16_t>((i - 8192) * 4));
  }
  return table;
}

constexpr std::array<uint8_t, 8192> makeAlawEncodeTable() {
  std::array<uint8_t, 8192> table{};
  for (int i = 0; i < 8192; ++i) {
    table[static_cast<std::size_t>(i)] = encodeAlawSlow(static_cast<int16_t>((i - 4096) * 8));
  }
  return table;
}

template <int16_t (*Decode)(uint8_t)>
constexpr std::array<int16_t, 256> makeDecodeTable() {
  std::array<int16_t, 256> table{};
  for (int i = 0; i < 256; ++i) {
    table[static_cast<std::size_t>(i)] = Decode(static_cast<uint8_t>(i));
  }
  return table;
}

inline constexpr std::array<uint8_t, 16384> UlawEncode = makeUlawEncodeTable();
inline constexpr std::array<uint8_t, 8192> AlawEncode = makeAlawEncodeTable();
inline constexpr std::array<int16_t, 256> UlawDecode = makeDecodeTable<decodeUlawSlow>();
inline constexpr std::array<int16_t, 256> AlawDecode = makeDecodeTable<decodeAlawSlow>();

}  // namespace g711_detail

/** @return the mu-law code of a linear sample. Pure; any thread. */
inline uint8_t linearToUlaw(int16_t pcm) {
  // The top 14 bits in two's complement, offset to 0..16383 by flipping their sign bit.
  return g711_detail::UlawEncode[(static_cast<std::size_t>(static_cast<uint16_t>(pcm)) >> 2) ^
                                 0x2000U];
}

/** @return the linear sample of a mu-law code. Pure; any thread. */
inline int16_t ulawToLinear(uint8_t code) { return g711_detail::UlawDecode[code]; }

/** @return the A-law code of a linear sample. Pure; any thread. */
inline uint8_t linearToAlaw(int16_t pcm) {
  return g711_detail::AlawEncode[(static_cast<std::size_t>(static_cast<uint16_t>(pcm)) >> 3) ^
                                 0x1000U];
}

/** @return the linear sample of an A-law code. Pure; any thread. */
inline int16_t alawToLinear(uint8_t code) { return g711_detail::AlawDecode[code]; }

}  // namespace kefu::media
