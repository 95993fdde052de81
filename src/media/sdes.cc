#include "media/sdes.h"

#include <openssl/rand.h>

#include <charconv>

namespace kefu::media {

namespace {

constexpr std::string_view Base64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64Value(char c) {
  if (c >= 'A' && c <= 'Z') {
    return c - 'A';
  }
  if (c >= 'a' && c <= 'z') {
    return c - 'a' + 26;
  }
  if (c >= '0' && c <= '9') {
    return c - '0' + 52;
  }
  if (c == '+') {
    return 62;
  }
  if (c == '/') {
    return 63;
  }
  return -1;
}

// Decodes strict base64 into `out`; padding is optional because some phones leave it out.
// @return the decoded length, or nullopt on a character outside the alphabet, misplaced padding,
// leftover bits or more than `out` holds.
std::optional<std::size_t> decodeBase64(std::string_view text, std::span<uint8_t> out) {
  while (!text.empty() && text.back() == '=') {
    text.remove_suffix(1);
  }
  if (text.size() % 4 == 1) {
    return std::nullopt;
  }
  std::size_t written = 0;
  uint32_t bits = 0;
  int bit_count = 0;
  for (char c : text) {
    int value = base64Value(c);
    if (value < 0) {
      return std::nullopt;
    }
    bits = (bits << 6) | static_cast<uint32_t>(value);
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      if (written == out.size()) {
        return std::nullopt;
      }
      out[written++] = static_cast<uint8_t>(bits >> bit_count);
      bits &= (1u << bit_count) - 1;
    }
  }
  if (bits != 0) {
    return std::nullopt;  // Non-canonical: the unused low bits of the last character were set.
  }
  return written;
}

std::string encodeBase64(std::span<const uint8_t> bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    out += Base64Alphabet[v >> 18];
    out += Base64Alphabet[(v >> 12) & 63];
    out += Base64Alphabet[(v >> 6) & 63];
    out += Base64Alphabet[v & 63];
  }
  if (bytes.size() - i == 1) {
    uint32_t v = uint32_t{bytes[i]} << 16;
    out += Base64Alphabet[v >> 18];
    out += Base64Alphabet[(v >> 12) & 63];
    out += "==";
  } else if (bytes.size() - i == 2) {
    uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8);
    out += Base64Alphabet[v >> 18];
    out += Base64Alphabet[(v >> 12) & 63];
    out += Base64Alphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::optional<uint64_t> parseDecimal(std::string_view text) {
  uint64_t value = 0;
  if (text.empty()) {
    return std::nullopt;
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

// RFC 4568 lifetime: a decimal count of packets or "2^n". We only validate it: libsrtp rekeys
// nothing and enforces its own 2^48 limit, and calls end long before either.
bool isValidLifetime(std::string_view text) {
  if (text.starts_with("2^")) {
    auto exponent = parseDecimal(text.substr(2));
    return exponent.has_value() && *exponent <= 64;
  }
  return parseDecimal(text).has_value();
}

}  // namespace

std::optional<SrtpSuite> srtpSuiteByName(std::string_view name) {
  if (name == "AES_CM_128_HMAC_SHA1_80") {
    return SrtpSuite::AesCm128HmacSha1_80;
  }
  if (name == "AES_CM_128_HMAC_SHA1_32") {
    return SrtpSuite::AesCm128HmacSha1_32;
  }
  if (name == "AEAD_AES_128_GCM") {
    return SrtpSuite::AeadAes128Gcm;
  }
  return std::nullopt;
}

std::string_view srtpSuiteName(SrtpSuite suite) {
  switch (suite) {
    case SrtpSuite::AesCm128HmacSha1_80:
      return "AES_CM_128_HMAC_SHA1_80";
    case SrtpSuite::AesCm128HmacSha1_32:
      return "AES_CM_128_HMAC_SHA1_32";
    case SrtpSuite::AeadAes128Gcm:
      return "AEAD_AES_128_GCM";
  }
  return "";
}

Result<SrtpKeyMaterial> parseSdesKeyParams(std::string_view suite, std::string_view key_params) {
  std::optional<SrtpSuite> parsed_suite = srtpSuiteByName(suite);
  if (!parsed_suite) {
    return Error::invalid("crypto-suite", "unsupported crypto suite '" + std::string(suite) + "'");
  }
  if (key_params.find(';') != std::string_view::npos) {
    return Error::invalid("key-params", "several master keys in one a=crypto are not supported");
  }
  constexpr std::string_view Inline = "inline:";
  if (!key_params.starts_with(Inline)) {
    return Error::invalid("key-params", "the key method is not 'inline:'");
  }
  key_params.remove_prefix(Inline.size());

  // key||salt [ "|" lifetime ] [ "|" MKI ":" length ]
  std::string_view fields[3];
  std::size_t field_count = 0;
  while (true) {
    if (field_count == 3) {
      return Error::invalid("key-params", "too many '|' fields after the key");
    }
    std::size_t bar = key_params.find('|');
    fields[field_count++] = key_params.substr(0, bar);
    if (bar == std::string_view::npos) {
      break;
    }
    key_params.remove_prefix(bar + 1);
  }

  SrtpKeyMaterial keys;
  keys.suite = *parsed_suite;
  std::size_t expected = srtpKeyAndSaltSize(keys.suite);
  std::optional<std::size_t> decoded = decodeBase64(fields[0], keys.key_and_salt);
  if (!decoded) {
    return Error::invalid("key-params", "the key is not valid base64 of at most 46 bytes");
  }
  if (*decoded != expected) {
    return Error::invalid("key-params", "the key is " + std::to_string(*decoded) + " bytes; " +
                                            std::string(suite) + " needs " +
                                            std::to_string(expected));
  }
  keys.size = expected;

  for (std::size_t i = 1; i < field_count; ++i) {
    std::string_view field = fields[i];
    std::size_t colon = field.find(':');
    if (colon == std::string_view::npos) {
      // Only the first optional field may be a lifetime, and only one lifetime is allowed.
      if (i != 1 || !isValidLifetime(field)) {
        return Error::invalid("key-params", "bad key lifetime '" + std::string(field) + "'");
      }
      continue;
    }
    auto mki = parseDecimal(field.substr(0, colon));
    auto length = parseDecimal(field.substr(colon + 1));
    if (!mki || !length || *length < 1 || *length > 128) {
      return Error::invalid("key-params", "bad MKI '" + std::string(field) + "'");
    }
    if (*length > 4) {
      return Error::invalid("key-params", "an MKI longer than 4 bytes is not supported");
    }
    if (*length < 4 && *mki >= (uint64_t{1} << (8 * *length))) {
      return Error::invalid("key-params", "the MKI value does not fit its length");
    }
    if (*mki > UINT32_MAX || i != field_count - 1) {
      return Error::invalid("key-params", "bad MKI '" + std::string(field) + "'");
    }
    keys.mki = static_cast<uint32_t>(*mki);
    keys.mki_length = static_cast<uint8_t>(*length);
  }
  return keys;
}

SrtpKeyMaterial randomKeyMaterial(SrtpSuite suite) {
  SrtpKeyMaterial keys;
  keys.suite = suite;
  keys.size = srtpKeyAndSaltSize(suite);
  if (RAND_bytes(keys.key_and_salt.data(), static_cast<int>(keys.size)) != 1) {
    // OpenSSL's DRBG only fails when the OS has no entropy; a guessable key is worse than none.
    KEFU_BUG("RAND_bytes failed while making SRTP keys");
    keys.size = 0;
  }
  return keys;
}

std::string sdesKeyParams(const SrtpKeyMaterial& keys) {
  std::string text = "inline:";
  text += encodeBase64(std::span<const uint8_t>(keys.key_and_salt.data(), keys.size));
  if (keys.mki_length > 0) {
    text += '|';
    text += std::to_string(keys.mki);
    text += ':';
    text += std::to_string(keys.mki_length);
  }
  return text;
}

}  // namespace kefu::media
