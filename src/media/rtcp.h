#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace kefu::media {

/** One reception report block (RFC 3550 section 6.4.1). */
struct ReportBlock {
  uint32_t ssrc = 0;
  uint8_t fraction_lost = 0;
  int32_t cumulative_lost = 0;  // 24-bit signed on the wire
  uint32_t highest_sequence = 0;
  uint32_t jitter = 0;  // in RTP timestamp units
  uint32_t last_sr = 0;
  uint32_t delay_since_last_sr = 0;  // in units of 1/65536 s
};

/** The sender information of a sender report (RFC 3550 section 6.4.1). */
struct SenderInfo {
  uint64_t ntp_timestamp = 0;
  uint32_t rtp_timestamp = 0;
  uint32_t packet_count = 0;
  uint32_t octet_count = 0;
};

/** The most reports Kefu reads from or writes into one SR/RR; extra blocks are skipped. */
inline constexpr std::size_t MaxReportBlocks = 4;

/** What a compound RTCP packet said. Fixed size: parsing never allocates. */
struct RtcpReport {
  uint32_t ssrc = 0;  // the sender of the first SR or RR
  std::optional<SenderInfo> sender;
  std::array<ReportBlock, MaxReportBlocks> blocks{};
  std::size_t block_count = 0;
  bool bye = false;
};

/** Why a datagram is not a usable RTCP compound packet. */
enum class RtcpError { TooShort, BadVersion, BadLength, NotReport };

/**
 * Parses a compound packet of SR, RR, SDES and BYE; other packet types (APP, RTPFB, PSFB, XR)
 * are skipped, not rejected. Never allocates or throws; any thread.
 * @return the report, or nullopt with `*error` (when given) saying what is wrong. A compound
 * packet holding only a BYE is accepted (ssrc from the BYE); one with neither SR, RR nor BYE
 * gives NotReport.
 */
std::optional<RtcpReport> parseRtcp(std::span<const uint8_t> compound, RtcpError* error = nullptr);

/**
 * Writes an SR (when `sender` is set) or RR with up to 4 blocks, then SDES CNAME (+ BYE when
 * asked); any thread.
 * @return the compound length, 0 when `out` is too small.
 */
std::size_t writeRtcpReport(uint32_t ssrc, const std::optional<SenderInfo>& sender,
                            std::span<const ReportBlock> blocks, std::string_view cname, bool bye,
                            std::span<uint8_t> out);

/** @return the 64-bit NTP timestamp (seconds since 1900 in 32.32 fixed point) of a Unix time. */
uint64_t ntpFromUnixMicros(int64_t unix_us);
/** @return the middle 32 bits of an NTP timestamp, as carried in LSR (16.16 fixed point). */
uint32_t ntpMiddle32(uint64_t ntp);
/** @return the middle 32 bits of the NTP timestamp of a Unix time. */
uint32_t ntpMiddle32FromUnixMicros(int64_t unix_us);

/**
 * Round-trip time from a block that answers one of our SRs (RFC 3550 section 6.4.1): now - LSR -
 * DLSR, in the 16.16 clock. @return nullopt if the block has no LSR; any thread.
 */
std::optional<double> roundTripMs(const ReportBlock& block, uint32_t now_ntp_middle32);

}  // namespace kefu::media
