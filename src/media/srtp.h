#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "core/result.h"

namespace kefu::media {

/** The SRTP protection profiles we offer and accept (SDES names and DTLS-SRTP profiles). */
enum class SrtpSuite { AesCm128HmacSha1_80, AesCm128HmacSha1_32, AeadAes128Gcm };

/** @return the master key plus master salt length of a suite in bytes (30, or 28 for GCM). */
std::size_t srtpKeyAndSaltSize(SrtpSuite suite);
/** @return the master key length of a suite in bytes (16 for all three). */
std::size_t srtpMasterKeySize(SrtpSuite suite);

/** The keys of one direction: master key || master salt, as SDES and DTLS-SRTP deliver them. */
struct SrtpKeyMaterial {
  SrtpSuite suite = SrtpSuite::AesCm128HmacSha1_80;
  std::array<uint8_t, 46> key_and_salt{};
  std::size_t size = 0;
  // RFC 4568 MKI: when mki_length > 0, every packet carries this index (big-endian) after the
  // payload. DTLS-SRTP never uses one.
  uint32_t mki = 0;
  uint8_t mki_length = 0;

  bool operator==(const SrtpKeyMaterial& other) const = default;
};

/** The most bytes protectRtp/protectRtcp add: libsrtp's trailer (tag + MKI) plus the SRTCP index.
 */
inline constexpr std::size_t SrtpMaxOverhead = 148;

/**
 * One direction pair of SRTP for one leg: outbound protects what we send, inbound checks what we
 * receive (replay protection included). Any SSRC is accepted in both directions. Lives on one
 * media thread; every method runs there. No allocation per packet (libsrtp allocates once per new
 * SSRC).
 */
class SrtpSession {
 public:
  /** @return a session, or an error naming the bad key material. Any thread. */
  static Result<std::unique_ptr<SrtpSession>> create(const SrtpKeyMaterial& outbound,
                                                     const SrtpKeyMaterial& inbound);
  ~SrtpSession();
  SrtpSession(const SrtpSession&) = delete;
  SrtpSession& operator=(const SrtpSession&) = delete;

  /** Protects the RTP packet of `size` bytes in `buffer` (which must have SrtpMaxOverhead spare);
   *  @return the new size, or 0 on failure. Media thread. */
  std::size_t protectRtp(std::span<uint8_t> buffer, std::size_t size);
  /** Protects the RTCP compound packet of `size` bytes in place; @return the new size or 0. */
  std::size_t protectRtcp(std::span<uint8_t> buffer, std::size_t size);
  /** @return the plain size, or nullopt when authentication or replay check fails (count it, drop
   *  it). Media thread. */
  std::optional<std::size_t> unprotectRtp(std::span<uint8_t> buffer, std::size_t size);
  /** @return the plain RTCP size, or nullopt when the packet fails authentication or replay. */
  std::optional<std::size_t> unprotectRtcp(std::span<uint8_t> buffer, std::size_t size);

  /** Frees the thread binding: the session moved to another media thread, whose first packet
   *  binds it. Called on the thread it leaves. */
  void releaseThread();

  /** @return how many received packets failed authentication (or were malformed). */
  uint64_t authFailures() const { return auth_failures_; }
  /** @return how many received packets were dropped as replays. */
  uint64_t replayedPackets() const { return replayed_packets_; }

 private:
  struct Contexts;
  explicit SrtpSession(std::unique_ptr<Contexts> contexts);
  std::optional<std::size_t> countUnprotectFailure(int status);

  std::unique_ptr<Contexts> contexts_;
  uint64_t auth_failures_ = 0;
  uint64_t replayed_packets_ = 0;
};
using SrtpSessionPtr = std::unique_ptr<SrtpSession>;

}  // namespace kefu::media
