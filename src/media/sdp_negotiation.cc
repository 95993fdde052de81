#include "media/sdp_negotiation.h"

#include <algorithm>
#include <set>

#include "core/assert.h"

namespace kefu::media {
namespace {

// A host candidate's priority (RFC 8445 section 5.1.2.1): type preference 126, local
// preference 65535, component 1.
constexpr uint32_t HostPriority = (126U << 24) | (65535U << 8) | (256U - 1);
constexpr int FirstDynamicPayloadType = 96;
constexpr std::string_view TelephoneEventFmtp = "0-16";
constexpr std::string_view OpusFmtp = "minptime=10;useinbandfec=1";

bool isRtpAudio(const SdpMedia& media) {
  return media.type == "audio" && media.protocol.find("RTP/") != std::string::npos;
}

/** @return the security an m= section's protocol and attributes ask for. */
MediaSecurity offeredSecurity(const SdpMedia& media) {
  if (media.protocol.find("TLS") != std::string::npos) {
    return MediaSecurity::DtlsSrtp;
  }
  if (media.protocol.find("SAVP") != std::string::npos) {
    return MediaSecurity::Sdes;
  }
  return MediaSecurity::None;
}

bool isUnspecified(std::string_view address) { return address == "0.0.0.0" || address == "::"; }

/**
 * RFC 2543 hold: c=0.0.0.0. An ICE peer (RFC 8839 section 4.2.1.4) writes 0.0.0.0 and port 9
 * when it trickles candidates, which is not hold.
 */
bool isHoldAddress(const SdpMedia& media) {
  return isUnspecified(media.connection_address) && media.ice_ufrag.empty();
}

bool isUdp(std::string_view transport) {
  return transport.size() == 3 && (transport[0] | 0x20) == 'u' && (transport[1] | 0x20) == 'd' &&
         (transport[2] | 0x20) == 'p';
}

Direction mirror(Direction direction) {
  switch (direction) {
    case Direction::SendOnly:
      return Direction::RecvOnly;
    case Direction::RecvOnly:
      return Direction::SendOnly;
    default:
      return direction;
  }
}

/** Drops our sending half when the peer's address says it cannot receive (c=0.0.0.0). */
Direction withoutSending(Direction direction) {
  switch (direction) {
    case Direction::SendRecv:
      return Direction::RecvOnly;
    case Direction::SendOnly:
      return Direction::Inactive;
    default:
      return direction;
  }
}

std::optional<CodecId> codecOf(const SdpFormat& format) {
  if (format.name.empty()) {
    return std::nullopt;
  }
  return codecByName(format.name, format.clock_rate);
}

bool isTelephoneEvent(const SdpFormat& format, int clock_rate) {
  return format.clock_rate == clock_rate && format.name.size() == TelephoneEventName.size() &&
         std::equal(format.name.begin(), format.name.end(), TelephoneEventName.begin(),
                    [](char a, char b) { return (a | 0x20) == (b | 0x20); });
}

const SdpFormat* findTelephoneEvent(const SdpMedia& media, int clock_rate) {
  for (const SdpFormat& format : media.formats) {
    if (isTelephoneEvent(format, clock_rate)) {
      return &format;
    }
  }
  return nullptr;
}

/** The index of the first audio RTP stream with a port, or -1. */
int findAudio(const SessionDescription& description) {
  for (std::size_t i = 0; i < description.media.size(); ++i) {
    const SdpMedia& media = description.media[i];
    if (isRtpAudio(media) && media.port != 0) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

/** A rejected copy of an offered stream (RFC 3264 section 6): port 0, formats kept, mid echoed. */
SdpMedia rejected(const SdpMedia& offered, const std::string& our_address) {
  SdpMedia media;
  media.type = offered.type;
  media.port = 0;
  media.protocol = offered.protocol;
  media.formats = offered.formats;
  media.mid = offered.mid;
  media.connection_address = our_address;
  media.direction = Direction::Inactive;
  return media;
}

/** The remote's RTCP port: its RTP port with rtcp-mux, else a=rtcp (RFC 3605), else RTP + 1. */
uint16_t rtcpPort(uint16_t rtp_port, const SdpMedia& remote, bool rtcp_mux) {
  if (rtcp_mux) {
    return rtp_port;
  }
  return remote.rtcp_port ? *remote.rtcp_port : static_cast<uint16_t>(rtp_port + 1);
}

void fillRemote(Negotiated& negotiated, const SdpMedia& remote) {
  negotiated.remote_address = remote.connection_address;
  negotiated.remote_port = remote.port;
  if (isUnspecified(remote.connection_address) && !remote.ice_ufrag.empty()) {
    // An ICE peer's address is in its candidates; ICE-lite still latches on to where its
    // connectivity checks come from, this is only the first guess.
    const SdpCandidate* best = nullptr;
    for (const SdpCandidate& candidate : remote.candidates) {
      if (candidate.component == 1 && isUdp(candidate.transport) &&
          (best == nullptr || candidate.priority > best->priority)) {
        best = &candidate;
      }
    }
    if (best != nullptr) {
      negotiated.remote_address = best->address;
      negotiated.remote_port = best->port;
    }
  }
  negotiated.rtcp_mux = remote.rtcp_mux;
  negotiated.remote_rtcp_port = rtcpPort(negotiated.remote_port, remote, remote.rtcp_mux);
  negotiated.remote_ice_ufrag = remote.ice_ufrag;
  negotiated.remote_ice_pwd = remote.ice_pwd;
  negotiated.remote_fingerprint_algorithm = remote.fingerprint_algorithm;
  negotiated.remote_fingerprint = remote.fingerprint;
  negotiated.remote_setup = remote.setup;
  negotiated.mid = remote.mid;
  negotiated.ptime = remote.ptime;
}

SessionDescription sessionFor(const LocalMedia& local) {
  SessionDescription description;
  description.origin_user = "kefu";
  description.session_id = local.session_id;
  description.session_version = local.session_version;
  description.origin_address = local.address;
  description.session_name = "kefu";
  description.connection_address = local.address;
  return description;
}

/** Adds our ICE-lite and DTLS attributes (RFC 8842, RFC 8839) to a stream. */
void addDtls(SdpMedia& media, const LocalMedia& local, std::string setup) {
  media.ice_ufrag = local.ice_ufrag;
  media.ice_pwd = local.ice_pwd;
  media.fingerprint_algorithm = local.fingerprint_algorithm;
  media.fingerprint = local.fingerprint;
  media.setup = std::move(setup);
  media.candidates.push_back({"1", 1, "UDP", HostPriority, local.address, local.port, "host"});
  media.end_of_candidates = true;
}

Error unacceptable(std::string message) {
  // A SIP layer answers 488 Not Acceptable Here to these.
  return Error::invalid("sdp", std::move(message));
}

}  // namespace

Result<Answer> answerOffer(const SessionDescription& offer, const LocalMedia& local) {
  const int audio_index = findAudio(offer);
  if (audio_index < 0) {
    return unacceptable("the offer has no audio stream");
  }
  const SdpMedia& offered = offer.media[static_cast<std::size_t>(audio_index)];

  // Security: the offer's, when we hold the keys for it; a local requirement must be met exactly.
  MediaSecurity security = offeredSecurity(offered);
  if (security == MediaSecurity::None && !offered.crypto.empty() &&
      local.security == MediaSecurity::Sdes) {
    security = MediaSecurity::Sdes;  // "best effort" SRTP: a=crypto on RTP/AVP
  }
  if (local.security != MediaSecurity::None && security != local.security) {
    return unacceptable("the offer's media security does not match the one required");
  }
  Answer answer;
  Negotiated& negotiated = answer.negotiated;
  negotiated.security = security;
  if (security == MediaSecurity::Sdes) {
    for (const SdpCrypto& theirs : offered.crypto) {
      auto ours = std::find_if(local.crypto.begin(), local.crypto.end(),
                               [&](const SdpCrypto& c) { return c.suite == theirs.suite; });
      if (ours != local.crypto.end()) {
        negotiated.remote_crypto = theirs;
        negotiated.local_crypto = SdpCrypto{theirs.tag, ours->suite, ours->key_params};
        break;
      }
    }
    if (!negotiated.remote_crypto) {
      return unacceptable("the offer has no a=crypto suite we support");
    }
  } else if (security == MediaSecurity::DtlsSrtp) {
    if (local.fingerprint.empty() || local.ice_ufrag.empty()) {
      return unacceptable("the offer asks for DTLS-SRTP and we have no certificate for it");
    }
    if (offered.fingerprint.empty()) {
      return unacceptable("the offer asks for DTLS-SRTP without an a=fingerprint");
    }
  }

  // The codec: our preference among those offered; the offer's payload type.
  const SdpFormat* chosen = nullptr;
  for (CodecId codec : local.codecs) {
    for (const SdpFormat& format : offered.formats) {
      if (codecOf(format) == codec) {
        chosen = &format;
        negotiated.codec = codec;
        break;
      }
    }
    if (chosen != nullptr) {
      break;
    }
  }
  if (chosen == nullptr) {
    return unacceptable("the offer shares no codec with us");
  }
  negotiated.payload_type = chosen->payload_type;
  const CodecSpec& spec = codecSpec(negotiated.codec);
  const SdpFormat* events =
      local.telephone_events ? findTelephoneEvent(offered, spec.clock_rate) : nullptr;
  if (events != nullptr) {
    negotiated.telephone_event_payload_type = events->payload_type;
  }

  fillRemote(negotiated, offered);
  negotiated.hold = offered.direction == Direction::SendOnly ||
                    offered.direction == Direction::Inactive || isHoldAddress(offered);
  const Direction answered = mirror(offered.direction);
  negotiated.direction = isHoldAddress(offered) ? withoutSending(answered) : answered;

  SessionDescription& description = answer.description;
  description = sessionFor(local);
  for (std::size_t i = 0; i < offer.media.size(); ++i) {
    const SdpMedia& media = offer.media[i];
    if (static_cast<int>(i) != audio_index) {
      description.media.push_back(rejected(media, local.address));
      continue;
    }
    SdpMedia& ours = description.media.emplace_back();
    ours.type = "audio";
    ours.port = local.port;
    ours.protocol = media.protocol;
    ours.connection_address = local.address;
    SdpFormat codec_format{chosen->payload_type, std::string(spec.name), spec.clock_rate,
                           spec.channels, chosen->fmtp};
    ours.formats.push_back(std::move(codec_format));
    if (events != nullptr) {
      ours.formats.push_back(*events);
    }
    ours.direction = answered;
    ours.ptime = 20;
    ours.rtcp_mux = media.rtcp_mux;
    ours.mid = media.mid;
    if (negotiated.local_crypto) {
      ours.crypto.push_back(*negotiated.local_crypto);
    }
    if (security == MediaSecurity::DtlsSrtp) {
      // We answer passive to actpass or active (RFC 5763 section 5), active to passive.
      addDtls(ours, local, media.setup == "passive" ? "active" : "passive");
      description.ice_lite = true;
    }
  }
  // BUNDLE (RFC 8843): only the accepted stream may stay in the group.
  const std::string& mid = offered.mid;
  if (!mid.empty() && std::find(offer.bundle_mids.begin(), offer.bundle_mids.end(), mid) !=
                          offer.bundle_mids.end()) {
    description.bundle_mids = {mid};
  }
  return answer;
}

SessionDescription makeOffer(const LocalMedia& local) {
  SessionDescription description = sessionFor(local);
  SdpMedia& media = description.media.emplace_back();
  media.type = "audio";
  media.port = local.port;
  media.connection_address = local.address;
  switch (local.security) {
    case MediaSecurity::None:
      media.protocol = "RTP/AVP";
      break;
    case MediaSecurity::Sdes:
      media.protocol = "RTP/SAVP";
      media.crypto = local.crypto;
      break;
    case MediaSecurity::DtlsSrtp:
      media.protocol = "UDP/TLS/RTP/SAVPF";
      break;
  }
  std::vector<CodecId> codecs = local.codecs;
  if (codecs.empty()) {
    // An m= line needs a format; G.711 is what every peer can take.
    KEFU_BUG("makeOffer without codecs");
    codecs.push_back(CodecId::Pcmu);
  }
  std::set<int> used;
  for (CodecId codec : codecs) {
    if (codecSpec(codec).static_payload_type >= 0) {
      used.insert(codecSpec(codec).static_payload_type);
    }
  }
  int next_dynamic = FirstDynamicPayloadType;
  auto allocate_payload_type = [&] {
    while (used.contains(next_dynamic)) {
      ++next_dynamic;
    }
    used.insert(next_dynamic);
    return next_dynamic;
  };
  std::vector<int> rates;
  for (CodecId codec : codecs) {
    const CodecSpec& spec = codecSpec(codec);
    if (std::any_of(media.formats.begin(), media.formats.end(),
                    [&](const SdpFormat& f) { return codecOf(f) == codec; })) {
      continue;  // listed twice by the caller
    }
    const int payload_type =
        spec.static_payload_type >= 0 ? spec.static_payload_type : allocate_payload_type();
    media.formats.push_back({payload_type, std::string(spec.name), spec.clock_rate, spec.channels,
                             codec == CodecId::Opus ? std::string(OpusFmtp) : std::string()});
    if (std::find(rates.begin(), rates.end(), spec.clock_rate) == rates.end()) {
      rates.push_back(spec.clock_rate);
    }
  }
  if (local.telephone_events) {
    // One telephone-event per clock rate: RFC 4733 events run at the codec's clock.
    for (int rate : rates) {
      media.formats.push_back({allocate_payload_type(), std::string(TelephoneEventName), rate, 1,
                               std::string(TelephoneEventFmtp)});
    }
  }
  media.ptime = 20;
  media.direction = Direction::SendRecv;
  if (local.security == MediaSecurity::DtlsSrtp) {
    // WebRTC peers require rtcp-mux and BUNDLE; SIP phones get separate RTCP as RFC 3550 has it.
    media.rtcp_mux = true;
    media.mid = "0";
    description.bundle_mids = {"0"};
    description.ice_lite = true;
    addDtls(media, local, local.setup.empty() ? "actpass" : local.setup);
  }
  return description;
}

Result<Negotiated> acceptAnswer(const SessionDescription& offer, const SessionDescription& answer) {
  const int audio_index = findAudio(offer);
  if (audio_index < 0) {
    return unacceptable("our offer has no audio stream");
  }
  if (answer.media.size() != offer.media.size()) {
    return unacceptable("the answer has " + std::to_string(answer.media.size()) +
                        " m= lines for our " + std::to_string(offer.media.size()));
  }
  const SdpMedia& offered = offer.media[static_cast<std::size_t>(audio_index)];
  const SdpMedia& answered = answer.media[static_cast<std::size_t>(audio_index)];
  if (answered.port == 0) {
    return unacceptable("the answer rejected the audio stream");
  }
  Negotiated negotiated;
  // The first codec of the answer that we offered: the one both sides send (RFC 3264 6.1).
  bool found = false;
  for (const SdpFormat& format : answered.formats) {
    auto codec = codecOf(format);
    if (!codec) {
      continue;
    }
    const bool offered_it = std::any_of(offered.formats.begin(), offered.formats.end(),
                                        [&](const SdpFormat& f) { return codecOf(f) == codec; });
    if (offered_it) {
      negotiated.codec = *codec;
      negotiated.payload_type = format.payload_type;
      found = true;
      break;
    }
  }
  if (!found) {
    return unacceptable("the answer has no codec we offered");
  }
  const int clock_rate = codecSpec(negotiated.codec).clock_rate;
  if (findTelephoneEvent(offered, clock_rate) != nullptr) {
    if (const SdpFormat* events = findTelephoneEvent(answered, clock_rate)) {
      negotiated.telephone_event_payload_type = events->payload_type;
    }
  }
  fillRemote(negotiated, answered);
  // rtcp-mux holds only when we offered it and the answer kept it (RFC 5761 section 5.1.1).
  negotiated.rtcp_mux = offered.rtcp_mux && answered.rtcp_mux;
  negotiated.remote_rtcp_port = rtcpPort(negotiated.remote_port, answered, negotiated.rtcp_mux);
  negotiated.hold = answered.direction == Direction::SendOnly ||
                    answered.direction == Direction::Inactive || isHoldAddress(answered);
  const Direction ours = mirror(answered.direction);
  negotiated.direction = isHoldAddress(answered) ? withoutSending(ours) : ours;

  negotiated.security = offeredSecurity(offered);
  if (negotiated.security == MediaSecurity::None && !offered.crypto.empty()) {
    negotiated.security = MediaSecurity::Sdes;
  }
  if (negotiated.security == MediaSecurity::Sdes) {
    for (const SdpCrypto& theirs : answered.crypto) {
      auto ours_crypto = std::find_if(
          offered.crypto.begin(), offered.crypto.end(),
          [&](const SdpCrypto& c) { return c.tag == theirs.tag && c.suite == theirs.suite; });
      if (ours_crypto != offered.crypto.end()) {
        negotiated.remote_crypto = theirs;
        negotiated.local_crypto = *ours_crypto;
        break;
      }
    }
    if (!negotiated.remote_crypto) {
      if (offeredSecurity(offered) == MediaSecurity::Sdes) {
        return unacceptable("the answer has no a=crypto matching our offer");
      }
      negotiated.security = MediaSecurity::None;  // best-effort SRTP declined
    }
  } else if (negotiated.security == MediaSecurity::DtlsSrtp && answered.fingerprint.empty()) {
    return unacceptable("the answer has no a=fingerprint for DTLS-SRTP");
  }
  return negotiated;
}

}  // namespace kefu::media
