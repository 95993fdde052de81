#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "media/audio.h"
#include "media/codec.h"
#include "media/dtls.h"
#include "media/dtmf.h"
#include "media/engine.h"
#include "media/internal/udp_socket.h"
#include "media/jitter_buffer.h"
#include "media/player.h"
#include "media/reception_stats.h"
#include "media/rtp.h"
#include "media/sdp_negotiation.h"
#include "media/srtp.h"

namespace kefu::media {

class Conference;
class Recorder;
struct ThreadCounters;

/** Everything a leg needs at creation; built on the control side, moved to the media thread. */
struct LegSetup {
  SessionId id = 0;
  UdpSocket rtp;
  UdpSocket rtcp;
  LocalMedia local;
  std::optional<Negotiated> negotiated;  // empty until the remote answer arrives (our offer)
  DtlsCertificatePtr certificate;
  bool in_band_dtmf = true;  // SessionOptions::in_band_dtmf
};

/**
 * One session's media on its media thread: its sockets, what it negotiated, the stream it sends
 * and the stream it receives, and what it is joined to (a partner leg, a conference, a recording).
 * Every method runs on the owning media thread.
 */
class Leg {
 public:
  /** The socket a readiness event is about: epoll's user data points at one of these. */
  struct SocketTag {
    Leg* leg;
    bool rtcp;
  };

  Leg(LegSetup setup, const EngineConfig& config, MediaEngineListener& listener,
      ThreadCounters& counters);
  ~Leg();

  SessionId id() const { return id_; }
  int rtpFd() const { return rtp_.fd(); }
  int rtcpFd() const { return rtcp_.fd(); }
  SocketTag* tag(bool rtcp) { return rtcp ? &rtcp_tag_ : &rtp_tag_; }
  bool negotiated() const { return negotiated_.has_value(); }
  const Negotiated& negotiation() const { return *negotiated_; }

  /** Starts the leg's clocks (and applies a negotiation that came with it). */
  void start(int64_t now_ms);
  /** Applies a (new) negotiation: the first answer, or a re-INVITE. */
  void applyNegotiation(const Negotiated& negotiated, int64_t now_ms);

  /** Handles one received datagram; relayed packets are queued on `send`. */
  void onDatagram(std::span<uint8_t> buffer, std::size_t size, const UdpAddress& source, bool rtcp,
                  SendBatch& send, int64_t now_ms);

  /** One 20 ms tick, first phase: what this leg received this tick, decoded (when it needs it). */
  void tickReceive(int64_t now_ms);
  /** Second phase: writes this tick of the recording this leg owns (left: this, right: partner). */
  void tickRecord();
  /** Third phase: sends what this leg should hear this tick (prompt, conference mix, DTMF). */
  void tickSend(int64_t now_ms);
  /** Sends RTCP and reports quality when the interval has passed; checks the RTP timeout. */
  void tickHousekeeping(int64_t now_ms);
  /** Sends the final quality report and an RTCP BYE. */
  void finish(int64_t now_ms);

  // What the leg is joined to.
  void setPartner(Leg* partner);
  Leg* partner() const { return partner_; }
  void setConference(Conference* conference);
  Conference* conference() const { return conference_; }
  void setRecorder(std::unique_ptr<Recorder> recorder, Leg* right);
  void pauseRecording(bool paused);
  void stopRecording();
  /** This leg is the right channel of `left`'s recording (nullptr: no longer). */
  void setRecordedBy(Leg* left) { recorded_by_ = left; }
  /** The right channel of the recording this leg owns, if any. */
  Leg* recordingRight() const { return recording_right_; }
  /** Drops the links of recordings to legs of the thread this leg leaves: a recording it owns keeps
   *  going with a silent right channel, and one it was the right channel of no longer hears it. */
  void detachRecordings();
  /** Counts this leg into `counters` (a new thread's) from now on; the open session moves along,
   *  and its DTLS and SRTP state is bound to the new thread. On the thread it leaves. */
  void moveCounters(ThreadCounters& counters);
  void setTap(std::shared_ptr<AudioTap> tap);
  void play(PromptPtr prompt, bool loop, uint64_t play_id);
  void stopPlay();
  void sendDtmf(char digit, int duration_ms);

  /** The audio received this tick (valid after tickReceive; silence when nothing arrived). */
  const AudioFrame& receivedAudio() const { return received_audio_; }

  // Where the leg's encoder writes; used by relay and transcoding from the partner.
  void sendFrame(const AudioFrame& frame, SendBatch* batch, int64_t now_ms);

