#include "server/config.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <type_traits>

#include "privacy/residency_policy.h"

namespace kefu::server {
namespace {

using namespace std::chrono_literals;

// Access to one member of a Config, for both a `Config&` and a `const Config&`.
#define KEFU_CONFIG_FIELD(path) \
  [](auto& config) -> auto& { return config.path; }

constexpr std::array AllSiteRoles = {SiteRole::All, SiteRole::Core, SiteRole::Edge};
constexpr std::array AllLogLevels = {LogLevel::Trace, LogLevel::Debug, LogLevel::Info,
                                     LogLevel::Warn,  LogLevel::Error, LogLevel::Off};

/** @return `text` in double quotes, with quotes, backslashes and control bytes escaped. */
std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

Error mustBe(std::string_view key, std::string_view expectation, std::string_view got) {
  return Error::invalid(std::string(key),
                        fmt::format("must be {}, got {}", expectation, quoted(got)));
}

std::optional<std::int64_t> parseInteger(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

std::optional<HostPort> parseHostPort(std::string_view text) {
  std::string_view host;
  std::string_view port;
  bool bracketed = !text.empty() && text.front() == '[';
  if (bracketed) {
    auto close = text.find(']');
    if (close == std::string_view::npos || text.substr(close + 1, 1) != ":") {
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return std::nullopt;
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  auto host_char_ok = [bracketed](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ||
           (bracketed && c == ':');
  };
  if (host.empty() || !std::all_of(host.begin(), host.end(), host_char_ok)) {
    return std::nullopt;
  }
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  auto number = parseInteger(port);
  if (!number || *number > 65535) {
    return std::nullopt;
  }
  return HostPort{std::string(host), static_cast<std::uint16_t>(*number)};
}

/** Parses "90s", "30m", "12h", "2d" and sums like "1h30m". */
std::optional<std::chrono::seconds> parseDuration(std::string_view text) {
  constexpr std::int64_t Limit = std::int64_t{1} << 40;  // far past any sane duration
  if (text.empty()) {
    return std::nullopt;
  }
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      ++i;
    }
    if (i == start || i == text.size()) {
      return std::nullopt;
    }
    auto number = parseInteger(text.substr(start, i - start));
    std::int64_t unit = 0;
    switch (text[i]) {
      case 's':
        unit = 1;
        break;
      case 'm':
        unit = 60;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'd':
        unit = 86400;
        break;
      default:
        return std::nullopt;
    }
    ++i;
    if (!number || *number > Limit / unit) {
      return std::nullopt;
    }
    total += *number * unit;
    if (total > Limit) {
      return std::nullopt;
    }
  }
  return std::chrono::seconds(total);
}

/** @return the shortest text `parseDuration` reads back: "12h", "1m30s". */
std::string formatDuration(std::chrono::seconds duration) {
  std::int64_t left = duration.count();
  if (left == 0) {
    return "0s";
  }
  std::string out;
  for (auto [unit, suffix] : {std::pair{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}}) {
    if (left >= unit) {
      out += std::to_string(left / unit);
      out += suffix;
      left %= unit;
    }
  }
  return out;
}

std::optional<bool> parseBool(std::string_view text) {
  if (text == "true" || text == "yes" || text == "on") {
    return true;
  }
  if (text == "false" || text == "no" || text == "off") {
    return false;
  }
  return std::nullopt;
}

template <class Enum, std::size_t N>
std::string choiceList(const std::array<Enum, N>& values) {
  std::string out;
  for (auto value : values) {
    out += (out.empty() ? "" : ", ") + std::string(toString(value));
  }
  return out;
}

// The kinds of key. Each returns a ConfigKey whose `set` and `get` read and write `field`.

template <class Field>
ConfigKey textKey(std::string_view name, Field field, std::string type, std::string expectation,
                  std::function<bool(std::string_view)> valid, std::string_view doc) {
  ConfigKey key{name, std::move(type), doc};
  key.set = [name, field, expectation, valid](Config& config,
                                              std::string_view text) -> Result<void> {
    if (!valid(text)) {
      return mustBe(name, expectation, text);
    }
    field(config) = std::string(text);
    return {};
  };
  key.get = [field](const Config& config) -> std::optional<std::string> { return field(config); };
  return key;
}

template <class Field>
ConfigKey integerKey(std::string_view name, Field field, std::int64_t min, std::int64_t max,
                     std::string_view doc) {
  ConfigKey key{name, fmt::format("integer {}–{}", min, max), doc};
  key.set = [name, field, min, max](Config& config, std::string_view text) -> Result<void> {
    auto value = parseInteger(text);
    if (!value || *value < min || *value > max) {
      return mustBe(name, fmt::format("an integer between {} and {}", min, max), text);
    }
    using Target = std::remove_reference_t<decltype(field(config))>;
    field(config) = static_cast<Target>(*value);
    return {};
  };
  key.get = [field](const Config& config) -> std::optional<std::string> {
    return std::to_string(field(config));
  };
  return key;
}

template <class Field>
ConfigKey boolKey(std::string_view name, Field field, std::string_view doc) {
  ConfigKey key{name, "boolean (`true` or `false`)", doc};
  key.bare_flag_value = "true";
  key.set = [name, field](Config& config, std::string_view text) -> Result<void> {
    auto value = parseBool(text);
    if (!value) {
      return mustBe(name, "true or false", text);
    }
    field(config) = *value;
    return {};
  };
  key.get = [field](const Config& config) -> std::optional<std::string> {
    return field(config) ? "true" : "false";
  };
  return key;
}

template <class Enum, std::size_t N, class Field>
ConfigKey choiceKey(std::string_view name, Field field, const std::array<Enum, N>& values,
                    std::string_view doc) {
  std::string type;
  for (auto value : values) {
    type += fmt::format("{}`{}`", type.empty() ? "one of " : ", ", toString(value));
  }
  ConfigKey key{name, std::move(type), doc};
  key.set = [name, field, values](Config& config, std::string_view text) -> Result<void> {
    for (auto value : values) {
      if (toString(value) == text) {
        field(config) = value;
        return {};
      }
    }
    return mustBe(name, "one of " + choiceList(values), text);
  };
  key.get = [field](const Config& config) -> std::optional<std::string> {
    return std::string(toString(field(config)));
  };
  return key;
}

template <class Field>
ConfigKey hostPortKey(std::string_view name, Field field, std::string_view doc) {
  ConfigKey key{name, "host:port (port 0: any free port)", doc};
  key.set = [name, field](Config& config, std::string_view text) -> Result<void> {
    auto value = parseHostPort(text);
    if (!value) {
      return mustBe(name, "host:port with a port between 0 and 65535", text);
    }
    field(config) = std::move(*value);
    return {};
  };
  key.get = [field](const Config& config) -> std::optional<std::string> {
    return field(config).toString();
  };
  return key;
}

template <class Field>
ConfigKey durationKey(std::string_view name, Field field, std::chrono::seconds min,
                      std::chrono::seconds max, std::string_view doc) {
  ConfigKey key{name,
                fmt::format("duration {}–{} (`90s`, `30m`, `12h`, `1h30m`, `2d`)",
                            formatDuration(min), formatDuration(max)),
                doc};
  key.set = [name, field, min, max](Config& config, std::string_view text) -> Result<void> {
    auto value = parseDuration(text);
    if (!value || *value < min || *value > max) {
      return mustBe(name,
                    fmt::format("a duration between {} and {} such as 90s, 30m or 12h",
                                formatDuration(min), formatDuration(max)),
                    text);
    }
    field(config) = *value;
    return {};
  };
  key.get = [field](const Config& config) -> std::optional<std::string> {
    return formatDuration(field(config));
  };
  return key;
}

/** An optional secret: an empty value unsets it; errors never repeat the value. */
template <class Field>
ConfigKey secretKey(std::string_view name, Field field, std::size_t min_length,
                    std::string_view doc) {
  ConfigKey key{name, fmt::format("secret, at least {} characters; optional", min_length), doc,
                /*secret=*/true};
  key.set = [name, field, min_length](Config& config, std::string_view text) -> Result<void> {
    if (text.empty()) {
      field(config).reset();
      return {};
    }
    if (text.size() < min_length) {
      return Error::invalid(std::string(name),
                            fmt::format("must be at least {} characters long", min_length));
    }
    field(config) = std::string(text);
    return {};
  };
  key.get = [field](const Config& config) { return field(config); };
  return key;
}

bool isPathText(std::string_view text) {
  return text.find_first_of("\r\n") == std::string_view::npos;
}

bool isSiteName(std::string_view text) {
  auto ok = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  };
  return !text.empty() && text.size() <= 63 && std::isalnum(static_cast<unsigned char>(text[0])) &&
         std::all_of(text.begin(), text.end(), ok);
}

bool isIpAddress(std::string_view text) {
  std::string copy(text);
  unsigned char buffer[16];
  return inet_pton(AF_INET, copy.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, copy.c_str(), buffer) == 1;
}

bool isIpAddressOrEmpty(std::string_view text) { return text.empty() || isIpAddress(text); }

/** Comma-separated IPv4 or IPv6 addresses (or nothing). */
bool isAddressList(std::string_view text) {
  while (!text.empty()) {
    auto comma = text.find(',');
    if (!isIpAddress(text.substr(0, comma))) {
      return false;
    }
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
  }
  return true;
}

/** A comma-separated list of the media engine's codecs, each at most once. */
bool isCodecList(std::string_view text) {
  static constexpr std::array<std::string_view, 4> Known{"opus", "g722", "pcmu", "pcma"};
  std::set<std::string_view> seen;
  while (!text.empty()) {
    auto comma = text.find(',');
    auto name = text.substr(0, comma);
    if (std::find(Known.begin(), Known.end(), name) == Known.end() || !seen.insert(name).second) {
      return false;
    }
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
  }
  return !seen.empty();
}

bool isStorageUrl(std::string_view text) {
  return (text.starts_with("sqlite:") && text.size() > 7) || text.starts_with("postgresql://") ||
         text.starts_with("postgres://");
}

std::vector<ConfigKey> makeConfigKeys() {
  std::vector<ConfigKey> keys;
  keys.push_back(textKey(
      "site.name", KEFU_CONFIG_FIELD(site.name), "name (letters, digits, `-`, `_`; 1–63)",
      "1 to 63 letters, digits, '-' or '_', starting with a letter or digit", isSiteName,
      "This site's name, unique among the sites of one deployment; shown in logs and metrics."));
  keys.push_back(choiceKey(
      "site.role", KEFU_CONFIG_FIELD(site.role), AllSiteRoles,
      "What this site runs: `all` on one machine, `core` on premises, `edge` in the cloud."));
  keys.push_back(hostPortKey("http.listen", KEFU_CONFIG_FIELD(http.listen),
                             "Address of the HTTP and WebSocket server (API, web UI, events)."));
  keys.push_back(integerKey("http.threads", KEFU_CONFIG_FIELD(http.threads), 1, 64,
                            "Threads serving HTTP and WebSocket connections."));
  keys.push_back(integerKey("http.max_body_bytes", KEFU_CONFIG_FIELD(http.max_body_bytes), 1024,
                            std::int64_t{1} << 30,
                            "Largest accepted HTTP request body, in bytes; larger ones get 413."));
  keys.push_back(boolKey("sip.enabled", KEFU_CONFIG_FIELD(sip.enabled),
                         "Run the SIP stack (registrar and calls); off: no voice over SIP."));
  keys.push_back(hostPortKey("sip.listen", KEFU_CONFIG_FIELD(sip.listen),
                             "Address the SIP stack listens on over UDP and TCP, for trunks and "
                             "phones."));
  keys.push_back(textKey("sip.advertised_address", KEFU_CONFIG_FIELD(sip.advertised_address),
                         "IPv4 or IPv6 address; optional", "an IPv4 or IPv6 address, or empty",
                         isIpAddressOrEmpty,
                         "Address Kefu writes in the From, Via and Contact of the SIP requests "
                         "it sends (when `sip.listen` is 0.0.0.0, or behind NAT: the address "
                         "phones and gateways reach); empty: the host of `sip.listen`."));
  keys.push_back(textKey(
      "sip.tls_listen", KEFU_CONFIG_FIELD(sip.tls_listen), "host:port; optional",
      "host:port, or empty for no TLS",
      [](std::string_view t) { return t.empty() || parseHostPort(t); },
      "Address of the SIP over TLS (`sips:`) listener; empty: none."));
  keys.push_back(textKey("sip.tls_certificate_dir", KEFU_CONFIG_FIELD(sip.tls_certificate_dir),
                         "directory path; required with `sip.tls_listen`",
                         "a directory path without line breaks", isPathText,
                         "Directory holding `agent.pem` (certificate and private key) and "
                         "optionally `cafile.pem` for the TLS listener."));
  keys.push_back(textKey(
      "sip.realm", KEFU_CONFIG_FIELD(sip.realm), "text (1–63 characters)",
      "1 to 63 printable characters without quotes",
      [](std::string_view t) {
        return !t.empty() && t.size() <= 63 &&
               t.find_first_of("\"\\\r\n") == std::string_view::npos;
      },
      "Digest realm phones authenticate in (their extension and SIP "
      "password)."));
  keys.push_back(textKey("sip.trunks", KEFU_CONFIG_FIELD(sip.trunks),
                         "comma-separated IP addresses; optional",
                         "IP addresses separated by commas, or empty", isAddressList,
                         "Source addresses of the inbound trunks; an INVITE from elsewhere that "
                         "is not from a registered phone gets 403. Empty: calls from any source."));
  keys.push_back(textKey("sip.trunk_user", KEFU_CONFIG_FIELD(sip.trunk_user), "text; optional",
                         "text without line breaks", isPathText,
                         "An inbound trunk known by digest credentials rather than by address: "
                         "an INVITE from an address that is neither a trunk's nor a registered "
                         "phone's is challenged with 407 in sip.realm and admitted when it "
                         "answers with this user and sip.trunk_password (403 otherwise). Empty: no "
                         "digest trunk."));
  keys.push_back(secretKey("sip.trunk_password", KEFU_CONFIG_FIELD(sip.trunk_password), 1,
                           "Password of the digest trunk (sip.trunk_user)."));
  keys.push_back(integerKey("calls.max_calls", KEFU_CONFIG_FIELD(calls.max_calls), 1, 1000000,
                            "Calls at once; beyond it a new INVITE gets 503 with Retry-After and "
                            "calls in progress are unaffected."));
  keys.push_back(integerKey(
      "calls.cpu_budget", KEFU_CONFIG_FIELD(calls.cpu_budget), 0, 100,
      "Kefu's CPU budget in percent of all cores, judged over the last second: above it a new "
      "INVITE gets 503 with Retry-After from the SIP thread (calls in progress are unaffected) "
      "until the usage is back under 90 % of the budget. 0: no CPU budget."));
  keys.push_back(integerKey(
      "calls.max_pending_invites", KEFU_CONFIG_FIELD(calls.max_pending_invites), 0, 1000000,
      "New INVITEs waiting for call control's first answer, beyond which the SIP thread answers "
      "further ones 503 with Retry-After (the queue a SIP flood builds). 0: no limit."));
  keys.push_back(durationKey("calls.retry_after", KEFU_CONFIG_FIELD(calls.retry_after),
                             std::chrono::seconds(1), std::chrono::hours(1),
                             "The Retry-After of a 503 under overload."));
  keys.push_back(textKey(
      "calls.callback_key", KEFU_CONFIG_FIELD(calls.callback_key),
      "one DTMF key (`0`–`9`, `*`, `#`, `A`–`D`); optional", "one of 0-9 * # A B C D, or empty",
      [](std::string_view t) {
        return t.empty() || (t.size() == 1 && std::string_view("0123456789*#ABCD").find(t[0]) !=
                                                  std::string_view::npos);
      },
      "The key a caller waiting in a queue presses to be called back keeping "
      "their place; empty: callbacks are not offered."));
  keys.push_back(durationKey("calls.ring_timeout", KEFU_CONFIG_FIELD(calls.ring_timeout),
                             std::chrono::seconds(5), std::chrono::minutes(10),
                             "How long an extension or an outside number rings before the caller "
                             "is released (queues use their own alert timeout)."));
  keys.push_back(textKey(
      "calls.gateway", KEFU_CONFIG_FIELD(calls.gateway), "host:port; optional",
      "host:port, or empty for none",
      [](std::string_view t) { return t.empty() || parseHostPort(t); },
      "The SIP gateway outside numbers are dialed through; empty: none."));
  keys.push_back(textKey("calls.gateway_user", KEFU_CONFIG_FIELD(calls.gateway_user),
                         "text; optional", "text without line breaks", isPathText,
                         "User name for the gateway's digest challenge."));
  keys.push_back(secretKey("calls.gateway_password", KEFU_CONFIG_FIELD(calls.gateway_password), 1,
                           "Password for the gateway's digest challenge."));
  keys.push_back(textKey("calls.music_on_hold", KEFU_CONFIG_FIELD(calls.music_on_hold),
                         "WAV file path; optional", "a file path without line breaks", isPathText,
                         "Music callers hear on hold and while they wait in a queue; empty: a "
                         "built-in melody."));
  keys.push_back(textKey("calls.recording_dir", KEFU_CONFIG_FIELD(calls.recording_dir),
                         "directory path", "a directory path without line breaks", isPathText,
                         "Where call recordings (one stereo WAV per call) are written."));
  keys.push_back(boolKey("calls.record", KEFU_CONFIG_FIELD(calls.record),
                         "Record every answered call (the API can start or stop any call's "
                         "recording either way)."));
  keys.push_back(textKey("calls.entry_points", KEFU_CONFIG_FIELD(calls.entry_points),
                         "YAML file path; optional", "a file path without line breaks", isPathText,
                         "A YAML file of entry points (dialed number → queue, extension, "
                         "number or announcement) stored at start, replacing those with the same "
                         "number; see docs/call.md."));
  keys.push_back(integerKey("media.threads", KEFU_CONFIG_FIELD(media.threads), 0, 64,
                            "Media threads, each owning its RTP sessions; 0: one per core."));
  keys.push_back(textKey("media.bind_address", KEFU_CONFIG_FIELD(media.bind_address),
                         "IPv4 or IPv6 address", "an IPv4 or IPv6 address", isIpAddress,
                         "Address the RTP sockets listen on."));
  keys.push_back(textKey("media.advertised_address", KEFU_CONFIG_FIELD(media.advertised_address),
                         "IPv4 or IPv6 address; optional", "an IPv4 or IPv6 address, or empty",
                         isIpAddressOrEmpty,
                         "Address written in SDP for peers to send RTP to (behind NAT, the public "
                         "one); empty: media.bind_address."));
  keys.push_back(integerKey("media.port_min", KEFU_CONFIG_FIELD(media.port_min), 1024, 65534,
                            "First port of the RTP range (RTP on even ports, RTCP on the next)."));
  keys.push_back(integerKey("media.port_max", KEFU_CONFIG_FIELD(media.port_max), 1025, 65535,
                            "Last port of the RTP range; each session takes two."));
  keys.push_back(textKey("media.codecs", KEFU_CONFIG_FIELD(media.codecs),
                         "codec list (`opus`, `g722`, `pcmu`, `pcma`)",
                         "a comma-separated list of opus, g722, pcmu and pcma, each once",
                         isCodecList,
                         "Codecs offered and accepted, in order of preference; legs without a "
                         "common codec are transcoded."));
  keys.push_back(durationKey("media.rtp_timeout", KEFU_CONFIG_FIELD(media.rtp_timeout),
                             std::chrono::seconds(5), std::chrono::hours(1),
                             "A session that receives no RTP for this long reports a timeout "
                             "(call control then releases the call)."));
  keys.push_back(durationKey("media.quality_interval", KEFU_CONFIG_FIELD(media.quality_interval),
                             std::chrono::seconds(1), std::chrono::minutes(5),
                             "How often each session sends RTCP and reports its quality (loss, "
                             "jitter, round trip, MOS)."));
  keys.push_back(textKey("storage.url", KEFU_CONFIG_FIELD(storage.url),
                         "`sqlite:PATH` or `postgresql://…`",
                         "sqlite:PATH, postgresql://... or postgres://...", isStorageUrl,
                         "The database: a SQLite file (created if missing) or a PostgreSQL "
                         "connection URI (libpq)."));
  keys.push_back(integerKey("storage.pool_size", KEFU_CONFIG_FIELD(storage.pool_size), 1, 64,
                            "Database connections (PostgreSQL) or reader connections (SQLite)."));
  keys.push_back(choiceKey("log.level", KEFU_CONFIG_FIELD(log.level), AllLogLevels,
                           "Least severe log message written."));
  keys.push_back(secretKey("auth.admin_password", KEFU_CONFIG_FIELD(auth.admin_password), 8,
                           "When set, the `admin` user is created with this password, or its "
                           "password reset to it, at start. Prefer the environment variable."));
  keys.push_back(durationKey("auth.token_ttl", KEFU_CONFIG_FIELD(auth.token_ttl), 1min,
                             std::chrono::hours(24 * 30),
                             "How long a session token stays valid after login."));
  keys.push_back(integerKey("events.buffer", KEFU_CONFIG_FIELD(events.buffer), 16, 1000000,
                            "Messages buffered per WebSocket subscriber; a subscriber that falls "
                            "further behind is closed as too slow."));
  keys.push_back(textKey("web.root", KEFU_CONFIG_FIELD(web.root), "directory path",
                         "a directory path without line breaks", isPathText,
                         "The built web app (`make build` writes web/dist) that `kefu serve` "
                         "serves outside /api; a missing directory: the API only."));
  keys.push_back(textKey("ivr.flows_dir", KEFU_CONFIG_FIELD(ivr.flows_dir), "directory path",
                         "a directory path without line breaks", isPathText,
                         "IVR flows: every `*.yaml` file here is checked and stored at start "
                         "and when it changes (looked at every 2 s; a flow with errors is "
                         "logged with its lines and skipped); an entry point with target "
                         "`flow` runs one. See docs/ivr.md."));
  keys.push_back(textKey(
      "ivr.default_queue", KEFU_CONFIG_FIELD(ivr.default_queue), "queue name or id",
      "a queue name or id", [](std::string_view t) { return !t.empty() && isPathText(t); },
      "Where a caller goes when a flow fails without a fallback of its own, or cannot start: "
      "the IVR never drops a caller."));
  keys.push_back(textKey("ivr.tts_cache_dir", KEFU_CONFIG_FIELD(ivr.tts_cache_dir),
                         "directory path; optional", "a directory path without line breaks",
                         isPathText,
                         "Where spoken prompts (TTS) are kept once rendered, so a restart does not "
                         "render them again; empty: kept in memory only."));
  keys.push_back(boolKey("demo.seed", KEFU_CONFIG_FIELD(demo.seed),
                         "Load demo agents, skills, queues and users at start."));
  keys.push_back(textKey(
      "privacy.key_file", KEFU_CONFIG_FIELD(privacy.key_file), "file path; optional",
      "a file path without line breaks",
      [](std::string_view text) { return text.find_first_of("\r\n") == std::string_view::npos; },
      "Keys that encrypt personal fields and make identifier tokens (mode 0600; a core or "
      "all-in-one site creates it when missing; empty: `kefu.keys` beside a SQLite database, "
      "else `var/kefu.keys`). `kefu keys rotate` adds a key and re-encrypts."));
  keys.push_back(textKey(
      "privacy.field_classes", KEFU_CONFIG_FIELD(privacy.field_classes),
      "comma-separated `table=class` or `table.column=class`; optional",
      "items such as customers.accounts=core or transcripts=content, separated by commas",
      [](std::string_view text) { return privacy::ResidencyPolicy::parseOverrides(text).ok(); },
      "Residency overrides of the schema's data classes, per entity or per field (classes: "
      "`core`, `operational`, `content`); an edge site never stores a core-class value in clear."));
  keys.push_back(textKey(
      "sync.nats_url", KEFU_CONFIG_FIELD(sync.nats_url), "`nats://host:port`; optional",
      "nats://host:port", [](std::string_view t) { return t.empty() || t.starts_with("nats://"); },
      "This site's own nats-server (JetStream, domain = `site.name`), which carries the site link "
      "to the peer; empty: no link. Core and edge sites write an outbox either way."));
  keys.push_back(textKey(
      "sync.peer", KEFU_CONFIG_FIELD(sync.peer), "site name; required with `sync.nats_url`",
      "1 to 63 letters, digits, '-' or '_', starting with a letter or digit",
      [](std::string_view t) { return t.empty() || isSiteName(t); },
      "The far site's `site.name` (and JetStream domain)."));
  return keys;
}

#undef KEFU_CONFIG_FIELD

// Looking keys up by their dotted names.

/** @return true when `name` ("http") is a proper prefix of some key. */
bool isSection(std::string_view name) {
  return std::any_of(configKeys().begin(), configKeys().end(), [name](const ConfigKey& key) {
    return key.name.size() > name.size() && key.name.starts_with(name) &&
           key.name[name.size()] == '.';
  });
}

/** @return the names directly under `prefix` ("" for the top level), in table order. */
std::vector<std::string> childNames(std::string_view prefix) {
  std::vector<std::string> names;
  for (const auto& key : configKeys()) {
    std::string_view rest = key.name;
    if (!prefix.empty()) {
      if (!(rest.size() > prefix.size() && rest.starts_with(prefix) &&
            rest[prefix.size()] == '.')) {
        continue;
      }
      rest.remove_prefix(prefix.size() + 1);
    }
    std::string child(rest.substr(0, rest.find('.')));
    if (std::find(names.begin(), names.end(), child) == names.end()) {
      names.push_back(std::move(child));
    }
  }
  return names;
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& word : words) {
    out += (out.empty() ? "" : ", ") + word;
  }
  return out;
}

std::size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

/** @return "unknown key", with a suggestion when a key or section is close to `name`. */
std::string unknownKeyProblem(std::string_view name) {
  if (name.find('.') == std::string_view::npos) {
    return "unknown section (known: " + join(childNames("")) + ")";
  }
  std::string best;
  std::size_t best_distance = 3;  // suggest only near misses
  for (const auto& key : configKeys()) {
    std::size_t distance = editDistance(name, key.name);
    if (distance < best_distance) {
      best_distance = distance;
      best = key.name;
    }
  }
  return best.empty() ? "unknown key" : "unknown key (did you mean " + best + "?)";
}

Error located(std::string_view where, std::string_view key, std::string_view problem) {
  return Error::invalid(std::string(key), fmt::format("{}: {}: {}", where, key, problem));
}

Result<void> applyValue(Config& config, const ConfigKey& key, std::string_view text,
                        std::string_view where) {
  auto result = key.set(config, text);
  if (!result.ok()) {
    return located(where, key.name, result.error().message);
  }
  return {};
}

// The YAML file.

std::string location(const std::string& file, const YAML::Mark& mark) {
  return mark.is_null() ? file : fmt::format("{}:{}", file, mark.line + 1);
}

std::string_view nodeKind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "map";
    case YAML::NodeType::Sequence:
      return "list";
    case YAML::NodeType::Scalar:
      return "single value";
    default:
      return "nothing";
  }
}

