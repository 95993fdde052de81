#include "privacy/key_ring.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "privacy/sodium_init.h"

namespace kefu::privacy {
namespace {

std::string toHex(const SecretKey& key) {
  std::string out(key.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), key.data(), key.size());
  out.pop_back();
  return out;
}

bool fromHex(std::string_view hex, SecretKey& key) {
  std::size_t length = 0;
  const char* end = nullptr;
  return hex.size() == key.size() * 2 &&
         sodium_hex2bin(key.data(), key.size(), hex.data(), hex.size(), nullptr, &length, &end) ==
             0 &&
         length == key.size() && end == hex.data() + hex.size();
}

SecretKey randomKey() {
  SecretKey key;
  randombytes_buf(key.data(), key.size());
  return key;
}

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) {
      ++i;
    }
    std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') {
      ++i;
    }
    if (i > start) {
      out.push_back(line.substr(start, i - start));
    }
  }
  return out;
}

Error lineError(int number, std::string message) {
  return Error::invalid("privacy.key_file", "line " + std::to_string(number) + ": " + message);
}

}  // namespace

KeyRing KeyRing::generate() {
  ensureSodium();
  KeyRing ring;
  ring.has_token_key_ = true;
  ring.token_key_ = randomKey();
  ring.data_keys_.emplace(1, randomKey());
  return ring;
}

Result<KeyRing> KeyRing::parse(std::string_view text) {
  ensureSodium();
  KeyRing ring;
  int number = 0;
  while (!text.empty()) {
    ++number;
    auto newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
    if (auto hash = line.find('#'); hash != std::string_view::npos) {
      line = line.substr(0, hash);
    }
    auto w = words(line);
    if (w.empty()) {
      continue;
    }
    if (w[0] == "token" && w.size() == 2) {
      if (ring.has_token_key_) {
        return lineError(number, "a second token key");
      }
      if (!fromHex(w[1], ring.token_key_)) {
        return lineError(number, "the token key must be 64 hex digits");
      }
      ring.has_token_key_ = true;
    } else if (w[0] == "data" && w.size() == 3) {
      std::uint32_t id = 0;
      for (char c : w[1]) {
        if (c < '0' || c > '9' || id > 100000000) {
          return lineError(number, "a data key id must be a number from 1");
        }
        id = id * 10 + static_cast<std::uint32_t>(c - '0');
      }
      SecretKey key;
      if (id == 0 || !fromHex(w[2], key)) {
        return lineError(number, "expected: data <id from 1> <64 hex digits>");
      }
      if (!ring.data_keys_.emplace(id, key).second) {
        return lineError(number, "data key " + std::to_string(id) + " appears twice");
      }
    } else {
      return lineError(number, "expected `token <hex>` or `data <id> <hex>`");
    }
  }
  if (!ring.has_token_key_ && ring.data_keys_.empty()) {
    return Error::invalid("privacy.key_file", "the key file holds no key");
  }
  return ring;
}

Result<KeyRing> KeyRing::load(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error{ErrorCode::Unavailable, "cannot read key file " + path.string(),
                 "privacy.key_file"};
  }
  std::stringstream text;
  text << in.rdbuf();
  auto ring = parse(text.str());
  if (!ring.ok()) {
    Error e = ring.error();
    e.message = path.string() + ": " + e.message;
    return e;
  }
  return ring;
}

KeyRing KeyRing::withNewDataKey() const {
  ensureSodium();
  KeyRing next = *this;
  next.data_keys_.emplace(currentDataKeyId() + 1, randomKey());
  return next;
}

KeyRing KeyRing::tokenOnly() const {
  KeyRing ring;
  ring.has_token_key_ = has_token_key_;
  ring.token_key_ = token_key_;
  return ring;
}

std::string KeyRing::format() const {
  std::string out = "# Kefu privacy keys. Keep secret; back up before `kefu keys rotate`.\n";
  if (has_token_key_) {
    out += "token " + toHex(token_key_) + "\n";
  }
  for (const auto& [id, key] : data_keys_) {
    out += "data " + std::to_string(id) + " " + toHex(key) + "\n";
  }
  return out;
}

Result<void> KeyRing::save(const std::filesystem::path& path) const {
  const std::string temp = path.string() + ".tmp" + std::to_string(::getpid());
  const std::string text = format();
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Error{ErrorCode::Unavailable, "cannot write " + temp + ": " + std::strerror(errno),
                 "privacy.key_file"};
  }
  bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                 ::fsync(fd) == 0;
  ::close(fd);
  if (!written || ::rename(temp.c_str(), path.c_str()) != 0) {
    ::unlink(temp.c_str());
    return Error{ErrorCode::Unavailable, "cannot write " + path.string(), "privacy.key_file"};
  }
  return {};
}

std::uint32_t KeyRing::currentDataKeyId() const {
  return data_keys_.empty() ? 0 : data_keys_.rbegin()->first;
}

const SecretKey* KeyRing::dataKey(std::uint32_t id) const {
  auto it = data_keys_.find(id);
  return it == data_keys_.end() ? nullptr : &it->second;
}

Result<KeyRing> loadOrCreateKeyRing(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    return KeyRing::load(path);
  }
  if (path.has_parent_path()) {
    std::filesystem::create_directories(path.parent_path(), ec);
  }
  const std::string temp = path.string() + ".new" + std::to_string(::getpid());
  KEFU_TRY(KeyRing::generate().save(temp));
  // link() fails when the file appeared meanwhile: then the other process's ring wins.
  if (::link(temp.c_str(), path.c_str()) != 0 && errno != EEXIST) {
    ::unlink(temp.c_str());
    return Error{ErrorCode::Unavailable, "cannot create key file " + path.string(),
                 "privacy.key_file"};
  }
  ::unlink(temp.c_str());
  return KeyRing::load(path);
}

}  // namespace kefu::privacy
