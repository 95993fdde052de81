#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace kefu::media {

/** A stream's direction (RFC 3264 section 5.1), as written in its SDP. */
enum class Direction { SendRecv, SendOnly, RecvOnly, Inactive };

/** One format of an m= line with its rtpmap and fmtp. */
struct SdpFormat {
  int payload_type = 0;
  std::string name;  // empty for an unknown static or a dynamic payload type without rtpmap
  int clock_rate = 0;
  int channels = 1;
  std::string fmtp;

  bool operator==(const SdpFormat&) const = default;
};

/** One a=crypto line (RFC 4568). */
struct SdpCrypto {
  int tag = 0;
  std::string suite;       // AES_CM_128_HMAC_SHA1_80, ...
  std::string key_params;  // inline:<base64>[|lifetime][|MKI:len], and any session params after it

  bool operator==(const SdpCrypto&) const = default;
};

/** One a=candidate line (RFC 8839 section 5.1); extension attributes are not kept. */
struct SdpCandidate {
  std::string foundation;
  int component = 1;
  std::string transport;  // UDP
  uint32_t priority = 0;
  std::string address;
  uint16_t port = 0;
  std::string type;  // host, srflx, prflx, relay

  bool operator==(const SdpCandidate&) const = default;
};

/** One m= section. */
struct SdpMedia {
  std::string type;  // audio, video, application, ...
  uint16_t port = 0;
  std::string protocol;            // RTP/AVP, RTP/SAVP, UDP/TLS/RTP/SAVPF, ...
  std::vector<SdpFormat> formats;  // m-line order; static payload types filled in without rtpmap
  std::string connection_address;  // c= of the media, else the session's
  Direction direction = Direction::SendRecv;
  int ptime = 0;
  bool rtcp_mux = false;
  std::optional<uint16_t> rtcp_port;
  std::string mid;
  std::string ice_ufrag, ice_pwd;  // session-level values are inherited by media
  std::vector<SdpCandidate> candidates;
  bool end_of_candidates = false;
  std::string fingerprint_algorithm, fingerprint;  // session-level values are inherited by media
  std::string setup;                               // actpass | active | passive
  std::vector<SdpCrypto> crypto;
  std::optional<uint32_t> ssrc;               // the first a=ssrc line's
  std::vector<std::string> other_attributes;  // "name:value" or "name", kept verbatim, written back

  /** @return the format with this payload type, or nullptr. */
  const SdpFormat* findFormat(int payload_type) const;

  bool operator==(const SdpMedia&) const = default;
};

/** A whole SDP body (RFC 4566). */
struct SessionDescription {
  std::string origin_user = "-";
  uint64_t session_id = 0, session_version = 0;
  std::string origin_address;
  std::string session_name = "-";
  std::string connection_address;  // the session-level c=, empty when every m= has its own
  bool ice_lite = false;
  std::vector<std::string> bundle_mids;  // a=group:BUNDLE
  std::vector<SdpMedia> media;

  bool operator==(const SessionDescription&) const = default;
};

/** The longest SDP body parseSdp accepts; a SIP body is far shorter. */
inline constexpr std::size_t MaxSdpSize = std::size_t{64} * 1024;

/**
 * Parses an SDP body (CRLF or LF lines); never throws; any thread.
 * @return InvalidArgument with field "sdp line N" and a message naming what is wrong (missing
 * v=/o=/m=, bad port, unknown protocol syntax, rtpmap of a payload type not in m=, ...).
 */
Result<SessionDescription> parseSdp(std::string_view text);

/** @return the SDP text of `description`, with CRLF line ends; any thread. */
std::string writeSdp(const SessionDescription& description);

/** @return the SDP name of a direction ("sendrecv", ...). */
std::string_view toString(Direction direction);

}  // namespace kefu::media