 private:
  void onRtp(std::span<uint8_t> buffer, std::size_t size, const UdpAddress& source, SendBatch& send,
             int64_t now_ms);
  void onRtcp(std::span<uint8_t> buffer, std::size_t size, const UdpAddress& source,
              bool on_rtcp_socket);
  void onStun(std::span<const uint8_t> datagram, const UdpAddress& source);
  void onDtls(std::span<const uint8_t> datagram, const UdpAddress& source, int64_t now_ms);
  void flushDtls();
  void relayTo(Leg& to, std::span<uint8_t> buffer, std::size_t size, const RtpHeader& header,
               SendBatch& send, int64_t now_ms, bool telephone_event);
  void transcodeTo(Leg& to, std::span<const uint8_t> payload, SendBatch& send, int64_t now_ms);
  /** Whether the partner's audio reaches this leg now (no prompt or conference in the way). */
  bool hearsPartner() const;
  /** Whether this leg decodes what it receives to the internal rate (recording, conference, tap,
   *  or in-band DTMF on a codec that has no 8 kHz path). */
  bool needsAudio() const;
  /** Whether in-band DTMF is detected here (the peer negotiated no telephone-event). */
  bool detectsInBandDtmf() const;
  /** Whether that detection runs at 8 kHz on table-decoded G.711, on arrival, without resampling.
   */
  bool detectsNarrowDtmf() const;
  /** Runs the 8 kHz detector over one G.711 payload as it arrives. */
  void detectNarrowDtmf(std::span<const uint8_t> payload);
  /** Creates the jitter buffer, decoder and detector that decoding what arrives needs. */
  void prepareAudio();
  /** Protects (SRTP) and sends one RTP packet of `size` bytes built in `buffer`. */
  void sendRtp(std::span<uint8_t> buffer, std::size_t size, std::size_t payload_size,
               SendBatch* batch);
  /** Advances the outgoing timestamp over a pause in sending, so the peer sees real time pass. */
  void advanceClock(int64_t now_ms);
  void sendTelephoneEvent(int64_t now_ms);
  void sendRtcpReport(bool bye, int64_t now_ms);
  QualityReport qualityReport(bool final) const;

  // not owned, outlive this
  const EngineConfig& config_;
  MediaEngineListener& listener_;
  ThreadCounters* counters_;  // the owning thread's; changes when the leg moves
  // owned
  SessionId id_;
  UdpSocket rtp_;
  UdpSocket rtcp_;
  SocketTag rtp_tag_{this, false};
  SocketTag rtcp_tag_{this, true};
  LocalMedia local_;
  std::optional<Negotiated> negotiated_;
  std::optional<Negotiated> pending_negotiation_;
  DtlsCertificatePtr certificate_;
  UdpAddress remote_rtp_;
  UdpAddress remote_rtcp_;
  bool remote_latched_ = false;

  // Security.
  std::unique_ptr<DtlsTransport> dtls_;
  std::unique_ptr<SrtpSession> srtp_;
  int64_t dtls_timer_ms_ = -1;
  bool dtls_reported_ = false;

  // The stream we send.
  uint32_t ssrc_;
  uint16_t next_sequence_;
  uint32_t next_timestamp_;
  int64_t last_sent_ms_ = 0;
  bool sent_any_ = false;
  bool marker_next_ = true;
  uint64_t packets_sent_ = 0;
  uint64_t octets_sent_ = 0;
  // Relay: the offsets mapping the partner's stream onto ours, fixed per partner SSRC.
  std::optional<uint32_t> relay_source_ssrc_;
  uint16_t relay_sequence_offset_ = 0;
  uint32_t relay_timestamp_offset_ = 0;

  // The stream we receive.
  ReceptionStats stats_;
  std::optional<uint32_t> remote_ssrc_;
  int64_t last_received_ms_ = 0;
  uint32_t last_sr_ = 0;
  int64_t last_sr_arrival_us_ = 0;
  std::optional<double> round_trip_ms_;
  TelephoneEventReceiver telephone_events_in_;
  std::unique_ptr<JitterBuffer> jitter_;
  DecoderPtr decoder_;
  DecoderPtr transcode_decoder_;  // a second decoder: codec state is per stream of frames
  EncoderPtr encoder_;
  std::unique_ptr<DtmfDetector> dtmf_detector_;
  bool in_band_dtmf_ = true;  // SessionOptions::in_band_dtmf
  AudioFrame received_audio_;

  // What this leg sends besides relayed audio.
  std::unique_ptr<Player> player_;
  uint64_t play_id_ = 0;
  TelephoneEventSender telephone_events_out_;
  uint32_t telephone_event_timestamp_ = 0;
  DtmfGenerator dtmf_generator_;

  // What it is joined to.
  Leg* partner_ = nullptr;
  bool relay_ = false;
  Conference* conference_ = nullptr;
  std::unique_ptr<Recorder> recorder_;
  Leg* recording_right_ = nullptr;
  Leg* recorded_by_ = nullptr;
  std::shared_ptr<AudioTap> tap_;

  // Reporting.
  bool finished_ = false;
  int64_t next_report_ms_ = 0;
  bool timed_out_ = false;
  uint64_t interval_received_ = 0;
  uint8_t interval_fraction_lost_ = 0;
};

/** @return the steady clock in microseconds: the media threads' time. */
int64_t monotonicMicros();

}  // namespace kefu::media
