#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "media/codec_id.h"
#include "media/mixer.h"
#include "media/prompt.h"
#include "media/sdp_negotiation.h"

namespace kefu::media {

/** How the engine runs; see docs/media.md. */
struct EngineConfig {
  int threads = 0;                         // media threads; 0 = one per core
  std::string bind_address = "127.0.0.1";  // where RTP sockets listen
  std::string advertised_address;          // the address written in SDP; empty = bind_address
  uint16_t port_min = 20000;               // RTP port range (even ports; RTCP on port + 1)
  uint16_t port_max = 29999;
  std::vector<CodecId> codecs{CodecId::Opus, CodecId::G722, CodecId::Pcmu, CodecId::Pcma};
  int rtp_timeout_ms = 30000;      // no packet for this long: onRtpTimeout
  int quality_interval_ms = 5000;  // how often a leg reports its quality (and sends RTCP)
  std::string cname = "kefu";      // RTCP CNAME
};

using SessionId = uint64_t;
using ConferenceId = uint64_t;

/** Where a DTMF digit came from. */
enum class DtmfSource { Rfc4733, InBand };

/** One leg's reception quality over an interval (or its whole life when `final`). */
struct QualityReport {
  CodecId codec = CodecId::Pcmu;
  bool final = false;
  uint64_t packets_received = 0;
  int64_t packets_lost = 0;
  double loss_percent = 0;
  double jitter_ms = 0;
  std::optional<double> round_trip_ms;
  double mos = 0;  // ITU-T G.107 E-model
};

/**
 * What the engine tells the control side. Every method is called on a media thread: an
 * implementation posts what it needs to its own loop and returns at once.
 */
class MediaEngineListener {
 public:
  virtual ~MediaEngineListener() = default;
  virtual void onDtmf(SessionId session, char digit, DtmfSource source) = 0;
  virtual void onPlayFinished(SessionId session, uint64_t play_id) = 0;
  virtual void onQuality(SessionId session, const QualityReport& report) = 0;
  virtual void onRtpTimeout(SessionId session) = 0;
  /** DTLS-SRTP finished its handshake (`ok`) or failed (`reason`). */
  virtual void onSecureTransport(SessionId session, bool ok, std::string_view reason) = 0;
};

/** Options of a new session. */
struct SessionOptions {
  MediaSecurity security = MediaSecurity::None;
  /** Sessions with the same affinity start on the same media thread (a call's legs): bridging or
   *  conferencing them then needs no move. 0: the threads in turn. */
  uint64_t affinity = 0;
  /** Whether keys sent as tones are looked for when the peer negotiated no telephone-event. Call
   *  control asks for it on the customer's leg only: detection is the costliest work on a relayed
   *  G.711 leg (about 15 % of a media thread at 2,000 calls), and an agent's phone or a forwarded
   *  number is never listened to for keys. */
  bool in_band_dtmf = true;
};

/** A new session and our SDP for it. */
struct SessionSdp {
  SessionId id = 0;
  std::string sdp;
};

/** Receives a leg's decoded audio (for speech recognition). Called on the leg's media thread. */
class AudioTap {
 public:
  virtual ~AudioTap() = default;
  virtual void onAudio(SessionId session, const AudioFrame& frame) = 0;
};

/** Figures over all threads, for /metrics. Safe to read from any thread. */
struct EngineCounters {
  uint64_t sessions_active = 0;
  uint64_t sessions_created = 0;
  // Sessions moved to another media thread by a bridge, a recording or a conference join.
  uint64_t sessions_moved = 0;
  uint64_t packets_received = 0;
  uint64_t packets_sent = 0;
  uint64_t packets_relayed = 0;
  uint64_t packets_transcoded = 0;
  // Frames decoded to the internal rate for a consumer (recording, tap, conference, in-band DTMF
  // on a codec other than G.711); a plain relay decodes none.
  uint64_t frames_decoded = 0;
  // G.711 packets checked for in-band DTMF at 8 kHz straight from the table (no resampling).
  uint64_t frames_dtmf_narrow = 0;
  uint64_t malformed_rtp = 0;
  uint64_t malformed_rtcp = 0;
  uint64_t malformed_stun = 0;
  uint64_t malformed_dtls = 0;
  uint64_t srtp_failures = 0;
  uint64_t unknown_packets = 0;
};

/**
 * Kefu's media engine: media threads that own RTP sessions, their sockets and their audio
 * processing (relay, transcoding, prompts, recording, conferences, DTMF, quality). Its methods may
 * be called from any thread; they post to the session's media thread and never wait for it, except
 * that creating a session binds its socket on the caller's thread.
 */
class MediaEngine {
 public:
  virtual ~MediaEngine() = default;

