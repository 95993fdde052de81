#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace kefu::auth {

inline constexpr std::size_t MinPasswordLength = 8;
inline constexpr std::size_t MaxPasswordLength = 256;

/** @return InvalidArgument (naming `field`) when `password` is too short or too long. */
Result<void> checkPasswordRules(std::string_view password, std::string_view field);

/**
 * @return an Argon2id hash of `password` (libsodium, interactive limits: about 50 ms and 64 MiB),
 * salted, in the self-describing `$argon2id$…` form. Blocks: call it on the blocking pool.
 */
Result<std::string> hashPassword(std::string_view password);

/** @return whether `password` matches `hash`. Blocks like hashPassword(). */
bool verifyPassword(std::string_view hash, std::string_view password);

/** @return the hex SHA-256 of `token`: how bearer tokens are stored and looked up. */
std::string tokenHash(std::string_view token);

}  // namespace kefu::auth
