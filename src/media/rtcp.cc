#include "media/rtcp.h"

#include <algorithm>

#include "media/internal/byte_order.h"

namespace kefu::media {
namespace {

using internal::load32;
using internal::store16;
using internal::store32;

constexpr uint8_t SenderReport = 200;
constexpr uint8_t ReceiverReport = 201;
constexpr uint8_t SourceDescription = 202;
constexpr uint8_t Goodbye = 203;
constexpr uint8_t CnameItem = 1;
constexpr std::size_t HeaderSize = 4;
constexpr std::size_t SenderInfoSize = 20;
constexpr std::size_t BlockSize = 24;

// Seconds from the NTP epoch (1900) to the Unix epoch (1970).
constexpr int64_t NtpUnixOffsetSeconds = 2208988800LL;

std::optional<RtcpReport> fail(RtcpError* error, RtcpError what) {
  if (error != nullptr) {
    *error = what;
  }
  return std::nullopt;
}

ReportBlock readBlock(std::span<const uint8_t> bytes) {
  ReportBlock block;
  block.ssrc = load32(bytes, 0);
  block.fraction_lost = bytes[4];
  // Cumulative lost is a 24-bit two's complement number: sign-extend it.
  uint32_t lost = (uint32_t{bytes[5]} << 16) | (uint32_t{bytes[6]} << 8) | uint32_t{bytes[7]};
  if ((lost & 0x800000) != 0) {
    lost |= 0xff000000;
  }
  block.cumulative_lost = static_cast<int32_t>(lost);
  block.highest_sequence = load32(bytes, 8);
  block.jitter = load32(bytes, 12);
  block.last_sr = load32(bytes, 16);
  block.delay_since_last_sr = load32(bytes, 20);
  return block;
}

void writeBlock(const ReportBlock& block, std::span<uint8_t> out) {
  store32(out, 0, block.ssrc);
  out[4] = block.fraction_lost;
  const int32_t lost = std::clamp<int32_t>(block.cumulative_lost, -0x800000, 0x7fffff);
  const auto wire = static_cast<uint32_t>(lost) & 0xffffff;
  out[5] = static_cast<uint8_t>(wire >> 16);
  out[6] = static_cast<uint8_t>(wire >> 8);
  out[7] = static_cast<uint8_t>(wire);
  store32(out, 8, block.highest_sequence);
  store32(out, 12, block.jitter);
  store32(out, 16, block.last_sr);
  store32(out, 20, block.delay_since_last_sr);
}

void writeHeader(std::span<uint8_t> out, std::size_t count, uint8_t type, std::size_t size) {
  out[0] = static_cast<uint8_t>(0x80 | count);
  out[1] = type;
  store16(out, 2, static_cast<uint16_t>(size / 4 - 1));
}

}  // namespace

std::optional<RtcpReport> parseRtcp(std::span<const uint8_t> compound, RtcpError* error) {
  if (compound.size() < HeaderSize + 4) {
    return fail(error, RtcpError::TooShort);
  }
  RtcpReport report;
  bool have_report = false;
  bool have_bye_ssrc = false;
  uint32_t bye_ssrc = 0;
  std::size_t at = 0;
  while (at < compound.size()) {
    const std::span<const uint8_t> rest = compound.subspan(at);
    if (rest.size() < HeaderSize) {
      return fail(error, RtcpError::BadLength);
    }
    if ((rest[0] >> 6) != 2) {
      return fail(error, RtcpError::BadVersion);
    }
    const bool padding = (rest[0] & 0x20) != 0;
    const std::size_t count = rest[0] & 0x1f;
    const uint8_t type = rest[1];
    const std::size_t size = (std::size_t{rest[2]} << 8 | rest[3]) * 4 + 4;
    if (size > rest.size()) {
      return fail(error, RtcpError::BadLength);
    }
    std::size_t body_size = size;
    if (padding) {
      // Only the last packet of a compound may be padded (RFC 3550 section 6.4.1).
      const std::size_t padding_size = rest[size - 1];
      if (at + size != compound.size() || padding_size == 0 || padding_size > size - HeaderSize) {
        return fail(error, RtcpError::BadLength);
      }
      body_size = size - padding_size;
    }
    const std::span<const uint8_t> packet = rest.first(body_size);

    if (type == SenderReport || type == ReceiverReport) {
      const std::size_t blocks_at = HeaderSize + 4 + (type == SenderReport ? SenderInfoSize : 0);
      if (blocks_at + count * BlockSize > packet.size()) {
        return fail(error, RtcpError::BadLength);
      }
      const uint32_t ssrc = load32(packet, 4);
      // The first SR or RR is the report; a further RR from the same sender carries the
      // blocks that did not fit (RFC 3550 section 6.4.2).
      if (!have_report || ssrc == report.ssrc) {
        if (!have_report) {
          report.ssrc = ssrc;
          if (type == SenderReport) {
            SenderInfo info;
            info.ntp_timestamp = uint64_t{load32(packet, 8)} << 32 | load32(packet, 12);
            info.rtp_timestamp = load32(packet, 16);
            info.packet_count = load32(packet, 20);
            info.octet_count = load32(packet, 24);
            report.sender = info;
          }
          have_report = true;
        }
        for (std::size_t i = 0; i < count && report.block_count < MaxReportBlocks; ++i) {
          report.blocks[report.block_count++] =
              readBlock(packet.subspan(blocks_at + i * BlockSize, BlockSize));
        }
      }
    } else if (type == Goodbye) {
      if (HeaderSize + 4 * count > packet.size()) {
        return fail(error, RtcpError::BadLength);
      }
      report.bye = true;
      if (count > 0 && !have_bye_ssrc) {
        bye_ssrc = load32(packet, 4);
        have_bye_ssrc = true;
      }
    }
    // SDES, APP and the feedback and XR types are skipped: the engine needs none of them yet.
    at += size;
  }
  if (!have_report) {
    if (!have_bye_ssrc) {
      return fail(error, RtcpError::NotReport);
    }
    report.ssrc = bye_ssrc;
  }
  return report;
}

std::size_t writeRtcpReport(uint32_t ssrc, const std::optional<SenderInfo>& sender,
                            std::span<const ReportBlock> blocks, std::string_view cname, bool bye,
                            std::span<uint8_t> out) {
  const std::size_t block_count = std::min(blocks.size(), MaxReportBlocks);
  const std::size_t report_size =
      HeaderSize + 4 + (sender ? SenderInfoSize : 0) + block_count * BlockSize;
  // SDES chunk: SSRC, CNAME type and length, the text, then at least one zero octet ending the
  // item list, padded to a 32-bit boundary.
  const std::size_t cname_size = std::min<std::size_t>(cname.size(), 255);
  const std::size_t chunk_size = (4 + 2 + cname_size + 1 + 3) / 4 * 4;
  const std::size_t sdes_size = HeaderSize + chunk_size;
  const std::size_t bye_size = bye ? HeaderSize + 4 : 0;
  const std::size_t total = report_size + sdes_size + bye_size;
  if (out.size() < total) {
    return 0;
  }
  std::fill(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(total), uint8_t{0});

  writeHeader(out, block_count, sender ? SenderReport : ReceiverReport, report_size);
  store32(out, 4, ssrc);
  std::size_t at = 8;
  if (sender) {
    store32(out, at, static_cast<uint32_t>(sender->ntp_timestamp >> 32));
    store32(out, at + 4, static_cast<uint32_t>(sender->ntp_timestamp));
    store32(out, at + 8, sender->rtp_timestamp);
    store32(out, at + 12, sender->packet_count);
    store32(out, at + 16, sender->octet_count);
    at += SenderInfoSize;
  }
  for (std::size_t i = 0; i < block_count; ++i) {
    writeBlock(blocks[i], out.subspan(at, BlockSize));
    at += BlockSize;
  }

  std::span<uint8_t> sdes = out.subspan(at, sdes_size);
  writeHeader(sdes, 1, SourceDescription, sdes_size);
  store32(sdes, 4, ssrc);
  sdes[8] = CnameItem;
  sdes[9] = static_cast<uint8_t>(cname_size);
  std::copy_n(cname.begin(), cname_size, sdes.begin() + 10);
  at += sdes_size;

  if (bye) {
    std::span<uint8_t> goodbye = out.subspan(at, bye_size);
    writeHeader(goodbye, 1, Goodbye, bye_size);
    store32(goodbye, 4, ssrc);
    at += bye_size;
  }
  return at;
}

uint64_t ntpFromUnixMicros(int64_t unix_us) {
  // Floor division keeps times before 1970 correct; NTP's era 0 covers 1900 to 2036.
  int64_t seconds = unix_us / 1'000'000;
  int64_t micros = unix_us % 1'000'000;
  if (micros < 0) {
    micros += 1'000'000;
    seconds -= 1;
  }
  const auto ntp_seconds = static_cast<uint64_t>(seconds + NtpUnixOffsetSeconds);
  const uint64_t fraction = (static_cast<uint64_t>(micros) << 32) / 1'000'000;
  return ntp_seconds << 32 | fraction;
}

uint32_t ntpMiddle32(uint64_t ntp) { return static_cast<uint32_t>(ntp >> 16); }

uint32_t ntpMiddle32FromUnixMicros(int64_t unix_us) {
  return ntpMiddle32(ntpFromUnixMicros(unix_us));
}

std::optional<double> roundTripMs(const ReportBlock& block, uint32_t now_ntp_middle32) {
  if (block.last_sr == 0) {
    return std::nullopt;
  }
  // Unsigned arithmetic handles the wrap of the 16.16 clock every 18 hours.
  const auto rtt =
      static_cast<int32_t>(now_ntp_middle32 - block.last_sr - block.delay_since_last_sr);
  // A negative value means the peer's DLSR is wrong or the clocks jumped: no delay is the
  // closest answer that is not nonsense.
  return rtt <= 0 ? 0.0 : rtt * 1000.0 / 65536.0;
}

}  // namespace kefu::media
