#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace kefu::media {

/** The audio codecs the engine speaks. Telephone events (RFC 4733) are not a codec here. */
enum class CodecId : uint8_t { Pcmu, Pcma, G722, Opus };

/** How a codec appears on the wire and in SDP. */
struct CodecSpec {
  CodecId id;
  std::string_view name;    // the SDP encoding name, as in rtpmap
  int clock_rate;           // the RTP clock (8000 for G.722, RFC 3551 section 4.5.2)
  int channels;             // as written in rtpmap (Opus is always "2", RFC 7587)
  int static_payload_type;  // -1 when the codec has no static payload type
  uint32_t timestamp_step;  // RTP timestamp units per 20 ms packet
};

inline constexpr CodecSpec CodecSpecs[] = {
    {CodecId::Pcmu, "PCMU", 8000, 1, 0, 160},
    {CodecId::Pcma, "PCMA", 8000, 1, 8, 160},
    {CodecId::G722, "G722", 8000, 1, 9, 160},
    {CodecId::Opus, "opus", 48000, 2, -1, 960},
};

/** @return the wire description of a codec. */
constexpr const CodecSpec& codecSpec(CodecId id) { return CodecSpecs[static_cast<int>(id)]; }

/** @return the codec an SDP encoding name and clock rate name (case-insensitive), if supported. */
constexpr std::optional<CodecId> codecByName(std::string_view name, int clock_rate) {
  for (const CodecSpec& spec : CodecSpecs) {
    if (spec.clock_rate != clock_rate || spec.name.size() != name.size()) {
      continue;
    }
    bool same = true;
    for (std::size_t i = 0; i < name.size(); ++i) {
      char a = name[i] >= 'A' && name[i] <= 'Z' ? static_cast<char>(name[i] + 32) : name[i];
      char b = spec.name[i] >= 'A' && spec.name[i] <= 'Z' ? static_cast<char>(spec.name[i] + 32)
                                                          : spec.name[i];
      same = same && a == b;
    }
    if (same) {
      return spec.id;
    }
  }
  return std::nullopt;
}

/** The RFC 4733 telephone-event format's name; it runs at the clock rate of the audio codec. */
inline constexpr std::string_view TelephoneEventName = "telephone-event";

}  // namespace kefu::media
