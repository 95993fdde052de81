#include "media/srtp.h"

#include <srtp2/srtp.h>

#include <climits>
#include <mutex>
#include <string>
#include <thread>

namespace kefu::media {

namespace {

static_assert(SrtpMaxOverhead >= SRTP_MAX_TRAILER_LEN + 4,
              "SRTCP adds its 4-byte index on top of libsrtp's trailer");

// libsrtp keeps global state (the crypto kernel) that must be set up exactly once per process.
Result<void> initLibsrtp() {
  static std::once_flag once;
  static srtp_err_status_t status = srtp_err_status_ok;
  std::call_once(once, [] { status = srtp_init(); });
  if (status != srtp_err_status_ok) {
    return Error::internal("srtp_init failed with status " + std::to_string(status));
  }
  return {};
}

void setCryptoPolicies(SrtpSuite suite, srtp_policy_t& policy) {
  switch (suite) {
    case SrtpSuite::AesCm128HmacSha1_80:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
      break;
    case SrtpSuite::AesCm128HmacSha1_32:
      // RFC 4568 section 6.2.1: SRTCP keeps the 80-bit tag even with the _32 suite.
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
      break;
    case SrtpSuite::AeadAes128Gcm:
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
      break;
  }
}

// One libsrtp session holding one wildcard stream template, with the key kept alive beside it.
struct Direction {
  srtp_t session = nullptr;
  bool use_mki = false;

  ~Direction() {
    if (session != nullptr) {
      srtp_dealloc(session);
    }
  }
};

Result<void> createDirection(const SrtpKeyMaterial& keys, srtp_ssrc_type_t ssrc_type,
                             std::string_view which, Direction& direction) {
  if (keys.size != srtpKeyAndSaltSize(keys.suite)) {
    return Error::invalid(std::string(which), "the " + std::string(which) + " key is " +
                                                  std::to_string(keys.size) + " bytes, expected " +
                                                  std::to_string(srtpKeyAndSaltSize(keys.suite)));
  }
  if (keys.mki_length > 4) {
    return Error::invalid(std::string(which), "an MKI longer than 4 bytes is not supported");
  }
  srtp_policy_t policy{};
  setCryptoPolicies(keys.suite, policy);
  policy.ssrc.type = ssrc_type;
  // A copy, because libsrtp takes non-const pointers; it copies the key into its own streams.
  std::array<uint8_t, 46> key = keys.key_and_salt;
  std::array<uint8_t, 4> mki_id{};
  srtp_master_key_t master_key{};
  srtp_master_key_t* master_keys[1] = {&master_key};
  if (keys.mki_length > 0) {
    for (uint8_t i = 0; i < keys.mki_length; ++i) {
      mki_id[i] = static_cast<uint8_t>(keys.mki >> (8 * (keys.mki_length - 1 - i)));
    }
    master_key.key = key.data();
    master_key.mki_id = mki_id.data();
    master_key.mki_size = keys.mki_length;
    policy.keys = master_keys;
    policy.num_master_keys = 1;
    direction.use_mki = true;
  } else {
    policy.key = key.data();
  }
  // Chrome's window: audio arriving up to 1024 packets late (20 s) is still accepted once.
  policy.window_size = 1024;
  policy.allow_repeat_tx = 0;
  policy.next = nullptr;
  srtp_err_status_t status = srtp_create(&direction.session, &policy);
  if (status != srtp_err_status_ok) {
    direction.session = nullptr;
    return Error::invalid(std::string(which), "libsrtp rejected the " + std::string(which) +
                                                  " key (status " + std::to_string(status) + ")");
  }
  return {};
}

}  // namespace

std::size_t srtpKeyAndSaltSize(SrtpSuite suite) {
  return suite == SrtpSuite::AeadAes128Gcm ? SRTP_AES_GCM_128_KEY_LEN_WSALT
                                           : SRTP_AES_ICM_128_KEY_LEN_WSALT;
}

std::size_t srtpMasterKeySize(SrtpSuite /*suite*/) { return SRTP_AES_128_KEY_LEN; }

struct SrtpSession::Contexts {
  Direction outbound;
  Direction inbound;
  std::thread::id thread;  // the media thread, bound by the first packet (checked in debug)

