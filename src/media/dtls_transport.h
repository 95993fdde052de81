#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "media/dtls_certificate.h"
#include "media/srtp.h"

struct ssl_st;  // OpenSSL's SSL
struct bio_st;  // OpenSSL's BIO

namespace kefu::media {

/** Timers and sizes of a DTLS handshake; the defaults suit browsers and SIP phones. */
struct DtlsTransportConfig {
  int64_t initial_retransmit_ms = 1000;  // RFC 6347 section 4.2.4.1
  int64_t max_retransmit_ms = 8000;      // the doubling stops here
  int64_t handshake_timeout_ms = 30000;  // from start() to Failed("handshake timeout")
  int mtu = 1200;                        // DTLS payload per datagram, as WebRTC uses
};

/**
 * DTLS-SRTP (RFC 5763/5764) on memory buffers: the engine feeds received datagrams in and sends
 * what it produces out, so it owns the UDP socket (and ICE). Time is passed in (now_ms, any
 * monotonic milliseconds), so retransmissions and the handshake timeout are deterministic.
 * Lives on one media thread; every method runs there.
 */
class DtlsTransport {
 public:
  enum class Role { Client, Server };  // a=setup:active = Client, passive = Server
  enum class State { New, Handshaking, Connected, Failed, Closed };

  DtlsTransport(DtlsCertificatePtr certificate, Role role, std::string remote_fingerprint_algorithm,
                std::string remote_fingerprint, DtlsTransportConfig config = {});
  ~DtlsTransport();
  DtlsTransport(const DtlsTransport&) = delete;
  DtlsTransport& operator=(const DtlsTransport&) = delete;

  /** Starts the handshake (the client sends its ClientHello; the server waits for it). */
  void start(int64_t now_ms);
  /** Feeds one received DTLS datagram (PacketKind::Dtls). Garbage is counted and dropped. */
  void onDatagram(std::span<const uint8_t> datagram, int64_t now_ms);
  /** Retransmits when the handshake timer expired, fails the handshake when it took too long;
   *  @return the next time to call it (ms), or -1 when no timer runs. */
  int64_t onTimer(int64_t now_ms);
  /** @return the time onTimer wants to be called next (ms), or -1. */
  int64_t nextTimerMs() const { return next_timer_ms_; }
  /** Moves the oldest datagram to send into `datagram`; @return false when none is left. The
   *  engine drains them after every call above. */
  bool popOutgoing(std::vector<uint8_t>& datagram);
  /** Sends close_notify (when connected) and moves to Closed. */
  void close();
  /** Frees the thread binding: the session moved to another media thread, whose first call
   *  binds it. Called on the thread it leaves. */
  void releaseThread() { thread_ = std::thread::id(); }

  /** @return where the handshake is. */
  State state() const { return state_; }
  /** @return why the state is Failed ("fingerprint mismatch", "handshake timeout", ...), else "".
   */
  std::string_view failureReason() const { return failure_reason_; }
  /** @return our role. */
  Role role() const { return role_; }
  /** @return the negotiated SRTP profile (valid when Connected). */
  SrtpSuite srtpSuite() const { return keys_.first.suite; }
  /** After Connected: keys for SrtpSession::create (outbound, inbound) according to our role. */
  std::pair<SrtpKeyMaterial, SrtpKeyMaterial> srtpKeys() const { return keys_; }
  /** @return how many received datagrams were not DTLS or were rejected by the DTLS stack. */
  uint64_t malformedDatagrams() const { return malformed_datagrams_; }
  /** @return how many times the handshake timer resent our last flight. */
  uint64_t retransmissions() const { return retransmissions_; }

  /** @return whether retransmissions follow the now_ms passed in (OpenSSL 3.0/3.1, Debian 12)
   *  rather than OpenSSL's wall clock (3.2 and later, where it no longer exposes its timer). */
  static bool retransmitsOnCallerTime();
  /** @return whether a datagram's first byte is a DTLS record (RFC 7983: 20..63). */
  static bool looksLikeDtls(std::span<const uint8_t> datagram);

  // For the custom BIO and the verify callback (internal; not for the engine).
  struct Glue;

 private:
  void advanceHandshake(int64_t now_ms);
  void fail(std::string reason);
  void onConnected();
  void updateTimer();
  void drainApplicationData();
  void flushPending();
  bool isOwnThread();

  // Shared; outlives nothing in particular.
  DtlsCertificatePtr certificate_;
  const Role role_;
  const std::string remote_fingerprint_algorithm_;
  const std::string remote_fingerprint_;
  const DtlsTransportConfig config_;

  // Owned.
  std::thread::id thread_;  // the media thread, bound by the first call (checked in debug builds)
  ssl_st* ssl_ = nullptr;
  std::span<const uint8_t> incoming_;      // the datagram being read, valid during onDatagram
  std::vector<uint8_t> pending_datagram_;  // records OpenSSL wrote since its last flush
  std::deque<std::vector<uint8_t>> outgoing_;
  void* openssl_next_timeout_ = nullptr;  // OpenSSL's own timer (struct timeval), see onTimer
  int64_t now_ms_ = 0;                    // the time passed to the call in progress
  int64_t handshake_deadline_ms_ = -1;
  int64_t retransmit_at_ms_ = -1;
  std::string verify_failure_;  // set by the certificate check when it rejects the peer
  State state_ = State::New;
  std::string failure_reason_;
  bool fingerprint_checked_ = false;
  int64_t next_timer_ms_ = -1;
  int64_t retransmit_interval_ms_ = 0;
  std::pair<SrtpKeyMaterial, SrtpKeyMaterial> keys_;
  uint64_t malformed_datagrams_ = 0;
  uint64_t retransmissions_ = 0;
};
using DtlsTransportPtr = std::unique_ptr<DtlsTransport>;

}  // namespace kefu::media
