#include "media/stun.h"

#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstring>

#include "media/internal/byte_order.h"

namespace kefu::media {
namespace {

using internal::load16;
using internal::load32;
using internal::load64;
using internal::store16;
using internal::store32;

constexpr std::size_t HeaderSize = 20;
constexpr uint32_t MagicCookie = 0x2112a442;
constexpr uint32_t FingerprintXor = 0x5354554e;
constexpr std::size_t IntegritySize = 20;

constexpr uint16_t Username = 0x0006;
constexpr uint16_t MessageIntegrity = 0x0008;
constexpr uint16_t ErrorCodeAttribute = 0x0009;
constexpr uint16_t XorMappedAddress = 0x0020;
constexpr uint16_t Priority = 0x0024;
constexpr uint16_t UseCandidate = 0x0025;
constexpr uint16_t Fingerprint = 0x8028;
constexpr uint16_t IceControlled = 0x8029;
constexpr uint16_t IceControlling = 0x802a;

// USERNAME may hold up to 513 bytes (RFC 5389 section 15.3).
constexpr std::size_t MaxUsername = 513;

// The CRC-32 of ISO 3309 / ITU-T V.42 (reflected polynomial 0xedb88320) that FINGERPRINT uses.
constexpr std::array<uint32_t, 256> makeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int bit = 0; bit < 8; ++bit) {
      c = (c & 1) != 0 ? 0xedb88320U ^ (c >> 1) : c >> 1;
    }
    table[i] = c;
  }
  return table;
}
constexpr std::array<uint32_t, 256> CrcTable = makeCrcTable();

uint32_t crc32Update(uint32_t crc, std::span<const uint8_t> bytes) {
  for (uint8_t b : bytes) {
    crc = CrcTable[(crc ^ b) & 0xff] ^ (crc >> 8);
  }
  return crc;
}

std::optional<StunMessage> fail(StunError* error, StunError what) {
  if (error != nullptr) {
    *error = what;
  }
  return std::nullopt;
}

/**
 * HMAC-SHA1 over `prefix` (the message up to MESSAGE-INTEGRITY) with its header length field
 * replaced by `length`, as RFC 5389 section 15.4 defines it. @return false when OpenSSL fails.
 */
bool integrityOf(std::span<const uint8_t> prefix, uint16_t length, std::string_view key,
                 std::array<uint8_t, IntegritySize>& mac) {
  // One-shot HMAC() wants contiguous input, so the header copy with the patched length is
  // fed through an EVP_MAC context instead of copying the whole message.
  // Fetching the algorithm searches OpenSSL's provider tables; do it once per process. The
  // EVP_MAC is immutable and may be shared between threads; each call gets its own context.
  static EVP_MAC* const HmacAlgorithm = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (HmacAlgorithm == nullptr) {
    return false;
  }
  EVP_MAC_CTX* context = EVP_MAC_CTX_new(HmacAlgorithm);
  if (context == nullptr) {
    return false;
  }
  char digest[] = "SHA1";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string("digest", digest, 0),
      OSSL_PARAM_construct_end(),
  };
  std::array<uint8_t, 4> head{prefix[0], prefix[1], static_cast<uint8_t>(length >> 8),
                              static_cast<uint8_t>(length)};
  std::size_t mac_size = 0;
  const bool ok = EVP_MAC_init(context, reinterpret_cast<const unsigned char*>(key.data()),
                               key.size(), params) == 1 &&
                  EVP_MAC_update(context, head.data(), head.size()) == 1 &&
                  EVP_MAC_update(context, prefix.data() + 4, prefix.size() - 4) == 1 &&
                  EVP_MAC_final(context, mac.data(), &mac_size, mac.size()) == 1 &&
                  mac_size == mac.size();
  EVP_MAC_CTX_free(context);
  return ok;
}

/** Writes the header and remembers where attributes go; every writer below appends to it. */
class StunWriter {
 public:
  StunWriter(std::span<uint8_t> out, uint16_t type, std::span<const uint8_t, 12> transaction_id)
      : out_(out) {
    ok_ = out_.size() >= HeaderSize;
    if (ok_) {
      store16(out_, 0, type);
      store16(out_, 2, 0);
      store32(out_, 4, MagicCookie);
      std::copy(transaction_id.begin(), transaction_id.end(), out_.begin() + 8);
    }
  }

  /** @return the start of an attribute's value with `size` bytes, zero-padded; nullopt if full. */
  std::optional<std::span<uint8_t>> attribute(uint16_t type, std::size_t size) {
    const std::size_t padded = (size + 3) / 4 * 4;
    if (!ok_ || size > 0xffff || at_ + 4 + padded > out_.size()) {
      ok_ = false;
      return std::nullopt;
    }
    store16(out_, at_, type);
    store16(out_, at_ + 2, static_cast<uint16_t>(size));
    std::span<uint8_t> value = out_.subspan(at_ + 4, padded);
    std::fill(value.begin(), value.end(), uint8_t{0});
    at_ += 4 + padded;
    setLength(at_ - HeaderSize);
    return value.first(size);
  }

