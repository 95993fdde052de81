#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/time_source.h"

namespace kefu::sip {

/**
 * The parameters of a `Digest` Authorization header (RFC 2617 section 3.2.2, RFC 7616). Values are
 * unquoted and unescaped; parameters that were absent are empty.
 */
struct DigestCredentials {
  std::string username;
  std::string realm;
  std::string nonce;
  std::string uri;
  std::string response;
  std::string algorithm;  // empty means MD5
  std::string cnonce;
  std::string opaque;
  std::string qop;  // "auth" or empty (RFC 2069 compatibility)
  std::string nc;   // eight hex digits when qop is present

  bool operator==(const DigestCredentials&) const = default;
};

/** The longest Authorization header value the parser accepts; longer ones are refused. */
inline constexpr std::size_t MaxAuthorizationSize = 4096;

/**
 * Parses an Authorization (or Proxy-Authorization) header value such as
 * `Digest username="1001", realm="kefu", ...`. Network input: never throws; @return nullopt when
 * the scheme is not Digest, the syntax is broken, a parameter repeats, or username, realm, nonce,
 * uri or response is missing. Any thread.
 */
std::optional<DigestCredentials> parseDigestCredentials(std::string_view header_value);

/** @return the lowercase hex MD5 of `text`. Any thread. */
std::string md5Hex(std::string_view text);

/**
 * The response a client must send (RFC 2617 section 3.2.2.1, algorithm MD5): with qop=auth
 * MD5(HA1:nonce:nc:cnonce:qop:HA2), without qop MD5(HA1:nonce:HA2), where HA1 =
 * MD5(username:realm:password) and HA2 = MD5(method:uri). @return lowercase hex. Any thread.
 */
std::string digestResponse(const DigestCredentials& credentials, std::string_view password,
                           std::string_view method);

/** What a nonce is worth when it comes back. */
enum class NonceState { Valid, Stale, Invalid };

/**
 * Makes and checks stateless nonces: `<issue time in hex>.<HMAC-SHA256(secret, time)>`, so any
 * nonce we issued can be verified without a table and a forged or altered one cannot. Nonces older
 * than `lifetime` are Stale (the client retries with `stale=true` without asking the user).
 * Immutable after construction; any thread.
 */
class NonceIssuer {
 public:
  /** `secret` must be unpredictable (at least 16 bytes); `time` outlives this. */
  NonceIssuer(std::string secret, const TimeSource& time, std::chrono::seconds lifetime);

  /** @return a fresh nonce stamped with the current time. */
  std::string issue() const;
  /** @return whether `nonce` is one of ours and still young enough. */
  NonceState check(std::string_view nonce) const;

 private:
  std::string sign(std::string_view stamp) const;

  const TimeSource& time_;
  const std::string secret_;
  const std::chrono::seconds lifetime_;
};

/** @return `n` random bytes from OpenSSL's generator (for nonce secrets). Any thread. */
std::string randomBytes(std::size_t n);

/** @return true when `a` and `b` are equal, in time independent of where they differ. */
bool constantTimeEquals(std::string_view a, std::string_view b);

}  // namespace kefu::sip