Result<void> applyYamlMap(Config& config, const YAML::Node& map, const std::string& prefix,
                          const std::string& file) {
  std::set<std::string> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    // Copies: yaml-cpp's iterator hands out a temporary pair, so references would dangle.
    const YAML::Node name_node = it->first;
    const YAML::Node value = it->second;
    std::string where = location(file, name_node.Mark());
    if (!name_node.IsScalar()) {
      return located(where, prefix.empty() ? "top level" : prefix, "keys must be plain names");
    }
    std::string name = prefix.empty() ? name_node.Scalar() : prefix + "." + name_node.Scalar();
    if (name_node.Scalar().find('.') != std::string::npos) {
      return located(where, name,
                     "unknown key (write sections as nested maps, one name per level)");
    }
    if (!seen.insert(name).second) {
      return located(where, name, "duplicate key");
    }
    if (const ConfigKey* key = findConfigKey(name)) {
      if (value.IsNull()) {  // `key:` with nothing, or `~`: the empty value
        KEFU_TRY(applyValue(config, *key, "", where));
      } else if (!value.IsScalar()) {
        return located(
            location(file, value.Mark()), name,
            fmt::format("must be a single value ({}), got a {}", key->type, nodeKind(value)));
      } else {
        KEFU_TRY(applyValue(config, *key, value.Scalar(), location(file, value.Mark())));
      }
    } else if (isSection(name)) {
      if (value.IsNull()) {
        continue;  // an empty section keeps its defaults
      }
      if (!value.IsMap()) {
        return located(where, name,
                       fmt::format("must be a map of keys ({}), got a {}", join(childNames(name)),
                                   nodeKind(value)));
      }
      KEFU_TRY(applyYamlMap(config, value, name, file));
    } else {
      return located(where, name, unknownKeyProblem(name));
    }
  }
  return {};
}