  void bytes(uint16_t type, std::span<const uint8_t> value) {
    if (auto out = attribute(type, value.size())) {
      std::copy(value.begin(), value.end(), out->begin());
    }
  }

  void text(uint16_t type, std::string_view value) {
    bytes(type, {reinterpret_cast<const uint8_t*>(value.data()), value.size()});
  }

  void u32(uint16_t type, uint32_t value) {
    if (auto out = attribute(type, 4)) {
      store32(*out, 0, value);
    }
  }

  void u64(uint16_t type, uint64_t value) {
    if (auto out = attribute(type, 8)) {
      store32(*out, 0, static_cast<uint32_t>(value >> 32));
      store32(*out, 4, static_cast<uint32_t>(value));
    }
  }

  /** Appends MESSAGE-INTEGRITY computed with `key` over everything before it. */
  void integrity(std::string_view key) {
    const std::size_t prefix_size = at_;
    if (auto out = attribute(MessageIntegrity, IntegritySize)) {
      std::array<uint8_t, IntegritySize> mac{};
      ok_ = integrityOf(out_.first(prefix_size), static_cast<uint16_t>(at_ - HeaderSize), key, mac);
      std::copy(mac.begin(), mac.end(), out->begin());
    }
  }

  /** Appends FINGERPRINT; it must be the last attribute. */
  void fingerprint() {
    const std::size_t prefix_size = at_;
    if (auto out = attribute(Fingerprint, 4)) {
      const uint32_t crc = ~crc32Update(0xffffffffU, out_.first(prefix_size));
      store32(*out, 0, crc ^ FingerprintXor);
    }
  }

  /** @return the message length, 0 when anything did not fit. */
  std::size_t finish() const { return ok_ ? at_ : 0; }

 private:
  void setLength(std::size_t length) { store16(out_, 2, static_cast<uint16_t>(length)); }

  std::span<uint8_t> out_;
  std::size_t at_ = HeaderSize;
  bool ok_ = false;
};

/** Walks the attributes of a message whose header is valid; stops at a malformed one. */
template <class Visit>
bool forEachAttribute(std::span<const uint8_t> packet, Visit&& visit) {
  std::size_t at = HeaderSize;
  while (at < packet.size()) {
    if (packet.size() - at < 4) {
      return false;
    }
    const uint16_t type = load16(packet, at);
    const std::size_t size = load16(packet, at + 2);
    const std::size_t padded = (size + 3) / 4 * 4;
    if (padded > packet.size() - at - 4) {
      return false;
    }
    if (!visit(type, at, packet.subspan(at + 4, size))) {
      return true;
    }
    at += 4 + padded;
  }
  return true;
}

}  // namespace

std::optional<StunMessage> parseStun(std::span<const uint8_t> packet, StunError* error) {
  if (packet.size() < HeaderSize) {
    return fail(error, StunError::TooShort);
  }
  if ((packet[0] & 0xc0) != 0 || load32(packet, 4) != MagicCookie) {
    return fail(error, StunError::NotStun);
  }
  const std::size_t length = load16(packet, 2);
  if (length % 4 != 0 || length != packet.size() - HeaderSize) {
    return fail(error, StunError::BadLength);
  }
  StunMessage message;
  message.type = load16(packet, 0);
  std::copy_n(packet.begin() + 8, 12, message.transaction_id.begin());

  bool bad_attribute = false;
  bool bad_fingerprint = false;
  bool after_integrity = false;
  const bool walked =
      forEachAttribute(packet, [&](uint16_t type, std::size_t at, std::span<const uint8_t> value) {
        if (message.has_fingerprint) {
          // FINGERPRINT must be the last attribute (RFC 5389 section 15.5).
          bad_attribute = true;
          return false;
        }
        if (type == Fingerprint) {
          if (value.size() != 4) {
            bad_attribute = true;
            return false;
          }
          const uint32_t crc = ~crc32Update(0xffffffffU, packet.first(at));
          bad_fingerprint = (crc ^ FingerprintXor) != load32(value, 0);
          message.has_fingerprint = true;
          return true;
        }
        if (after_integrity) {
          // Anything but FINGERPRINT after MESSAGE-INTEGRITY is ignored (section 15.4).
          return true;
        }
        switch (type) {
          case Username:
            if (value.size() > MaxUsername) {
              bad_attribute = true;
              return false;
            }
            message.username = {reinterpret_cast<const char*>(value.data()), value.size()};
            break;
          case MessageIntegrity:
            if (value.size() != IntegritySize) {
              bad_attribute = true;
              return false;
            }
            message.has_integrity = true;
            after_integrity = true;
            break;
          case Priority:
            if (value.size() != 4) {
              bad_attribute = true;
              return false;
            }
            message.priority = load32(value, 0);
            break;
          case UseCandidate:
            message.use_candidate = true;
            break;
          case IceControlled:
          case IceControlling:
            if (value.size() != 8) {
              bad_attribute = true;
              return false;
            }
            (type == IceControlled ? message.ice_controlled : message.ice_controlling) =
                load64(value, 0);
            break;
          case ErrorCodeAttribute:
            if (value.size() < 4) {
              bad_attribute = true;
              return false;
            }
            message.error_code = (value[2] & 0x07) * 100 + value[3];
            break;
          default:
            // Unknown comprehension-optional or -required attributes are not our concern for
            // Binding: ICE-lite answers them anyway.
            break;
        }
        return true;
      });
  if (!walked || bad_attribute) {
    return fail(error, StunError::BadAttribute);
  }
  if (bad_fingerprint) {
    return fail(error, StunError::BadFingerprint);
  }
  return message;
}

