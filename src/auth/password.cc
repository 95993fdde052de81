#include "auth/password.h"

#include <sodium.h>

#include <string>

namespace kefu::auth {
namespace {

bool sodiumReady() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

}  // namespace

Result<void> checkPasswordRules(std::string_view password, std::string_view field) {
  if (password.size() < MinPasswordLength || password.size() > MaxPasswordLength) {
    return Error::invalid(std::string(field), "must be " + std::to_string(MinPasswordLength) +
                                                  " to " + std::to_string(MaxPasswordLength) +
                                                  " bytes");
  }
  return {};
}

Result<std::string> hashPassword(std::string_view password) {
  if (!sodiumReady()) {
    return Error::internal("libsodium failed to initialize");
  }
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return Error::internal("out of memory while hashing a password");
  }
  return std::string(out);
}

bool verifyPassword(std::string_view hash, std::string_view password) {
  if (!sodiumReady() || hash.size() >= crypto_pwhash_STRBYTES) {
    return false;
  }
  std::string terminated(hash);  // libsodium wants a NUL-terminated hash
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

std::string tokenHash(std::string_view token) {
  sodiumReady();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(token.data()), token.size());
  static constexpr char Hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * sizeof digest);
  for (unsigned char c : digest) {
    out.push_back(Hex[c >> 4]);
    out.push_back(Hex[c & 15]);
  }
  return out;
}

}  // namespace kefu::auth
