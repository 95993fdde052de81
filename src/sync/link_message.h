#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace kefu::sync {

/**
 * One change crossing the site link: which site owns the entity, the change's number in that
 * site's outbox (its event id is `origin:seq`), the entity and what became of it. The payload is
 * the entity's link form, already stripped of everything the residency policy keeps home.
 */
struct LinkMessage {
  std::string origin;
  std::int64_t seq = 0;
  std::string entity_type;
  std::string entity_id;
  std::string op;  // upsert, delete
  std::string payload;
  std::int64_t at_ms = 0;  // when the change was made at its origin
  /** Every change of the origin numbered up to `base` is acknowledged already (retired). */
  std::int64_t base = 0;

  /** @return the event id, `origin:seq`. */
  std::string eventId() const { return origin + ":" + std::to_string(seq); }
  bool operator==(const LinkMessage&) const = default;
};

/** The largest message the decoder accepts, in bytes. */
inline constexpr std::size_t MaxLinkMessageBytes = 64 * 1024;

/** @return `message` as the JSON object the link carries. */
std::string encodeLinkMessage(const LinkMessage& message);

/**
 * @return the message in `bytes` (from the network: anything may arrive), or InvalidArgument
 * naming the field that is missing, of the wrong type or out of range. Never throws.
 */
Result<LinkMessage> decodeLinkMessage(std::string_view bytes);

}  // namespace kefu::sync