  bool isOwnThread() {
    if (thread == std::thread::id()) {
      thread = std::this_thread::get_id();
    }
    return thread == std::this_thread::get_id();
  }
};

void SrtpSession::releaseThread() { contexts_->thread = std::thread::id(); }

Result<std::unique_ptr<SrtpSession>> SrtpSession::create(const SrtpKeyMaterial& outbound,
                                                         const SrtpKeyMaterial& inbound) {
  KEFU_TRY(initLibsrtp());
  // Two libsrtp sessions rather than one with two templates: with one, a packet we receive with
  // an SSRC we also send (a loop, or a peer echoing our SSRC) would be checked with our own
  // outbound stream's keys.
  auto contexts = std::make_unique<Contexts>();
  KEFU_TRY(createDirection(outbound, ssrc_any_outbound, "outbound", contexts->outbound));
  KEFU_TRY(createDirection(inbound, ssrc_any_inbound, "inbound", contexts->inbound));
  return std::unique_ptr<SrtpSession>(new SrtpSession(std::move(contexts)));
}

SrtpSession::SrtpSession(std::unique_ptr<Contexts> contexts) : contexts_(std::move(contexts)) {}

SrtpSession::~SrtpSession() = default;

std::size_t SrtpSession::protectRtp(std::span<uint8_t> buffer, std::size_t size) {
  KEFU_ASSERT(contexts_->isOwnThread());
  if (size < 12 || size > buffer.size() || buffer.size() - size < SrtpMaxOverhead ||
      size > INT_MAX - SrtpMaxOverhead) {
    return 0;
  }
  int length = static_cast<int>(size);
  const Direction& out = contexts_->outbound;
  srtp_err_status_t status = out.use_mki
                                 ? srtp_protect_mki(out.session, buffer.data(), &length, 1, 0)
                                 : srtp_protect(out.session, buffer.data(), &length);
  return status == srtp_err_status_ok ? static_cast<std::size_t>(length) : 0;
}

std::size_t SrtpSession::protectRtcp(std::span<uint8_t> buffer, std::size_t size) {
  KEFU_ASSERT(contexts_->isOwnThread());
  if (size < 8 || size > buffer.size() || buffer.size() - size < SrtpMaxOverhead ||
      size > INT_MAX - SrtpMaxOverhead) {
    return 0;
  }
  int length = static_cast<int>(size);
  const Direction& out = contexts_->outbound;
  srtp_err_status_t status = out.use_mki
                                 ? srtp_protect_rtcp_mki(out.session, buffer.data(), &length, 1, 0)
                                 : srtp_protect_rtcp(out.session, buffer.data(), &length);
  return status == srtp_err_status_ok ? static_cast<std::size_t>(length) : 0;
}

std::optional<std::size_t> SrtpSession::unprotectRtp(std::span<uint8_t> buffer, std::size_t size) {
  KEFU_ASSERT(contexts_->isOwnThread());
  if (size < 12 || size > buffer.size() || size > INT_MAX) {
    ++auth_failures_;
    return std::nullopt;
  }
  int length = static_cast<int>(size);
  const Direction& in = contexts_->inbound;
  srtp_err_status_t status = in.use_mki ? srtp_unprotect_mki(in.session, buffer.data(), &length, 1)
                                        : srtp_unprotect(in.session, buffer.data(), &length);
  if (status != srtp_err_status_ok) {
    return countUnprotectFailure(status);
  }
  return static_cast<std::size_t>(length);
}

std::optional<std::size_t> SrtpSession::unprotectRtcp(std::span<uint8_t> buffer, std::size_t size) {
  KEFU_ASSERT(contexts_->isOwnThread());
  if (size < 8 || size > buffer.size() || size > INT_MAX) {
    ++auth_failures_;
    return std::nullopt;
  }
  int length = static_cast<int>(size);
  const Direction& in = contexts_->inbound;
  srtp_err_status_t status = in.use_mki
                                 ? srtp_unprotect_rtcp_mki(in.session, buffer.data(), &length, 1)
                                 : srtp_unprotect_rtcp(in.session, buffer.data(), &length);
  if (status != srtp_err_status_ok) {
    return countUnprotectFailure(status);
  }
  return static_cast<std::size_t>(length);
}

std::optional<std::size_t> SrtpSession::countUnprotectFailure(int status) {
  if (status == srtp_err_status_replay_fail || status == srtp_err_status_replay_old) {
    ++replayed_packets_;
  } else {
    ++auth_failures_;
  }
  return std::nullopt;
}

}  // namespace kefu::media
