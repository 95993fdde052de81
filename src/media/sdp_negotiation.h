#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "media/codec_id.h"
#include "media/sdp.h"

namespace kefu::media {

/** How a stream's RTP is protected. */
enum class MediaSecurity { None, Sdes, DtlsSrtp };

/** What our side offers or accepts for one audio stream. */
struct LocalMedia {
  std::string address;
  uint16_t port = 0;
  std::vector<CodecId> codecs;  // in our preference order
  bool telephone_events = true;
  // makeOffer offers this. answerOffer requires it when it is not None; with None it follows
  // the offer (plain RTP, SDES or DTLS-SRTP) as far as the keys below allow.
  MediaSecurity security = MediaSecurity::None;
  std::vector<SdpCrypto> crypto;   // our SDES offers (Sdes), filled by the caller
  std::string ice_ufrag, ice_pwd;  // ICE-lite credentials (DtlsSrtp), with one host candidate
  // DtlsSrtp: our certificate's fingerprint. `setup` is what makeOffer offers (default
  // "actpass"); an answer is "passive" to "actpass" or "active", "active" to "passive".
  std::string fingerprint_algorithm, fingerprint, setup;
  uint64_t session_id = 0, session_version = 0;
};

/** What offer/answer settled for the audio stream. */
struct Negotiated {
  CodecId codec = CodecId::Pcmu;
  int payload_type = 0;
  int telephone_event_payload_type = -1;  // -1 when the peers share no telephone-event
  std::string remote_address;
  uint16_t remote_port = 0;
  uint16_t remote_rtcp_port = 0;  // the RTP port when rtcp_mux, else a=rtcp or RTP port + 1
  bool rtcp_mux = false;
  Direction direction =
      Direction::SendRecv;  // from OUR point of view (offer sendonly -> we recvonly)
  MediaSecurity security = MediaSecurity::None;
  std::optional<SdpCrypto> remote_crypto, local_crypto;
  std::string remote_ice_ufrag, remote_ice_pwd, remote_fingerprint_algorithm, remote_fingerprint,
      remote_setup;
  std::string mid;
  int ptime = 0;      // the remote's a=ptime, 0 when absent
  bool hold = false;  // remote sendonly/inactive or c=0.0.0.0
};

/** Our answer to an offer and what it settled. */
struct Answer {
  SessionDescription description;
  Negotiated negotiated;
};

/**
 * Answers a remote offer (RFC 3264 section 6) for the first usable audio stream; any thread.
 * @return an error when there is no audio stream, no common codec, or the security cannot be met
 * (a SIP layer maps it to 488). Non-audio and further audio streams are rejected with port 0.
 */
Result<Answer> answerOffer(const SessionDescription& offer, const LocalMedia& local);

/** @return our offer of one audio stream from `local`; any thread. */
SessionDescription makeOffer(const LocalMedia& local);

/**
 * Applies the remote answer to our offer (RFC 3264 section 7); any thread.
 * @return an error when the answer rejects the audio stream, picks a codec we did not offer or
 * lacks the security we required.
 */
Result<Negotiated> acceptAnswer(const SessionDescription& offer, const SessionDescription& answer);

}  // namespace kefu::media
