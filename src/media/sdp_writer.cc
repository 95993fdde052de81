// Writes a SessionDescription as SDP text (RFC 4566), CRLF line ends.

#include <string>

#include "media/sdp.h"

namespace kefu::media {
namespace {

std::string_view addressType(std::string_view address) {
  return address.find(':') == std::string_view::npos ? "IP4" : "IP6";
}

void line(std::string& out, std::string_view type, std::string_view value) {
  out.append(type);
  out.append(value);
  out.append("\r\n");
}

void attribute(std::string& out, std::string_view name, std::string_view value = {}) {
  out.append("a=");
  out.append(name);
  if (!value.empty()) {
    out.push_back(':');
    out.append(value);
  }
  out.append("\r\n");
}

void writeMedia(std::string& out, const SdpMedia& media, std::string_view session_address) {
  std::string m = media.type + " " + std::to_string(media.port) + " " + media.protocol;
  for (const SdpFormat& format : media.formats) {
    m += ' ';
    m += format.payload_type >= 0 ? std::to_string(format.payload_type) : format.name;
  }
  line(out, "m=", m);
  if (!media.connection_address.empty() && media.connection_address != session_address) {
    line(out, "c=",
         "IN " + std::string(addressType(media.connection_address)) + " " +
             media.connection_address);
  }
  if (media.rtcp_port) {
    attribute(out, "rtcp", std::to_string(*media.rtcp_port));
  }
  if (!media.ice_ufrag.empty()) {
    attribute(out, "ice-ufrag", media.ice_ufrag);
  }
  if (!media.ice_pwd.empty()) {
    attribute(out, "ice-pwd", media.ice_pwd);
  }
  if (!media.fingerprint.empty()) {
    attribute(out, "fingerprint", media.fingerprint_algorithm + " " + media.fingerprint);
  }
  if (!media.setup.empty()) {
    attribute(out, "setup", media.setup);
  }
  if (!media.mid.empty()) {
    attribute(out, "mid", media.mid);
  }
  for (const SdpFormat& format : media.formats) {
    if (format.payload_type < 0) {
      continue;
    }
    if (!format.name.empty()) {
      std::string map = std::to_string(format.payload_type) + " " + format.name + "/" +
                        std::to_string(format.clock_rate);
      if (format.channels != 1) {
        map += "/" + std::to_string(format.channels);
      }
      attribute(out, "rtpmap", map);
    }
    if (!format.fmtp.empty()) {
      attribute(out, "fmtp", std::to_string(format.payload_type) + " " + format.fmtp);
    }
  }
  if (media.ptime > 0) {
    attribute(out, "ptime", std::to_string(media.ptime));
  }
  attribute(out, toString(media.direction));
  if (media.rtcp_mux) {
    attribute(out, "rtcp-mux");
  }
  for (const SdpCrypto& crypto : media.crypto) {
    attribute(out, "crypto",
              std::to_string(crypto.tag) + " " + crypto.suite + " " + crypto.key_params);
  }
  for (const SdpCandidate& candidate : media.candidates) {
    attribute(out, "candidate",
              candidate.foundation + " " + std::to_string(candidate.component) + " " +
                  candidate.transport + " " + std::to_string(candidate.priority) + " " +
                  candidate.address + " " + std::to_string(candidate.port) + " typ " +
                  candidate.type);
  }
  if (media.end_of_candidates) {
    attribute(out, "end-of-candidates");
  }
  bool wrote_ssrc = false;
  for (const std::string& other : media.other_attributes) {
    wrote_ssrc = wrote_ssrc || other.starts_with("ssrc:");
    line(out, "a=", other);
  }
  if (media.ssrc && !wrote_ssrc) {
    attribute(out, "ssrc", std::to_string(*media.ssrc));
  }
}

}  // namespace

std::string_view toString(Direction direction) {
  switch (direction) {
    case Direction::SendRecv:
      return "sendrecv";
    case Direction::SendOnly:
      return "sendonly";
    case Direction::RecvOnly:
      return "recvonly";
    case Direction::Inactive:
      return "inactive";
  }
  return "sendrecv";
}

const SdpFormat* SdpMedia::findFormat(int payload_type) const {
  for (const SdpFormat& format : formats) {
    if (format.payload_type == payload_type) {
      return &format;
    }
  }
  return nullptr;
}

std::string writeSdp(const SessionDescription& description) {
  std::string out;
  out.reserve(512 + 512 * description.media.size());
  line(out, "v=", "0");
  const std::string& origin_address = description.origin_address.empty()
                                          ? description.connection_address
                                          : description.origin_address;
  const std::string_view origin =
      origin_address.empty() ? std::string_view("0.0.0.0") : std::string_view(origin_address);
  line(out, "o=",
       (description.origin_user.empty() ? std::string("-") : description.origin_user) + " " +
           std::to_string(description.session_id) + " " +
           std::to_string(description.session_version) + " IN " + std::string(addressType(origin)) +
           " " + std::string(origin));
  line(out, "s=", description.session_name.empty() ? "-" : description.session_name);
  if (!description.connection_address.empty()) {
    line(out, "c=",
         "IN " + std::string(addressType(description.connection_address)) + " " +
             description.connection_address);
  }
  line(out, "t=", "0 0");
  if (description.ice_lite) {
    attribute(out, "ice-lite");
  }
  if (!description.bundle_mids.empty()) {
    std::string group = "BUNDLE";
    for (const std::string& mid : description.bundle_mids) {
      group += " " + mid;
    }
    attribute(out, "group", group);
  }
  for (const SdpMedia& media : description.media) {
    // A media section in use with no address of its own and none at session level would be
    // invalid: say so with the unspecified address instead. A rejected one needs none.
    SdpMedia copy_if_needed;
    if (media.connection_address.empty() && description.connection_address.empty() &&
        media.port != 0) {
      copy_if_needed = media;
      copy_if_needed.connection_address = "0.0.0.0";
      writeMedia(out, copy_if_needed, description.connection_address);
    } else {
      writeMedia(out, media, description.connection_address);
    }
  }
  return out;
}

}  // namespace kefu::media
