#include "sip/refer_to.h"

#include <algorithm>
#include <cctype>

#include "core/percent_decode.h"

namespace kefu::sip {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

bool equalsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// @return whether `uri` starts with a URI scheme followed by ':' (RFC 3986 3.1).
bool hasScheme(std::string_view uri) {
  const auto colon = uri.find(':');
  if (colon == std::string_view::npos || colon == 0 ||
      !std::isalpha(static_cast<unsigned char>(uri[0]))) {
    return false;
  }
  return std::all_of(uri.begin(), uri.begin() + static_cast<std::ptrdiff_t>(colon), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
  });
}

}  // namespace

std::optional<ReplacesTarget> parseReplaces(std::string_view value) {
  if (value.size() > MaxReferToSize) {
    return std::nullopt;
  }
  ReplacesTarget target;
  const auto first = value.find(';');
  target.call_id = std::string(trim(value.substr(0, first)));
  std::string_view rest =
      first == std::string_view::npos ? std::string_view() : value.substr(first);
  while (!rest.empty()) {
    rest.remove_prefix(1);  // the ';'
    const auto end = rest.find(';');
    const std::string_view param = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    const auto eq = param.find('=');
    const std::string_view name = trim(param.substr(0, eq));
    const std::string_view val =
        eq == std::string_view::npos ? std::string_view() : trim(param.substr(eq + 1));
    if (equalsNoCase(name, "to-tag")) {
      target.to_tag = std::string(val);
    } else if (equalsNoCase(name, "from-tag")) {
      target.from_tag = std::string(val);
    }
  }
  if (target.call_id.empty() || target.to_tag.empty() || target.from_tag.empty() ||
      target.call_id.find_first_of(" \t\r\n") != std::string::npos) {
    return std::nullopt;
  }
  return target;
}

std::optional<ReferTarget> parseReferTo(std::string_view value) {
  if (value.size() > MaxReferToSize) {
    return std::nullopt;
  }
  value = trim(value);
  std::string_view uri;
  const auto open = value.find('<');
  if (open != std::string_view::npos) {
    const auto close = value.find('>', open);
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    uri = trim(value.substr(open + 1, close - open - 1));
  } else {
    // Without angle brackets the URI cannot carry headers or parameters of its own (RFC 3261
    // 20.10), so everything from the first ';' belongs to the header.
    uri = trim(value.substr(0, value.find(';')));
  }
  if (uri.empty() || !hasScheme(uri)) {
    return std::nullopt;
  }
  ReferTarget target;
  const auto question = uri.find('?');
  target.uri = std::string(uri.substr(0, question));
  if (question == std::string_view::npos) {
    return target;
  }
  std::string_view headers = uri.substr(question + 1);
  while (!headers.empty()) {
    const auto amp = headers.find('&');
    const std::string_view header = headers.substr(0, amp);
    headers = amp == std::string_view::npos ? std::string_view() : headers.substr(amp + 1);
    const auto eq = header.find('=');
    if (eq == std::string_view::npos || !equalsNoCase(header.substr(0, eq), "replaces")) {
      continue;
    }
    auto decoded = percentDecode(header.substr(eq + 1));
    if (!decoded) {
      return std::nullopt;
    }
    auto replaces = parseReplaces(*decoded);
    if (!replaces) {
      return std::nullopt;
    }
    target.replaces = std::move(*replaces);
  }
  return target;
}

}  // namespace kefu::sip
