#include "privacy/tokenizer.h"

#include <sodium.h>

#include <cctype>

#include "privacy/sodium_init.h"

namespace kefu::privacy {

std::string_view toString(IdentifierKind kind) {
  return kind == IdentifierKind::Phone ? "phone" : "id_number";
}

std::optional<std::string> normalizePhone(std::string_view phone) {
  std::string out;
  for (std::size_t i = 0; i < phone.size(); ++i) {
    char c = phone[i];
    if (c >= '0' && c <= '9') {
      out += c;
    } else if (c == '+' && out.empty() && i == phone.find_first_not_of(' ')) {
      out += c;
    } else if (c != ' ' && c != '-' && c != '(' && c != ')' && c != '.') {
      return std::nullopt;
    }
  }
  const std::size_t digits = out.size() - (out.starts_with('+') ? 1 : 0);
  if (digits < 3 || digits > 20) {
    return std::nullopt;
  }
  return out;
}

std::optional<std::string> normalizeIdNumber(std::string_view id_number) {
  std::string out;
  for (char c : id_number) {
    if (c == ' ') {
      continue;
    }
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      return std::nullopt;
    }
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (out.size() < 4 || out.size() > 32) {
    return std::nullopt;
  }
  return out;
}

std::string Tokenizer::token(IdentifierKind kind, std::string_view normalized) const {
  ensureSodium();
  const std::string_view name = toString(kind);
  unsigned char hash[16];
  crypto_generichash_state state;
  crypto_generichash_init(&state, key_.data(), key_.size(), sizeof hash);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(name.data()),
                            name.size());
  const unsigned char separator = 0;
  crypto_generichash_update(&state, &separator, 1);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(normalized.data()),
                            normalized.size());
  crypto_generichash_final(&state, hash, sizeof hash);
  char hex[sizeof hash * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
  return "tk_" + std::string(kind == IdentifierKind::Phone ? "ph" : "id") + "_" + hex;
}

std::optional<std::string> Tokenizer::phoneToken(std::string_view phone) const {
  auto normalized = normalizePhone(phone);
  if (!normalized) {
    return std::nullopt;
  }
  return token(IdentifierKind::Phone, *normalized);
}

std::optional<std::string> Tokenizer::idNumberToken(std::string_view id_number) const {
  auto normalized = normalizeIdNumber(id_number);
  if (!normalized) {
    return std::nullopt;
  }
  return token(IdentifierKind::IdNumber, *normalized);
}

}  // namespace kefu::privacy