Result<void> applyYamlFile(Config& config, const std::filesystem::path& path) {
  const std::string file = path.string();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error::invalid("", fmt::format("{}: cannot read: {}", file, std::strerror(errno)));
  }
  std::stringstream text;
  text << in.rdbuf();
  try {
    YAML::Node root = YAML::Load(text.str());
    if (root.IsNull()) {
      return {};  // an empty file, or only comments: the defaults
    }
    if (!root.IsMap()) {
      return Error::invalid(
          "", fmt::format("{}: expected a map of sections ({}), got a {}",
                          location(file, root.Mark()), join(childNames("")), nodeKind(root)));
    }
    return applyYamlMap(config, root, "", file);
  } catch (const YAML::Exception& e) {
    return Error::invalid("", fmt::format("{}: not valid YAML: {}", location(file, e.mark), e.msg));
  }
}

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string markdownCell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += '\\';
    }
    out += c;
  }
  return out;
}

}  // namespace

std::string_view toString(SiteRole role) {
  switch (role) {
    case SiteRole::All:
      return "all";
    case SiteRole::Core:
      return "core";
    case SiteRole::Edge:
      return "edge";
  }
  return "all";
}

std::string_view toString(LogLevel level) {
  switch (level) {
    case LogLevel::Trace:
      return "trace";
    case LogLevel::Debug:
      return "debug";
    case LogLevel::Info:
      return "info";
    case LogLevel::Warn:
      return "warn";
    case LogLevel::Error:
      return "error";
    case LogLevel::Off:
      return "off";
  }
  return "info";
}

