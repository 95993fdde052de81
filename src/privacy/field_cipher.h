#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "privacy/key_ring.h"

namespace kefu::privacy {

/**
 * Encrypts personal fields at rest with XChaCha20-Poly1305 (libsodium), under the ring's current
 * data key. A sealed value is text, `enc1:<key id>:<base64url of nonce and ciphertext>`, so it fits
 * any text column and names the key that opens it. The `context` (table, column and entity id) is
 * authenticated, so a sealed value moved to another row or column no longer opens.
 * Immutable; safe to share between threads.
 */
class FieldCipher {
 public:
  explicit FieldCipher(KeyRing ring) : ring_(std::move(ring)) {}

  /** @return `plain` sealed under the current data key; Internal when the ring has no data key. */
  Result<std::string> seal(std::string_view plain, std::string_view context) const;
  /** @return the clear value; InvalidArgument for a malformed or tampered value or wrong context,
   * NotFound when the key it names is not in the ring. Never throws. */
  Result<std::string> open(std::string_view sealed, std::string_view context) const;
  /** @return the key id a sealed value names, or 0 when `text` is not a sealed value. */
  static std::uint32_t keyIdOf(std::string_view text);
  /** @return true when `text` has the shape of a sealed value (checked without any key). */
  static bool isSealed(std::string_view text) { return keyIdOf(text) != 0; }

  const KeyRing& ring() const { return ring_; }

 private:
  KeyRing ring_;
};
using FieldCipherPtr = std::shared_ptr<const FieldCipher>;

}  // namespace kefu::privacy