bool checkStunIntegrity(std::span<const uint8_t> packet, std::string_view key) {
  if (packet.size() < HeaderSize || load16(packet, 2) != packet.size() - HeaderSize) {
    return false;
  }
  bool found = false;
  bool match = false;
  forEachAttribute(packet, [&](uint16_t type, std::size_t at, std::span<const uint8_t> value) {
    if (type != MessageIntegrity) {
      return true;
    }
    found = true;
    if (value.size() != IntegritySize) {
      return false;
    }
    std::array<uint8_t, IntegritySize> mac{};
    const auto length = static_cast<uint16_t>(at + 4 + IntegritySize - HeaderSize);
    if (integrityOf(packet.first(at), length, key, mac)) {
      // Constant time, so a forger learns nothing from how long the comparison took.
      match = CRYPTO_memcmp(mac.data(), value.data(), mac.size()) == 0;
    }
    return false;
  });
  return found && match;
}

std::size_t writeBindingSuccess(const StunMessage& request, const sockaddr_storage& mapped,
                                std::string_view key, std::span<uint8_t> out) {
  StunWriter writer(out, StunBindingSuccess, request.transaction_id);
  // XOR-MAPPED-ADDRESS (section 15.2): the port is XORed with the cookie's top half, an IPv4
  // address with the cookie, an IPv6 address with the cookie and transaction id.
  std::array<uint8_t, 16> mask{};
  store32(mask, 0, MagicCookie);
  std::copy(request.transaction_id.begin(), request.transaction_id.end(), mask.begin() + 4);
  if (mapped.ss_family == AF_INET) {
    sockaddr_in address{};
    std::memcpy(&address, &mapped, sizeof(address));
    if (auto value = writer.attribute(XorMappedAddress, 8)) {
      (*value)[1] = 0x01;
      store16(*value, 2, static_cast<uint16_t>(ntohs(address.sin_port) ^ (MagicCookie >> 16)));
      const auto* ip = reinterpret_cast<const uint8_t*>(&address.sin_addr);
      for (std::size_t i = 0; i < 4; ++i) {
        (*value)[4 + i] = ip[i] ^ mask[i];
      }
    }
  } else if (mapped.ss_family == AF_INET6) {
    sockaddr_in6 address{};
    std::memcpy(&address, &mapped, sizeof(address));
    if (auto value = writer.attribute(XorMappedAddress, 20)) {
      (*value)[1] = 0x02;
      store16(*value, 2, static_cast<uint16_t>(ntohs(address.sin6_port) ^ (MagicCookie >> 16)));
      const auto* ip = reinterpret_cast<const uint8_t*>(&address.sin6_addr);
      for (std::size_t i = 0; i < 16; ++i) {
        (*value)[4 + i] = ip[i] ^ mask[i];
      }
    }
  } else {
    return 0;
  }
  writer.integrity(key);
  writer.fingerprint();
  return writer.finish();
}

std::size_t writeBindingError(const StunMessage& request, int code, std::string_view reason,
                              std::string_view key, std::span<uint8_t> out) {
  StunWriter writer(out, StunBindingError, request.transaction_id);
  // The reason phrase is at most 127 characters (section 15.6); longer ones are cut.
  const std::string_view phrase = reason.substr(0, std::min<std::size_t>(reason.size(), 127));
  const int clamped = std::clamp(code, 300, 699);
  if (auto value = writer.attribute(ErrorCodeAttribute, 4 + phrase.size())) {
    (*value)[2] = static_cast<uint8_t>(clamped / 100);
    (*value)[3] = static_cast<uint8_t>(clamped % 100);
    std::copy(phrase.begin(), phrase.end(), value->begin() + 4);
  }
  if (!key.empty()) {
    writer.integrity(key);
  }
  writer.fingerprint();
  return writer.finish();
}

std::size_t writeBindingRequest(std::span<const uint8_t, 12> transaction_id,
                                std::string_view username, std::string_view key, uint32_t priority,
                                bool use_candidate, uint64_t tie_breaker, std::span<uint8_t> out) {
  if (username.size() > MaxUsername) {
    return 0;
  }
  StunWriter writer(out, StunBindingRequest, transaction_id);
  writer.text(Username, username);
  writer.u32(Priority, priority);
  writer.u64(IceControlling, tie_breaker);
  if (use_candidate) {
    writer.attribute(UseCandidate, 0);
  }
  writer.integrity(key);
  writer.fingerprint();
  return writer.finish();
}

}  // namespace kefu::media