std::string HostPort::toString() const {
  return host.find(':') == std::string::npos ? fmt::format("{}:{}", host, port)
                                             : fmt::format("[{}]:{}", host, port);
}

std::string ConfigKey::envVar() const {
  std::string out = "KEFU_" + upper(name);
  std::replace(out.begin(), out.end(), '.', '_');
  return out;
}

std::string ConfigKey::flag() const {
  std::string out = "--" + std::string(name);
  std::replace(out.begin(), out.end(), '.', '-');
  std::replace(out.begin(), out.end(), '_', '-');
  return out;
}

std::span<const ConfigKey> configKeys() {
  static const std::vector<ConfigKey> keys = makeConfigKeys();
  return keys;
}

const ConfigKey* findConfigKey(std::string_view name) {
  for (const auto& key : configKeys()) {
    if (key.name == name) {
      return &key;
    }
  }
  return nullptr;
}

Environment currentEnvironment() {
  Environment env;
  for (char** entry = ::environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    auto equals = text.find('=');
    if (equals != std::string_view::npos) {
      env.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
    }
  }
  return env;
}

Result<ConfigOverride> parseSetOverride(std::string_view assignment) {
  auto equals = assignment.find('=');
  if (equals == std::string_view::npos || equals == 0) {
    return Error::invalid("", fmt::format("--set {}: expected key=value", quoted(assignment)));
  }
  return ConfigOverride{"--set", std::string(assignment.substr(0, equals)),
                        std::string(assignment.substr(equals + 1))};
}

