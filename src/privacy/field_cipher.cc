#include "privacy/field_cipher.h"

#include <sodium.h>

#include <vector>

#include "privacy/sodium_init.h"

namespace kefu::privacy {
namespace {

constexpr std::string_view Prefix = "enc1:";
constexpr std::size_t NonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t TagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr int Base64Variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;

struct Parsed {
  std::uint32_t key_id = 0;
  std::string_view body;  // base64url
};

/** @return the key id and body of a sealed value, or key_id 0 when it is not one. */
Parsed parse(std::string_view text) {
  if (!text.starts_with(Prefix)) {
    return {};
  }
  text.remove_prefix(Prefix.size());
  auto colon = text.find(':');
  if (colon == 0 || colon == std::string_view::npos || colon > 9) {
    return {};
  }
  std::uint32_t id = 0;
  for (char c : text.substr(0, colon)) {
    if (c < '0' || c > '9') {
      return {};
    }
    id = id * 10 + static_cast<std::uint32_t>(c - '0');
  }
  std::string_view body = text.substr(colon + 1);
  // The smallest sealed value carries a nonce and a tag: 40 bytes, 54 base64 characters.
  if (body.size() < sodium_base64_ENCODED_LEN(NonceBytes + TagBytes, Base64Variant) - 1) {
    return {};
  }
  for (char c : body) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) {
      return {};
    }
  }
  return {id, body};
}

}  // namespace

std::uint32_t FieldCipher::keyIdOf(std::string_view text) { return parse(text).key_id; }

Result<std::string> FieldCipher::seal(std::string_view plain, std::string_view context) const {
  ensureSodium();
  const std::uint32_t id = ring_.currentDataKeyId();
  const SecretKey* key = ring_.dataKey(id);
  if (key == nullptr) {
    return Error::internal("no data key: this site cannot encrypt personal data");
  }
  std::vector<unsigned char> box(NonceBytes + plain.size() + TagBytes);
  randombytes_buf(box.data(), NonceBytes);
  unsigned long long length = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      box.data() + NonceBytes, &length, reinterpret_cast<const unsigned char*>(plain.data()),
      plain.size(), reinterpret_cast<const unsigned char*>(context.data()), context.size(), nullptr,
      box.data(), key->data());
  std::string encoded(sodium_base64_ENCODED_LEN(box.size(), Base64Variant), '\0');
  sodium_bin2base64(encoded.data(), encoded.size(), box.data(), box.size(), Base64Variant);
  encoded.pop_back();  // the terminating NUL
  return std::string(Prefix) + std::to_string(id) + ":" + encoded;
}

Result<std::string> FieldCipher::open(std::string_view sealed, std::string_view context) const {
  ensureSodium();
  Parsed parsed = parse(sealed);
  if (parsed.key_id == 0) {
    return Error::invalid("value", "not a sealed value");
  }
  const SecretKey* key = ring_.dataKey(parsed.key_id);
  if (key == nullptr) {
    return Error::notFound("data key " + std::to_string(parsed.key_id) + " is not in the key file");
  }
  std::vector<unsigned char> box(parsed.body.size());
  std::size_t length = 0;
  if (sodium_base642bin(box.data(), box.size(), parsed.body.data(), parsed.body.size(), nullptr,
                        &length, nullptr, Base64Variant) != 0 ||
      length < NonceBytes + TagBytes) {
    return Error::invalid("value", "a sealed value's body is not valid base64");
  }
  std::string plain(length - NonceBytes - TagBytes, '\0');
  unsigned long long plain_length = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(plain.data()), &plain_length, nullptr,
          box.data() + NonceBytes, length - NonceBytes,
          reinterpret_cast<const unsigned char*>(context.data()), context.size(), box.data(),
          key->data()) != 0) {
    return Error::invalid("value", "a sealed value does not open (tampered, or moved)");
  }
  plain.resize(plain_length);
  return plain;
}

}  // namespace kefu::privacy
