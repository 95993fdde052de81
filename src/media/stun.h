#pragma once

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace kefu::media {

/** STUN message types Kefu uses (RFC 5389 section 6). */
inline constexpr uint16_t StunBindingRequest = 0x0001;
inline constexpr uint16_t StunBindingSuccess = 0x0101;
inline constexpr uint16_t StunBindingError = 0x0111;
inline constexpr uint16_t StunBindingIndication = 0x0011;

/** A parsed STUN message: the attributes ICE-lite needs (RFC 8445 section 7.3). */
struct StunMessage {
  uint16_t type = 0;
  std::array<uint8_t, 12> transaction_id{};
  std::string_view username;  // points into the parsed packet
  std::optional<uint32_t> priority;
  bool use_candidate = false;
  std::optional<uint64_t> ice_controlling, ice_controlled;
  bool has_integrity = false, has_fingerprint = false;
  std::optional<int> error_code;  // of an error response
};

/** Why a datagram is not a valid STUN message. */
enum class StunError { TooShort, NotStun, BadLength, BadAttribute, BadFingerprint };

/**
 * Parses a STUN message and checks its FINGERPRINT when present; never allocates or throws;
 * any thread. @return nullopt with `*error` (when given) saying what is wrong.
 */
std::optional<StunMessage> parseStun(std::span<const uint8_t> packet, StunError* error = nullptr);

/**
 * @return whether `packet` (already accepted by parseStun) carries a MESSAGE-INTEGRITY that
 * matches HMAC-SHA1 with `key` (short-term credentials: the ice-pwd); any thread.
 */
bool checkStunIntegrity(std::span<const uint8_t> packet, std::string_view key);

/**
 * Writes a Binding success response with XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY (key = our
 * ice-pwd) and FINGERPRINT; any thread. @return its length (0 when `out` is too small or `mapped`
 * is neither IPv4 nor IPv6).
 */
std::size_t writeBindingSuccess(const StunMessage& request, const sockaddr_storage& mapped,
                                std::string_view key, std::span<uint8_t> out);

/**
 * Writes a Binding error response (400, 401, 487) with ERROR-CODE, then MESSAGE-INTEGRITY when
 * `key` is not empty, and FINGERPRINT; any thread. @return its length (0 when `out` is too small).
 */
std::size_t writeBindingError(const StunMessage& request, int code, std::string_view reason,
                              std::string_view key, std::span<uint8_t> out);

/**
 * Writes a Binding request (for tests and for a controlling peer) with USERNAME, PRIORITY,
 * ICE-CONTROLLING, USE-CANDIDATE (when asked), MESSAGE-INTEGRITY and FINGERPRINT; any thread.
 * @return its length (0 when `out` is too small).
 */
std::size_t writeBindingRequest(std::span<const uint8_t, 12> transaction_id,
                                std::string_view username, std::string_view key, uint32_t priority,
                                bool use_candidate, uint64_t tie_breaker, std::span<uint8_t> out);

}  // namespace kefu::media
