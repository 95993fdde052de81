#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "core/result.h"

namespace kefu::privacy {

/** A 256-bit secret key. */
using SecretKey = std::array<unsigned char, 32>;

/**
 * The keys that protect personal data: one token key (deterministic tokens) and numbered data keys
 * (field encryption). The highest data key id is the current one; older keys stay so that values
 * sealed before a rotation still open. Immutable once built; safe to share between threads.
 *
 * File format, one entry a line (`#` starts a comment):
 *   token <64 hex digits>
 *   data <id> <64 hex digits>
 */
class KeyRing {
 public:
  /** @return a ring with a fresh random token key and data key 1. */
  static KeyRing generate();
  /** @return the ring in `text`, or InvalidArgument naming the bad line. */
  static Result<KeyRing> parse(std::string_view text);
  /** @return the ring in the file at `path`, or an error naming the file. */
  static Result<KeyRing> load(const std::filesystem::path& path);

  /** @return this ring plus a new random data key numbered one above the current. */
  KeyRing withNewDataKey() const;
  /** @return a ring with this ring's token key and no data key: what an edge site may hold. */
  KeyRing tokenOnly() const;
  /** @return the ring in the file format `parse` reads. */
  std::string format() const;
  /** Writes the ring to `path` (mode 0600) atomically, replacing it. */
  Result<void> save(const std::filesystem::path& path) const;

  bool hasTokenKey() const { return has_token_key_; }
  const SecretKey& tokenKey() const { return token_key_; }
  /** @return the current data key's id, 0 when the ring has none (an edge site's ring). */
  std::uint32_t currentDataKeyId() const;
  /** @return the data key numbered `id`, or nullptr. */
  const SecretKey* dataKey(std::uint32_t id) const;
  /** @return how many data keys the ring holds. */
  std::size_t dataKeyCount() const { return data_keys_.size(); }

 private:
  bool has_token_key_ = false;
  SecretKey token_key_{};
  std::map<std::uint32_t, SecretKey> data_keys_;
};

/**
 * @return the ring at `path`; when the file does not exist, a generated ring written there first.
 * Two processes starting at once end up with the same ring (the file is linked into place only if
 * absent).
 */
Result<KeyRing> loadOrCreateKeyRing(const std::filesystem::path& path);

}  // namespace kefu::privacy
