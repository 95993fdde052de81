// Fuzz target: an RTCP compound packet as a media socket receives it. A report that parses is
// written back and must parse to the same report.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "media/rtcp.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kefu::media;
  RtcpError error{};
  auto report = parseRtcp(std::span<const uint8_t>(data, size), &error);
  if (!report) {
    return 0;
  }
  if (report->block_count > MaxReportBlocks) {
    std::abort();
  }
  for (std::size_t i = 0; i < report->block_count; ++i) {
    (void)roundTripMs(report->blocks[i], 0x12345678);
  }
  std::array<uint8_t, 512> out{};
  const std::size_t written = writeRtcpReport(report->ssrc, report->sender,
                                              std::span(report->blocks).first(report->block_count),
                                              "fuzz", report->bye, out);
  auto again = parseRtcp(std::span(out).first(written));
  if (written == 0 || !again || again->ssrc != report->ssrc ||
      again->block_count != report->block_count || again->bye != report->bye ||
      again->sender.has_value() != report->sender.has_value()) {
    std::abort();
  }
  for (std::size_t i = 0; i < report->block_count; ++i) {
    const ReportBlock& a = report->blocks[i];
    const ReportBlock& b = again->blocks[i];
    if (a.ssrc != b.ssrc || a.cumulative_lost != b.cumulative_lost || a.jitter != b.jitter ||
        a.last_sr != b.last_sr || a.delay_since_last_sr != b.delay_since_last_sr) {
      std::abort();
    }
  }
  return 0;
}