Result<Config> loadConfig(const std::optional<std::filesystem::path>& file, const Environment& env,
                          const std::vector<ConfigOverride>& overrides) {
  Config config;
  if (file) {
    KEFU_TRY(applyYamlFile(config, *file));
  }
  for (const auto& key : configKeys()) {
    auto variable = key.envVar();
    if (auto it = env.find(variable); it != env.end()) {
      KEFU_TRY(applyValue(config, key, it->second, variable));
    }
  }
  for (const auto& item : overrides) {
    const ConfigKey* key = findConfigKey(item.key);
    if (key == nullptr) {
      return located(item.source, item.key, unknownKeyProblem(item.key));
    }
    KEFU_TRY(applyValue(config, *key, item.value, item.source));
  }
  return config;
}

std::vector<std::string> ignoredEnvironmentVariables(const Environment& env) {
  std::vector<std::string> ignored;
  for (const auto& [variable, value] : env) {
    if (!variable.starts_with("KEFU_")) {
      continue;
    }
    bool known = std::any_of(configKeys().begin(), configKeys().end(),
                             [&](const ConfigKey& key) { return key.envVar() == variable; });
    std::string rest = variable.substr(5);
    std::string first_word = rest.substr(0, rest.find('_'));
    std::transform(first_word.begin(), first_word.end(), first_word.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (!known && isSection(first_word)) {
      ignored.push_back(variable);
    }
  }
  return ignored;
}

std::string formatConfigYaml(const Config& config, bool mask_secrets) {
  YAML::Node root(YAML::NodeType::Map);
  for (const auto& key : configKeys()) {
    YAML::Node node = root;
    std::string_view rest = key.name;
    for (auto dot = rest.find('.'); dot != std::string_view::npos; dot = rest.find('.')) {
      node.reset(node[std::string(rest.substr(0, dot))]);
      rest.remove_prefix(dot + 1);
    }
    auto value = key.get(config);
    if (!value) {
      node[std::string(rest)] = YAML::Node(YAML::NodeType::Null);
    } else {
      node[std::string(rest)] = key.secret && mask_secrets ? std::string("***") : *value;
    }
  }
  YAML::Emitter out;
  out << root;
  return std::string(out.c_str()) + "\n";
}

std::string configReferenceMarkdown() {
  const Config defaults;
  std::string out =
      "| key | type | default | environment | flag | meaning |\n"
      "| --- | --- | --- | --- | --- | --- |\n";
  for (const auto& key : configKeys()) {
    auto value = key.get(defaults);
    out += fmt::format("| `{}` | {} | {} | `{}` | `{}` | {} |\n", key.name, markdownCell(key.type),
                       value ? "`" + markdownCell(*value) + "`" : std::string("unset"),
                       key.envVar(), key.flag(), markdownCell(key.doc));
  }
  out += "\nEvery key with its default, as `kefu check-config` prints it:\n\n```yaml\n";
  out += formatConfigYaml(defaults);
  out += "```\n";
  return out;
}

Result<std::string> updateConfigReference(std::string_view document) {
  auto begin = document.find(ConfigDocBegin);
  auto end = begin == std::string_view::npos ? begin : document.find(ConfigDocEnd, begin);
  if (end == std::string_view::npos) {
    return Error::invalid(
        "", fmt::format("the document lacks the lines {} and {}", ConfigDocBegin, ConfigDocEnd));
  }
  return std::string(document.substr(0, begin + ConfigDocBegin.size())) + "\n\n" +
         configReferenceMarkdown() + "\n" + std::string(document.substr(end));
}

std::filesystem::path keyFilePath(const Config& config) {
  if (!config.privacy.key_file.empty()) {
    return config.privacy.key_file;
  }
  const std::string& url = config.storage.url;
  if (url.starts_with("sqlite:")) {
    std::filesystem::path db = url.substr(url.starts_with("sqlite://") ? 9 : 7);
    return db.parent_path() / "kefu.keys";
  }
  return "var/kefu.keys";
}

}  // namespace kefu::server
