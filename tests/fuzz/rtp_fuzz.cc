// Fuzz target: one UDP datagram as a media socket receives it, demultiplexed and read as RTP;
// the relay's in-place rewrites and the reception statistics run on every accepted packet.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "media/packet_kind.h"
#include "media/reception_stats.h"
#include "media/rtp.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kefu::media;
  const std::span<const uint8_t> datagram(data, size);
  (void)classifyPacket(datagram);
  RtpError error{};
  auto header = parseRtp(datagram, &error);
  if (!header) {
    return 0;
  }
  // What parseRtp promises the engine: the header and payload lie inside the datagram.
  if (header->header_size < RtpHeaderSize || header->header_size + header->payload_size > size) {
    std::abort();
  }
  std::vector<uint8_t> copy(datagram.begin(), datagram.end());
  setRtpSequence(copy, static_cast<uint16_t>(header->sequence + 1));
  setRtpTimestamp(copy, header->timestamp + 160);
  setRtpSsrc(copy, ~header->ssrc);
  setRtpPayloadType(copy, static_cast<uint8_t>(header->payload_type ^ 0x40));
  auto rewritten = parseRtp(copy);
  if (!rewritten || rewritten->marker != header->marker ||
      rewritten->payload_size != header->payload_size ||
      rewritten->sequence != static_cast<uint16_t>(header->sequence + 1)) {
    std::abort();
  }
  // Sequence numbers and timestamps taken from the input, arrivals from its bytes: wraps,
  // restarts and wild jitter all reach the statistics.
  ReceptionStats stats(header->payload_type == 111 ? 48000 : 8000);
  for (std::size_t i = 0; i + 1 < size && i < 64; i += 2) {
    const auto sequence = static_cast<uint16_t>(header->sequence + data[i] - 128);
    stats.onPacket(sequence, header->timestamp + data[i + 1] * 160U,
                   static_cast<int64_t>(i) * 20'000 + data[i + 1] * 100);
  }
  (void)stats.reportBlock(header->ssrc, 0, 1'000'000, 0);
  (void)stats.lossPercent();
  (void)stats.jitterMs();
  return 0;
}