  /** Creates a session answering a remote offer; @return its id and our answer, or InvalidArgument
   *  when the offer is malformed or cannot be met (a SIP layer answers 488). */
  virtual Result<SessionSdp> answer(std::string_view offer_sdp, const SessionOptions& options) = 0;
  /** Creates a session with our offer; complete it with acceptAnswer(). */
  virtual Result<SessionSdp> offer(const SessionOptions& options) = 0;
  /** Applies the remote answer to our offer. */
  virtual Result<void> acceptAnswer(SessionId id, std::string_view answer_sdp) = 0;
  /** Answers a new offer in an existing session (re-INVITE: hold, resume, codec change). */
  virtual Result<std::string> reanswer(SessionId id, std::string_view offer_sdp) = 0;

  /** Joins two sessions' audio: packet relay when they share a codec, transcoding otherwise. When
   *  they live on different media threads, `b` moves to `a`'s (pass the call's caller leg as `a`):
   *  `b` leaves its former partner, conference and recording links first, then the two are bridged
   *  there; what is asked of `b` meanwhile runs after, in order. @return an error when either is
   *  unknown. */
  virtual Result<void> bridge(SessionId a, SessionId b) = 0;
  /** Undoes bridge() for the session and its partner. */
  virtual void unbridge(SessionId id) = 0;

  /** Plays a prompt to the session (replacing what it hears meanwhile); onPlayFinished when done.
   */
  virtual void play(SessionId id, PromptPtr prompt, bool loop, uint64_t play_id) = 0;
  virtual void stopPlay(SessionId id) = 0;
  /** Sends a DTMF digit as RFC 4733 events (in-band when the peer did not negotiate them). */
  virtual void sendDtmf(SessionId id, char digit, int duration_ms) = 0;

  /** Records `left` (e.g. the caller) and `right` (the agent; 0 for none, the channel stays
   *  silent) into one stereo WAV at `path`; `right` moves to `left`'s media thread as in bridge().
   *  @return an error naming the path it cannot write, or the unknown session. */
  virtual Result<void> startRecording(SessionId left, SessionId right, const std::string& path) = 0;
  virtual void pauseRecording(SessionId left, bool paused) = 0;
  virtual void stopRecording(SessionId left) = 0;

  /** Adds the session to a conference (created on first use, on the session's media thread) with
   *  a role (whisper: `target`); a session on another thread moves to the conference's first,
   *  leaving its partner. @return an error when the session is unknown. */
  virtual Result<void> joinConference(ConferenceId conference, SessionId id, Mixer::Role role,
                                      SessionId whisper_target = 0) = 0;
  virtual void setConferenceMuted(SessionId id, bool muted) = 0;
  virtual void leaveConference(SessionId id) = 0;

  /** Streams the session's decoded received audio to `tap` (nullptr stops it). */
  virtual void setTap(SessionId id, std::shared_ptr<AudioTap> tap) = 0;

  /** Ends the session: its socket closes and a final quality report is sent. */
  virtual void destroy(SessionId id) = 0;

  /** @return the counters summed over the media threads. Any thread. */
  virtual EngineCounters counters() const = 0;
  /** @return the address written in our SDP. */
  virtual const std::string& advertisedAddress() const = 0;
};
using MediaEnginePtr = std::unique_ptr<MediaEngine>;

/** Starts the media threads; @return an error naming the bad setting. */
Result<MediaEnginePtr> startMediaEngine(const EngineConfig& config, MediaEngineListener& listener);

}  // namespace kefu::media
