#include "privacy/masking.h"

#include <vector>

namespace kefu::privacy {
namespace {

/** @return `s` split into UTF-8 characters (a malformed byte counts as one character). */
std::vector<std::string_view> characters(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    const auto lead = static_cast<unsigned char>(s[i]);
    std::size_t length = lead < 0x80    ? 1
                         : lead >= 0xF0 ? 4
                         : lead >= 0xE0 ? 3
                         : lead >= 0xC0 ? 2
                                        : 1;
    if (i + length > s.size()) {
      length = 1;
    }
    out.push_back(s.substr(i, length));
    i += length;
  }
  return out;
}

/** @return the first `head` and last `tail` characters of `s`, the rest as `*`. */
std::string keepEnds(std::string_view s, std::size_t head, std::size_t tail) {
  auto chars = characters(s);
  if (chars.size() <= head + tail) {
    return std::string(chars.size(), '*');
  }
  std::string out;
  for (std::size_t i = 0; i < chars.size(); ++i) {
    if (i < head || i >= chars.size() - tail) {
      out += chars[i];
    } else {
      out += '*';
    }
  }
  return out;
}

}  // namespace

std::string maskPhone(std::string_view phone) { return keepEnds(phone, 3, 4); }

std::string maskIdNumber(std::string_view id_number) { return keepEnds(id_number, 3, 4); }

std::string maskName(std::string_view name) {
  auto chars = characters(name);
  if (chars.empty()) {
    return {};
  }
  return std::string(chars.front()) + std::string(chars.size() - 1, '*');
}

std::string maskAccount(std::string_view account) {
  auto chars = characters(account);
  if (chars.size() <= 4) {
    return std::string(chars.size(), '*');
  }
  std::string out = "****";
  for (std::size_t i = chars.size() - 4; i < chars.size(); ++i) {
    out += chars[i];
  }
  return out;
}

}  // namespace kefu::privacy
