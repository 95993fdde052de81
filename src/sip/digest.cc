#include "sip/digest.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <cctype>
#include <charconv>

#include "core/assert.h"

namespace kefu::sip {
namespace {

bool isTokenChar(char c) {
  if (std::isalnum(static_cast<unsigned char>(c)) != 0) {
    return true;
  }
  switch (c) {
    case '-':
    case '.':
    case '!':
    case '%':
    case '*':
    case '_':
    case '+':
    case '`':
    case '\'':
    case '~':
      return true;
    default:
      return false;
  }
}

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string toHex(const unsigned char* bytes, std::size_t n) {
  static constexpr char Digits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = Digits[bytes[i] >> 4];
    out[2 * i + 1] = Digits[bytes[i] & 0x0f];
  }
  return out;
}

// A cursor over the header value; every step checks the bounds, so no input can read past it.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  void skipSpace() {
    while (pos_ < text_.size() && isSpace(text_[pos_])) {
      ++pos_;
    }
  }
  bool atEnd() const { return pos_ >= text_.size(); }
  bool consume(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  std::string_view token() {
    const std::size_t start = pos_;
    while (pos_ < text_.size() && isTokenChar(text_[pos_])) {
      ++pos_;
    }
    return text_.substr(start, pos_ - start);
  }
  // quoted-string = DQUOTE *(qdtext / quoted-pair) DQUOTE; @return nullopt when unterminated.
  std::optional<std::string> quoted() {
    if (!consume('"')) {
      return std::nullopt;
    }
    std::string out;
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '"') {
        return out;
      }
      if (c == '\\') {
        if (pos_ >= text_.size()) {
          return std::nullopt;
        }
        out.push_back(text_[pos_++]);
      } else {
        out.push_back(c);
      }
    }
    return std::nullopt;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

std::string* fieldFor(DigestCredentials& c, std::string_view name) {
  struct Field {
    std::string_view name;
    std::string DigestCredentials::*member;
  };
  static constexpr std::array<Field, 10> Fields{{
      {"username", &DigestCredentials::username},
      {"realm", &DigestCredentials::realm},
      {"nonce", &DigestCredentials::nonce},
      {"uri", &DigestCredentials::uri},
      {"response", &DigestCredentials::response},
      {"algorithm", &DigestCredentials::algorithm},
      {"cnonce", &DigestCredentials::cnonce},
      {"opaque", &DigestCredentials::opaque},
      {"qop", &DigestCredentials::qop},
      {"nc", &DigestCredentials::nc},
  }};
  for (const auto& field : Fields) {
    if (equalsIgnoreCase(field.name, name)) {
      return &(c.*field.member);
    }
  }
  return nullptr;
}

}  // namespace

std::optional<DigestCredentials> parseDigestCredentials(std::string_view header_value) {
  if (header_value.size() > MaxAuthorizationSize) {
    return std::nullopt;
  }
  Scanner scan(header_value);
  scan.skipSpace();
  if (!equalsIgnoreCase(scan.token(), "Digest")) {
    return std::nullopt;
  }
  DigestCredentials out;
  // Which known parameters were seen, so a repeated one (an ambiguity an attacker could use to
  // make two parsers disagree) refuses the whole header.
  std::array<std::string*, 10> seen{};
  std::size_t seen_count = 0;
  bool first = true;
  while (true) {
    scan.skipSpace();
    if (scan.atEnd()) {
      break;
    }
    if (!first && !scan.consume(',')) {
      return std::nullopt;
    }
    first = false;
    scan.skipSpace();
    const std::string_view name = scan.token();
    if (name.empty()) {
      return std::nullopt;
    }
    scan.skipSpace();
    if (!scan.consume('=')) {
      return std::nullopt;
    }
    scan.skipSpace();
    std::string value;
    if (auto q = scan.quoted()) {
      value = std::move(*q);
    } else {
      const std::string_view t = scan.token();
      if (t.empty()) {
        return std::nullopt;
      }
      value = std::string(t);
    }
    std::string* field = fieldFor(out, name);
    if (field == nullptr) {
      continue;  // RFC 2617 says unknown auth-params are ignored
    }
    for (std::size_t i = 0; i < seen_count; ++i) {
      if (seen[i] == field) {
        return std::nullopt;
      }
    }
    seen[seen_count++] = field;
    *field = std::move(value);
  }
  if (out.username.empty() || out.realm.empty() || out.nonce.empty() || out.uri.empty() ||
      out.response.empty()) {
    return std::nullopt;
  }
  return out;
}

std::string md5Hex(std::string_view text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest.data(), &length, EVP_md5(), nullptr) != 1) {
    KEFU_BUG("EVP_Digest(MD5) failed");
    return {};
  }
  return toHex(digest.data(), length);
}

std::string digestResponse(const DigestCredentials& c, std::string_view password,
                           std::string_view method) {
  const std::string ha1 = md5Hex(c.username + ":" + c.realm + ":" + std::string(password));
  const std::string ha2 = md5Hex(std::string(method) + ":" + c.uri);
  if (c.qop.empty()) {
    return md5Hex(ha1 + ":" + c.nonce + ":" + ha2);
  }
  return md5Hex(ha1 + ":" + c.nonce + ":" + c.nc + ":" + c.cnonce + ":" + c.qop + ":" + ha2);
}

NonceIssuer::NonceIssuer(std::string secret, const TimeSource& time, std::chrono::seconds lifetime)
    : time_(time), secret_(std::move(secret)), lifetime_(lifetime) {}

std::string NonceIssuer::sign(std::string_view stamp) const {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
           reinterpret_cast<const unsigned char*>(stamp.data()), stamp.size(), mac.data(),
           &length) == nullptr) {
    KEFU_BUG("HMAC-SHA256 failed");
    return {};
  }
  // 128 bits of the MAC are plenty against forgery and keep the header short.
  return toHex(mac.data(), std::min<unsigned int>(length, 16));
}

std::string NonceIssuer::issue() const {
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       time_.monotonicTime().time_since_epoch())
                       .count();
  std::array<char, 24> buffer{};
  auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(),
                                 static_cast<std::uint64_t>(now), 16);
  KEFU_ASSERT(ec == std::errc{});
  const std::string stamp(buffer.data(), end);
  return stamp + "." + sign(stamp);
}

NonceState NonceIssuer::check(std::string_view nonce) const {
  const auto dot = nonce.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot > 16) {
    return NonceState::Invalid;
  }
  const std::string_view stamp = nonce.substr(0, dot);
  if (!constantTimeEquals(nonce.substr(dot + 1), sign(stamp))) {
    return NonceState::Invalid;
  }
  std::uint64_t issued = 0;
  auto [ptr, ec] = std::from_chars(stamp.data(), stamp.data() + stamp.size(), issued, 16);
  if (ec != std::errc{} || ptr != stamp.data() + stamp.size()) {
    return NonceState::Invalid;
  }
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       time_.monotonicTime().time_since_epoch())
                       .count();
  const auto age = std::chrono::milliseconds(now - static_cast<std::int64_t>(issued));
  if (age < std::chrono::milliseconds(0) || age > lifetime_) {
    return NonceState::Stale;
  }
  return NonceState::Valid;
}

std::string randomBytes(std::size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    KEFU_BUG("RAND_bytes failed");
  }
  return out;
}

bool constantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

}  // namespace kefu::sip
