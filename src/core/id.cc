#include "core/id.h"

#include <sys/random.h>

#include <array>
#include <cstdint>
#include <stdexcept>

namespace kefu {
namespace {

void fillRandom(std::uint8_t* out, std::size_t n) {
  while (n > 0) {
    ssize_t got = getrandom(out, n, 0);
    if (got < 0) {
      throw std::runtime_error("getrandom failed");
    }
    out += got;
    n -= static_cast<std::size_t>(got);
  }
}

constexpr char Crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

}  // namespace

std::string newId(std::string_view prefix, const TimeSource& time) {
  std::array<std::uint8_t, 16> bytes{};
  auto ms = static_cast<std::uint64_t>(toUnixMillis(time.systemTime()));
  for (int i = 0; i < 6; ++i) {
    bytes[i] = static_cast<std::uint8_t>(ms >> (40 - 8 * i));
  }
  fillRandom(bytes.data() + 6, 10);
  // 128 bits as 26 base32 digits, most significant first (the first digit holds 3 bits).
  std::string id(prefix);
  id.push_back('_');
  unsigned __int128 v = 0;
  for (auto b : bytes) {
    v = (v << 8) | b;
  }
  char digits[26];
  for (int i = 25; i >= 0; --i) {
    digits[i] = Crockford[static_cast<unsigned>(v & 31)];
    v >>= 5;
  }
  id.append(digits, 26);
  return id;
}

std::string randomHex(std::size_t n) {
  std::string raw(n, '\0');
  fillRandom(reinterpret_cast<std::uint8_t*>(raw.data()), n);
  static constexpr char Hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (unsigned char c : raw) {
    out.push_back(Hex[c >> 4]);
    out.push_back(Hex[c & 15]);
  }
  return out;
}

}  // namespace kefu
