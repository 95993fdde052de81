// Parses SDP (RFC 4566) into a SessionDescription. Every failure names its line.

#include <charconv>
#include <optional>
#include <string>

#include "media/codec_id.h"
#include "media/sdp.h"

namespace kefu::media {
namespace {

/** Static payload types (RFC 3551 table 4) an m= line may list without an rtpmap. */
struct StaticFormat {
  int payload_type;
  std::string_view name;
  int clock_rate;
};
constexpr StaticFormat StaticFormats[] = {
    {0, "PCMU", 8000}, {3, "GSM", 8000}, {4, "G723", 8000},  {8, "PCMA", 8000},
    {9, "G722", 8000}, {13, "CN", 8000}, {18, "G729", 8000},
};

template <class T>
std::optional<T> parseNumber(std::string_view text) {
  T value{};
  if (text.empty()) {
    return std::nullopt;
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

/** Splits off the next space-separated token of `rest`. */
std::string_view nextToken(std::string_view& rest) {
  const std::size_t start = rest.find_first_not_of(' ');
  if (start == std::string_view::npos) {
    rest = {};
    return {};
  }
  rest.remove_prefix(start);
  const std::size_t end = rest.find(' ');
  std::string_view token = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
  return token;
}

bool isProtocolToken(std::string_view protocol) {
  // <proto> is tokens joined by '/' (RFC 4566 section 9: proto = token *("/" token)).
  if (protocol.empty() || protocol.front() == '/' || protocol.back() == '/') {
    return false;
  }
  char previous = 0;
  for (char c : protocol) {
    const bool token_char = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!token_char && !(c == '/' && previous != '/')) {
      return false;
    }
    previous = c;
  }
  return true;
}

bool isRtpProtocol(std::string_view protocol) {
  return protocol.find("RTP/") != std::string_view::npos;
}

/** The state of one parse: where we are, what we have, and the first error. */
class SdpParser {
 public:
  Result<SessionDescription> run(std::string_view text) {
    if (text.size() > MaxSdpSize) {
      return Error::invalid("sdp line 1", "the SDP body is larger than 64 KiB");
    }
    bool seen_origin = false;
    while (!text.empty()) {
      std::size_t end = text.find('\n');
      std::string_view line = text.substr(0, end);
      text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
      ++line_number_;
      if (!line.empty() && line.back() == '\r') {
        line.remove_suffix(1);
      }
      if (line.empty()) {
        continue;  // A trailing blank line is common; it carries nothing.
      }
      if (line.size() < 2 || line[1] != '=') {
        return fail("is not a <type>=<value> line");
      }
      const char type = line[0];
      const std::string_view value = line.substr(2);
      if (!seen_version_ && type != 'v') {
        return fail("comes before the v=0 line");
      }
      bool ok = true;
      switch (type) {
        case 'v':
          if (seen_version_ || value != "0") {
            return fail(seen_version_ ? "repeats v=" : "has a version other than v=0");
          }
          seen_version_ = true;
          break;
        case 'o':
          if (seen_origin || current_ != nullptr) {
            return fail("has an o= line out of place");
          }
          seen_origin = true;
          ok = parseOrigin(value);
          break;
        case 's':
          // "s= " or an empty s= means no name, which SessionDescription writes as "-".
          if (current_ == nullptr) {
            description_.session_name =
                value.find_first_not_of(' ') == std::string_view::npos ? "-" : std::string(value);
          }
          break;
        case 'c':
          ok = parseConnection(value);
          break;
        case 'm':
          if (!seen_origin) {
            return fail("has m= before o=");
          }
          ok = finishMedia() && parseMedia(value);
          break;
        case 'a':
          ok = current_ == nullptr ? parseSessionAttribute(value) : parseMediaAttribute(value);
          break;
        default:
          // t=, b=, i=, u=, e=, p=, k=, z=, r= carry nothing the engine uses.
          break;
      }
      if (!ok) {
        return std::move(*error_);
      }
    }
    if (!seen_version_) {
      return Error::invalid("sdp line 1", "missing v= line");
    }
    if (!seen_origin) {
      return Error::invalid(lineField(line_number_ + 1), "missing o= line");
    }
    if (description_.media.empty()) {
      return Error::invalid(lineField(line_number_ + 1), "missing m= line");
    }
    if (!finishMedia()) {
      return std::move(*error_);
    }
    for (SdpMedia& media : description_.media) {
      inheritSessionValues(media);
    }
    return std::move(description_);
  }

 private:
  static std::string lineField(int line) { return "sdp line " + std::to_string(line); }

  Error fail(std::string message) {
    return Error::invalid(lineField(line_number_),
                          "SDP line " + std::to_string(line_number_) + " " + std::move(message));
  }

  bool setError(std::string message) {
    error_ = fail(std::move(message));
    return false;
  }

  bool parseOrigin(std::string_view value) {
    // o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>
    std::string_view user = nextToken(value);
    std::string_view id = nextToken(value);
    std::string_view version = nextToken(value);
    std::string_view network = nextToken(value);
    std::string_view address_type = nextToken(value);
    std::string_view address = nextToken(value);
    if (address.empty()) {
      return setError("has an o= line with fewer than 6 fields");
    }
    auto session_id = parseNumber<uint64_t>(id);
    auto session_version = parseNumber<uint64_t>(version);
    if (!session_id || !session_version) {
      return setError("has an o= session id or version that is not a number");
    }
    if (network != "IN" || (address_type != "IP4" && address_type != "IP6")) {
      return setError("has an o= address that is not IN IP4 or IN IP6");
    }
    description_.origin_user = std::string(user);
    description_.session_id = *session_id;
    description_.session_version = *session_version;
    description_.origin_address = std::string(address);
    return true;
  }

  bool parseConnection(std::string_view value) {
    // c=<nettype> <addrtype> <connection-address>; a multicast "/ttl" suffix is dropped.
    std::string_view network = nextToken(value);
    std::string_view address_type = nextToken(value);
    std::string_view address = nextToken(value);
    if (network != "IN" || (address_type != "IP4" && address_type != "IP6") || address.empty()) {
      return setError("has a c= line that is not IN IP4|IP6 <address>");
    }
    address = address.substr(0, address.find('/'));
    if (current_ != nullptr) {
      current_->connection_address = std::string(address);
    } else {
      description_.connection_address = std::string(address);
    }
    return true;
  }

  bool parseMedia(std::string_view value) {
    // m=<media> <port>[/<number of ports>] <proto> <fmt> ...
    std::string_view type = nextToken(value);
    std::string_view port_text = nextToken(value);
    std::string_view protocol = nextToken(value);
    if (protocol.empty()) {
      return setError("has an m= line with fewer than 4 fields");
    }
    auto port = parseNumber<uint32_t>(port_text.substr(0, port_text.find('/')));
    if (!port || *port > 65535) {
      return setError("has a bad m= port '" + std::string(port_text) + "'");
    }
    if (!isProtocolToken(protocol)) {
      return setError("has an m= protocol with a bad syntax '" + std::string(protocol) + "'");
    }
    SdpMedia& media = description_.media.emplace_back();
    media.type = std::string(type);
    media.port = static_cast<uint16_t>(*port);
    media.protocol = std::string(protocol);
    current_ = &media;
    current_line_ = line_number_;
    media_direction_set_ = false;
    const bool rtp = isRtpProtocol(protocol);
    for (std::string_view token = nextToken(value); !token.empty(); token = nextToken(value)) {
      SdpFormat format;
      if (rtp) {
        auto payload_type = parseNumber<int>(token);
        if (!payload_type || *payload_type < 0 || *payload_type > 127) {
          return setError("has an m= payload type that is not 0-127: '" + std::string(token) + "'");
        }
        if (media.findFormat(*payload_type) != nullptr) {
          return setError("repeats payload type " + std::string(token) + " in the m= line");
        }
        format.payload_type = *payload_type;
        for (const StaticFormat& known : StaticFormats) {
          if (known.payload_type == *payload_type) {
            format.name = std::string(known.name);
            format.clock_rate = known.clock_rate;
          }
        }
      } else {
        // Non-RTP formats (webrtc-datachannel, t38) are names: kept with payload type -1.
        format.payload_type = -1;
        format.name = std::string(token);
      }
      media.formats.push_back(std::move(format));
    }
    if (media.formats.empty()) {
      return setError("has an m= line without formats");
    }
    return true;
  }

  /** Checks the finished m= section; its c= may come from the session. */
  bool finishMedia() {
    if (current_ == nullptr) {
      return true;
    }
    if (!media_direction_set_ && session_direction_) {
      current_->direction = *session_direction_;
    }
    if (current_->connection_address.empty() && description_.connection_address.empty() &&
        current_->port != 0) {
      error_ = Error::invalid(lineField(current_line_),
                              "SDP line " + std::to_string(current_line_) +
                                  " has an m= section without a c= line, and there is no "
                                  "session-level c=");
      return false;
    }
    return true;
  }

  bool parseSessionAttribute(std::string_view attribute) {
    auto [name, value] = splitAttribute(attribute);
    if (name == "ice-lite") {
      description_.ice_lite = true;
    } else if (name == "group") {
      std::string_view semantics = nextToken(value);
      if (semantics == "BUNDLE") {
        description_.bundle_mids.clear();
        for (std::string_view mid = nextToken(value); !mid.empty(); mid = nextToken(value)) {
          description_.bundle_mids.emplace_back(mid);
        }
      }
    } else if (name == "ice-ufrag") {
      session_ice_ufrag_ = std::string(value);
    } else if (name == "ice-pwd") {
      session_ice_pwd_ = std::string(value);
    } else if (name == "fingerprint") {
      return parseFingerprint(value, session_fingerprint_algorithm_, session_fingerprint_);
    } else if (name == "setup") {
      session_setup_ = std::string(value);
    } else if (isDirection(name)) {
      session_direction_ = toDirection(name);
    }
    // Other session attributes (msid-semantic, extmap-allow-mixed, tool) are not needed.
    return true;
  }

  bool parseMediaAttribute(std::string_view attribute) {
    SdpMedia& media = *current_;
    auto [name, value] = splitAttribute(attribute);
    if ((name == "rtpmap" || name == "fmtp") && !isRtpProtocol(media.protocol)) {
      // Formats of other protocols (an SCTP port, t38) are not payload types: kept verbatim.
      media.other_attributes.emplace_back(attribute);
      return true;
    }
    if (name == "rtpmap") {
      return parseRtpmap(value);
    }
    if (name == "fmtp") {
      std::string_view rest = value;
      std::string_view pt_text = nextToken(rest);
      SdpFormat* format = findFormat(pt_text);
      if (format == nullptr) {
        return setError("has an fmtp of payload type '" + std::string(pt_text) +
                        "' that is not in the m= line");
      }
      format->fmtp = std::string(rest);
      return true;
    }
    if (isDirection(name)) {
      media.direction = toDirection(name);
      media_direction_set_ = true;
    } else if (name == "ptime") {
      auto ptime = parseNumber<int>(value);
      if (!ptime || *ptime <= 0 || *ptime > 1000) {
        return setError("has a bad a=ptime '" + std::string(value) + "'");
      }
      media.ptime = *ptime;
    } else if (name == "rtcp-mux") {
      media.rtcp_mux = true;
    } else if (name == "rtcp") {
      std::string_view rest = value;
      auto port = parseNumber<uint32_t>(nextToken(rest));
      if (!port || *port > 65535) {
        return setError("has a bad a=rtcp port '" + std::string(value) + "'");
      }
      media.rtcp_port = static_cast<uint16_t>(*port);
    } else if (name == "mid") {
      media.mid = std::string(value);
    } else if (name == "ice-ufrag") {
      media.ice_ufrag = std::string(value);
    } else if (name == "ice-pwd") {
      media.ice_pwd = std::string(value);
    } else if (name == "candidate") {
      return parseCandidate(value);
    } else if (name == "end-of-candidates") {
      media.end_of_candidates = true;
    } else if (name == "fingerprint") {
      return parseFingerprint(value, media.fingerprint_algorithm, media.fingerprint);
    } else if (name == "setup") {
      media.setup = std::string(value);
    } else if (name == "crypto") {
      return parseCrypto(value);
    } else {
      if (name == "ssrc" && !media.ssrc) {
        std::string_view rest = value;
        auto ssrc = parseNumber<uint32_t>(nextToken(rest));
        if (!ssrc) {
          return setError("has a bad a=ssrc '" + std::string(value) + "'");
        }
        media.ssrc = *ssrc;
      }
      // a=ssrc lines (cname, msid), extmap, rtcp-fb, msid and the rest are kept verbatim.
      media.other_attributes.emplace_back(attribute);
    }
    return true;
  }

  bool parseRtpmap(std::string_view value) {
    // a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]
    std::string_view rest = value;
    std::string_view pt_text = nextToken(rest);
    std::string_view encoding = nextToken(rest);
    SdpFormat* format = findFormat(pt_text);
    if (format == nullptr) {
      return setError("has an rtpmap of payload type '" + std::string(pt_text) +
                      "' that is not in the m= line");
    }
    const std::size_t slash = encoding.find('/');
    if (slash == 0 || slash == std::string_view::npos) {
      return setError("has an rtpmap without <name>/<clock rate>");
    }
    std::string_view rate_text = encoding.substr(slash + 1);
    std::string_view channels_text;
    if (const std::size_t second = rate_text.find('/'); second != std::string_view::npos) {
      channels_text = rate_text.substr(second + 1);
      rate_text = rate_text.substr(0, second);
    }
    auto rate = parseNumber<int>(rate_text);
    if (!rate || *rate <= 0) {
      return setError("has an rtpmap with a bad clock rate '" + std::string(encoding) + "'");
    }
    int channels = 1;
    if (!channels_text.empty()) {
      auto parsed = parseNumber<int>(channels_text);
      if (!parsed || *parsed <= 0 || *parsed > 255) {
        return setError("has an rtpmap with a bad channel count '" + std::string(encoding) + "'");
      }
      channels = *parsed;
    }
    format->name = std::string(encoding.substr(0, slash));
    format->clock_rate = *rate;
    format->channels = channels;
    return true;
  }

  bool parseCandidate(std::string_view value) {
    // candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> ...
    std::string_view rest = value;
    SdpCandidate candidate;
    candidate.foundation = std::string(nextToken(rest));
    auto component = parseNumber<int>(nextToken(rest));
    candidate.transport = std::string(nextToken(rest));
    auto priority = parseNumber<uint32_t>(nextToken(rest));
    candidate.address = std::string(nextToken(rest));
    auto port = parseNumber<uint32_t>(nextToken(rest));
    std::string_view typ = nextToken(rest);
    candidate.type = std::string(nextToken(rest));
    if (!component || *component < 1 || *component > 256 || !priority || !port || *port > 65535 ||
        typ != "typ" || candidate.type.empty() || candidate.foundation.empty()) {
      return setError("has a malformed a=candidate");
    }
    candidate.component = *component;
    candidate.priority = *priority;
    candidate.port = static_cast<uint16_t>(*port);
    current_->candidates.push_back(std::move(candidate));
    return true;
  }

  bool parseFingerprint(std::string_view value, std::string& algorithm, std::string& fingerprint) {
    std::string_view rest = value;
    std::string_view hash = nextToken(rest);
    std::string_view digest = nextToken(rest);
    if (digest.empty()) {
      return setError("has an a=fingerprint without <hash> <value>");
    }
    algorithm = std::string(hash);
    fingerprint = std::string(digest);
    return true;
  }

  bool parseCrypto(std::string_view value) {
    // crypto:<tag> <crypto-suite> <key-params> [<session-params>]
    std::string_view rest = value;
    auto tag = parseNumber<int>(nextToken(rest));
    std::string_view suite = nextToken(rest);
    const std::size_t start = rest.find_first_not_of(' ');
    std::string_view key_params =
        start == std::string_view::npos ? std::string_view{} : rest.substr(start);
    if (!tag || *tag < 0 || suite.empty() || key_params.empty()) {
      return setError("has a malformed a=crypto");
    }
    current_->crypto.push_back({*tag, std::string(suite), std::string(key_params)});
    return true;
  }

  SdpFormat* findFormat(std::string_view pt_text) {
    auto payload_type = parseNumber<int>(pt_text);
    if (!payload_type || *payload_type < 0) {
      return nullptr;
    }
    for (SdpFormat& format : current_->formats) {
      if (format.payload_type == *payload_type) {
        return &format;
      }
    }
    return nullptr;
  }

  static std::pair<std::string_view, std::string_view> splitAttribute(std::string_view attribute) {
    const std::size_t colon = attribute.find(':');
    if (colon == std::string_view::npos) {
      return {attribute, {}};
    }
    return {attribute.substr(0, colon), attribute.substr(colon + 1)};
  }

  static bool isDirection(std::string_view name) {
    return name == "sendrecv" || name == "sendonly" || name == "recvonly" || name == "inactive";
  }

  static Direction toDirection(std::string_view name) {
    if (name == "sendonly") {
      return Direction::SendOnly;
    }
    if (name == "recvonly") {
      return Direction::RecvOnly;
    }
    if (name == "inactive") {
      return Direction::Inactive;
    }
    return Direction::SendRecv;
  }

  /** Session-level c=, ICE, fingerprint, setup and direction apply to media without their own. */
  void inheritSessionValues(SdpMedia& media) const {
    if (media.connection_address.empty()) {
      media.connection_address = description_.connection_address;
    }
    if (media.ice_ufrag.empty()) {
      media.ice_ufrag = session_ice_ufrag_;
    }
    if (media.ice_pwd.empty()) {
      media.ice_pwd = session_ice_pwd_;
    }
    if (media.fingerprint.empty()) {
      media.fingerprint_algorithm = session_fingerprint_algorithm_;
      media.fingerprint = session_fingerprint_;
    }
    if (media.setup.empty()) {
      media.setup = session_setup_;
    }
  }

  SessionDescription description_;
  SdpMedia* current_ = nullptr;  // the m= section being read; points into description_.media
  int current_line_ = 0;
  int line_number_ = 0;
  bool seen_version_ = false;
  bool media_direction_set_ = false;
  std::optional<Direction> session_direction_;
  std::string session_ice_ufrag_, session_ice_pwd_;
  std::string session_fingerprint_algorithm_, session_fingerprint_, session_setup_;
  std::optional<Error> error_;
};

}  // namespace

Result<SessionDescription> parseSdp(std::string_view text) { return SdpParser{}.run(text); }

}  // namespace kefu::media
