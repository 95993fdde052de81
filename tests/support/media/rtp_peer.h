#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "media/codec.h"
#include "media/codec_id.h"
#include "media/rtp.h"

namespace kefu::media::testing {

/**
 * A minimal SIP-phone-like RTP endpoint for tests: a UDP socket on loopback that sends a tone (or
 * digits) in one codec every 20 ms and keeps what it receives, decoded. Not the engine's code
 * path: it has its own socket, pacing and sequence numbers.
 */
class RtpPeer {
 public:
  /** `telephone_event_type` < 0: the peer offers no RFC 4733 events. */
  RtpPeer(CodecId codec, int payload_type, int telephone_event_type = 101);
  ~RtpPeer();
  RtpPeer(const RtpPeer&) = delete;
  RtpPeer& operator=(const RtpPeer&) = delete;

  uint16_t port() const { return port_; }
  /** @return an SDP offer of the peer's one codec (and telephone events). */
  std::string offer() const;
  /** @return an SDP answer to `engine_offer` with the peer's codec, and starts sending there. */
  std::string answer(const std::string& engine_offer);
  /** Takes the engine's address and port (and payload types) from its SDP answer. */
  void useRemote(const std::string& engine_sdp);

  /** Starts sending a tone of `hz` (0: silence) until stopped or changed. */
  void sendTone(double hz);
  /** Sends one RFC 4733 digit (start, updates, three ends), or in-band when the peer has no events.
   */
  void sendDigit(char digit);
  /** Sends raw bytes to the engine, as they are (garbage tests). */
  void sendRaw(const std::vector<uint8_t>& datagram);
  /** Stops sending (the receiver keeps running). */
  void stopSending();

  /** @return the audio received so far, decoded at 16 kHz in arrival order. */
  std::vector<int16_t> receivedAudio() const;
  /** @return the headers of the RTP packets received so far. */
  std::vector<RtpHeader> receivedHeaders() const;
  /** @return every datagram received (RTP and RTCP). */
  std::size_t datagramsReceived() const { return datagrams_.load(); }
  void clearReceived();

 private:
  void run();
  void sendFrame();

  CodecId codec_;
  int payload_type_;
  int telephone_event_type_;
  int fd_ = -1;
  uint16_t port_ = 0;
  mutable std::mutex mutex_;
  std::string remote_address_;               // guarded by mutex_
  uint16_t remote_port_ = 0;                 // guarded by mutex_
  int remote_payload_type_ = -1;             // guarded by mutex_
  double tone_hz_ = 0;                       // guarded by mutex_
  bool sending_ = false;                     // guarded by mutex_
  std::vector<char> digits_;                 // guarded by mutex_
  std::vector<int16_t> received_audio_;      // guarded by mutex_
  std::vector<RtpHeader> received_headers_;  // guarded by mutex_
  std::atomic<std::size_t> datagrams_{0};
  std::atomic<bool> stop_{false};
  EncoderPtr encoder_;
  DecoderPtr decoder_;
  std::thread thread_;
};

}  // namespace kefu::media::testing
