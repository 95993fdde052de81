#include "call/internal/sip_text.h"

#include <algorithm>
#include <cctype>

#include "media/sdp.h"

namespace kefu::call::internal {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) {
    text.remove_suffix(1);
  }
  return text;
}

std::optional<char> dtmfChar(std::string_view text) {
  text = trim(text);
  if (text.size() != 1) {
    // Some phones send the RFC 4733 event number ("10" for '*', "11" for '#').
    if (text == "10") {
      return '*';
    }
    if (text == "11") {
      return '#';
    }
    return std::nullopt;
  }
  char c = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
  if ((c >= '0' && c <= '9') || c == '*' || c == '#' || (c >= 'A' && c <= 'D')) {
    return c;
  }
  return std::nullopt;
}

}  // namespace

std::string uriUser(std::string_view uri) {
  uri = trim(uri);
  if (!uri.empty() && uri.front() == '<') {
    uri.remove_prefix(1);
    auto end = uri.find('>');
    uri = uri.substr(0, end);
  }
  auto colon = uri.find(':');
  if (colon == std::string_view::npos) {
    return {};
  }
  auto rest = uri.substr(colon + 1);
  auto at = rest.find('@');
  if (at == std::string_view::npos) {
    return {};
  }
  auto user = rest.substr(0, at);
  // user;param (RFC 3261 telephone-subscriber parameters) are not part of the number.
  user = user.substr(0, user.find(';'));
  return std::string(user);
}

std::optional<char> infoDigit(std::string_view content_type, std::string_view body) {
  auto type = lower(trim(content_type.substr(0, content_type.find(';'))));
  if (type == "application/dtmf") {
    return dtmfChar(body);
  }
  if (type != "application/dtmf-relay") {
    return std::nullopt;
  }
  std::size_t pos = 0;
  while (pos < body.size()) {
    auto end = body.find('\n', pos);
    auto line =
        body.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    pos = end == std::string_view::npos ? body.size() : end + 1;
    auto eq = line.find('=');
    if (eq == std::string_view::npos) {
      continue;
    }
    if (lower(trim(line.substr(0, eq))) == "signal") {
      return dtmfChar(line.substr(eq + 1));
    }
  }
  return std::nullopt;
}

std::optional<bool> offerHolds(std::string_view sdp) {
  auto parsed = media::parseSdp(sdp);
  if (!parsed) {
    return std::nullopt;
  }
  for (const auto& m : parsed->media) {
    if (m.type != "audio") {
      continue;
    }
    return m.direction == media::Direction::SendOnly || m.direction == media::Direction::Inactive ||
           m.connection_address == "0.0.0.0";
  }
  return std::nullopt;
}

}  // namespace kefu::call::internal
