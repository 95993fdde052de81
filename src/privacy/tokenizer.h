#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "privacy/key_ring.h"

namespace kefu::privacy {

/** What an identifier is; a token names its kind, so equal digits of two kinds never match. */
enum class IdentifierKind { Phone, IdNumber };

/** @return "phone" or "id_number". */
std::string_view toString(IdentifierKind kind);

/**
 * @return a phone number reduced to what identifies it (digits, with a leading `+` kept), or
 * nullopt when it has fewer than 3 or more than 20 digits or characters other than digits, spaces,
 * `-`, `(`, `)`, `.` and a leading `+`.
 */
std::optional<std::string> normalizePhone(std::string_view phone);
/** @return an ID number upper-cased without spaces, or nullopt unless 4–32 letters and digits. */
std::optional<std::string> normalizeIdNumber(std::string_view id_number);

/**
 * Deterministic tokens for identifiers: keyed BLAKE2b over the kind and the normalized value, so
 * the same phone number always gives the same token (a returning caller is recognised) and the
 * token reveals nothing without the key. Immutable; safe to share between threads.
 */
class Tokenizer {
 public:
  explicit Tokenizer(const SecretKey& key) : key_(key) {}

  /** @return `tk_<kind>_<32 hex digits>` for an already normalized value. */
  std::string token(IdentifierKind kind, std::string_view normalized) const;
  /** @return the token of a raw phone number, or nullopt when it is not one. */
  std::optional<std::string> phoneToken(std::string_view phone) const;
  /** @return the token of a raw ID number, or nullopt when it is not one. */
  std::optional<std::string> idNumberToken(std::string_view id_number) const;

 private:
  SecretKey key_;
};
using TokenizerPtr = std::shared_ptr<const Tokenizer>;

}  // namespace kefu::privacy
