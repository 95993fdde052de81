#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kefu::sip {

/** The dialog a Replaces header (RFC 3891) names. */
struct ReplacesTarget {
  std::string call_id;
  std::string to_tag;
  std::string from_tag;

  bool operator==(const ReplacesTarget&) const = default;
};

/** Where a REFER sends its recipient (RFC 3515), with an attended transfer's Replaces. */
struct ReferTarget {
  /** The Refer-To URI without its `?headers` part ("sip:2002@kefu.local;transport=tcp"). */
  std::string uri;
  /** The `Replaces` header embedded in the URI (`?Replaces=<escaped value>`), if any. */
  std::optional<ReplacesTarget> replaces;

  bool operator==(const ReferTarget&) const = default;
};

/** The longest Refer-To or Replaces value the parsers accept; longer ones are refused. */
inline constexpr std::size_t MaxReferToSize = 4096;

/**
 * Parses a Replaces header value, `call-id;to-tag=x;from-tag=y` (parameters in any order, names
 * case-insensitive, `early-only` and unknown parameters ignored). Network input: never throws;
 * @return nullopt when the Call-ID or either tag is missing or empty. Any thread.
 */
std::optional<ReplacesTarget> parseReplaces(std::string_view value);

/**
 * Parses a Refer-To header value: `<uri?Replaces=...&other=...>;params`, or a bare URI. The
 * embedded headers are percent-decoded; only Replaces is kept. Network input: never throws;
 * @return nullopt for an empty URI, an unclosed `<`, a URI without a scheme, bad percent-escapes or
 * an embedded Replaces that does not parse. Any thread.
 */
std::optional<ReferTarget> parseReferTo(std::string_view value);

}  // namespace kefu::sip
