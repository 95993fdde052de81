#pragma once

#include <cstdint>
#include <span>

namespace kefu::media {

/** What one datagram on a shared UDP port is (RFC 7983 demultiplexing, RFC 5761 for rtcp-mux). */
enum class PacketKind { Rtp, Rtcp, Stun, Dtls, Unknown };

/**
 * @return the kind of `datagram` from its first two bytes; any thread. RTCP is told from RTP by the
 * packet types 192-223 (RFC 5761 section 4), which no dynamic or static RTP payload type uses.
 */
constexpr PacketKind classifyPacket(std::span<const uint8_t> datagram) {
  if (datagram.empty()) {
    return PacketKind::Unknown;
  }
  const uint8_t first = datagram[0];
  if (first <= 3) {
    // STUN messages start with two zero bits and are at least a 20-byte header long.
    return datagram.size() >= 20 ? PacketKind::Stun : PacketKind::Unknown;
  }
  if (first >= 20 && first <= 63) {
    return datagram.size() >= 13 ? PacketKind::Dtls : PacketKind::Unknown;
  }
  if (first >= 128 && first <= 191) {
    if (datagram.size() < 2) {
      return PacketKind::Unknown;
    }
    const uint8_t second = datagram[1];
    if (second >= 192 && second <= 223) {
      return datagram.size() >= 8 ? PacketKind::Rtcp : PacketKind::Unknown;
    }
    return datagram.size() >= 12 ? PacketKind::Rtp : PacketKind::Unknown;
  }
  return PacketKind::Unknown;
}

}  // namespace kefu::media
