#include "media/dtls_transport.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/opensslv.h>
#include <openssl/ssl.h>
#include <sys/time.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <mutex>
#include <thread>

#include "media/internal/dtls_glue.h"

namespace kefu::media {

namespace {

// OpenSSL 3.0 runs its DTLS retransmission timer on the wall clock, but the engine (and the
// tests) drive time through now_ms. So OpenSSL's timer is parked far in the future and, when our
// own timer fires, set to "expired" through the pointer OpenSSL hands the BIO in
// BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT (&s->d1->next_timeout in 3.0 and 3.1). 3.2 passes a copy, so
// there the timer runs on the wall clock instead: retransmission still works, only not under a
// simulated clock.
#if OPENSSL_VERSION_NUMBER < 0x30200000L
constexpr bool CanSteerOpenSslTimer = true;
#else
constexpr bool CanSteerOpenSslTimer = false;
#endif

bool canSteerOpenSslTimer() {
  // The library loaded at run time must agree with the headers we were built with.
  return CanSteerOpenSslTimer && OpenSSL_version_num() < 0x30200000L;
}

constexpr unsigned int ParkedTimerUs = 3600u * 1000000u;  // an hour: never reached
constexpr std::string_view ExporterLabel = "EXTRACTOR-dtls_srtp";

// RFC 6347 record header: type(1) version(2) epoch(2) sequence(6) length(2).
constexpr std::size_t RecordHeaderSize = 13;

// @return whether every byte of the datagram belongs to a DTLS record with a plausible header.
// OpenSSL would silently skip most garbage; checking here lets us count it and keeps obviously
// foreign bytes away from the handshake.
bool isWellFormedDtls(std::span<const uint8_t> datagram) {
  if (datagram.empty()) {
    return false;
  }
  while (!datagram.empty()) {
    if (datagram.size() < RecordHeaderSize) {
      return false;
    }
    uint8_t type = datagram[0];
    if (type < 20 || type > 25 || datagram[1] != 0xfe) {
      return false;
    }
    std::size_t length = (std::size_t{datagram[11]} << 8) | datagram[12];
    if (length > datagram.size() - RecordHeaderSize) {
      return false;
    }
    datagram = datagram.subspan(RecordHeaderSize + length);
  }
  return true;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) ==
                  std::toupper(static_cast<unsigned char>(y));
         });
}

std::string lastOpenSslError() {
  unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0) {
    return "unknown error";
  }
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? reason : "unknown error";
}

}  // namespace

struct DtlsTransport::Glue {
  static DtlsTransport* fromBio(BIO* bio) { return static_cast<DtlsTransport*>(BIO_get_data(bio)); }

  static int bioCreate(BIO* bio) {
    BIO_set_init(bio, 1);
    return 1;
  }

  static int bioWrite(BIO* bio, const char* data, int length) {
    DtlsTransport* transport = fromBio(bio);
    if (transport == nullptr || length < 0) {
      return -1;
    }
    // OpenSSL sizes records to fit the MTU minus what is pending (BIO_CTRL_WPENDING), so
    // records of one flight share a datagram; start a new one if that ever would overflow.
    std::vector<uint8_t>& pending = transport->pending_datagram_;
    if (!pending.empty() && pending.size() + static_cast<std::size_t>(length) >
                                static_cast<std::size_t>(transport->config_.mtu)) {
      transport->flushPending();
    }
    pending.insert(pending.end(), data, data + length);
    return length;
  }

  static int bioRead(BIO* bio, char* data, int length) {
    DtlsTransport* transport = fromBio(bio);
    BIO_clear_retry_flags(bio);
    if (transport == nullptr || transport->incoming_.empty() || length <= 0) {
      BIO_set_retry_read(bio);
      return -1;
    }
    // Datagram semantics: one read returns one datagram; what does not fit is lost, as in UDP.
    std::size_t size = std::min(transport->incoming_.size(), static_cast<std::size_t>(length));
    std::copy_n(transport->incoming_.data(), size, data);
    transport->incoming_ = {};
    return static_cast<int>(size);
  }

  static long bioCtrl(BIO* bio, int command, long /*number*/, void* pointer) {
    DtlsTransport* transport = fromBio(bio);
    if (transport == nullptr) {
      return 0;
    }
    switch (command) {
      case BIO_CTRL_FLUSH:
        transport->flushPending();
        return 1;
      case BIO_CTRL_WPENDING:
        return static_cast<long>(transport->pending_datagram_.size());
      case BIO_CTRL_PENDING:
        return static_cast<long>(transport->incoming_.size());
      case BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT:
        transport->openssl_next_timeout_ = pointer;
        return 1;
      default:
        return 0;  // MTU queries, peer addresses, push/pop: nothing to do on memory.
    }
  }

  static BIO_METHOD* bioMethod() {
    static BIO_METHOD* method = nullptr;
    static std::once_flag once;
    std::call_once(once, [] {
      method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "kefu dtls datagrams");
      if (method != nullptr) {
        BIO_meth_set_create(method, &bioCreate);
        BIO_meth_set_write(method, &bioWrite);
        BIO_meth_set_read(method, &bioRead);
        BIO_meth_set_ctrl(method, &bioCtrl);
      }
    });
    return method;
  }

  // OpenSSL calls this with 0 when it starts the timer for a new flight and with the previous
  // duration when that timer expired and it is about to retransmit.
  static unsigned int timerCallback(SSL* ssl, unsigned int previous_us) {
    auto* transport = static_cast<DtlsTransport*>(SSL_get_app_data(ssl));
    if (transport == nullptr) {
      return ParkedTimerUs;
    }
    if (previous_us == 0) {
      transport->retransmit_interval_ms_ = transport->config_.initial_retransmit_ms;
    } else {
      ++transport->retransmissions_;
      transport->retransmit_interval_ms_ =
          std::min(transport->retransmit_interval_ms_ * 2, transport->config_.max_retransmit_ms);
    }
    transport->retransmit_at_ms_ = transport->now_ms_ + transport->retransmit_interval_ms_;
    if (!canSteerOpenSslTimer()) {
      return static_cast<unsigned int>(transport->retransmit_interval_ms_ * 1000);
    }
    return ParkedTimerUs;
  }

  static int verify(X509_STORE_CTX* store) {
    auto* ssl =
        static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    auto* transport = ssl != nullptr ? static_cast<DtlsTransport*>(SSL_get_app_data(ssl)) : nullptr;
    X509* certificate = X509_STORE_CTX_get0_cert(store);
    if (transport == nullptr || certificate == nullptr) {
      return 0;
    }
    std::string fingerprint =
        certificateFingerprint(certificate, transport->remote_fingerprint_algorithm_);
    if (fingerprint.empty()) {
      transport->verify_failure_ =
          "unsupported fingerprint algorithm '" + transport->remote_fingerprint_algorithm_ + "'";
    } else if (!equalsIgnoreCase(fingerprint, transport->remote_fingerprint_)) {
      transport->verify_failure_ = "fingerprint mismatch";
    } else {
      transport->fingerprint_checked_ = true;
      return 1;
    }
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
    return 0;
  }
};

namespace internal {
int verifyPeerCertificate(X509_STORE_CTX* store, void* /*unused*/) {
  return DtlsTransport::Glue::verify(store);
}
}  // namespace internal

DtlsTransport::DtlsTransport(DtlsCertificatePtr certificate, Role role,
                             std::string remote_fingerprint_algorithm,
                             std::string remote_fingerprint, DtlsTransportConfig config)
    : certificate_(std::move(certificate)),
      role_(role),
      remote_fingerprint_algorithm_(std::move(remote_fingerprint_algorithm)),
      remote_fingerprint_(std::move(remote_fingerprint)),
      config_(config) {
  KEFU_ASSERT(certificate_ != nullptr);
  BIO_METHOD* method = Glue::bioMethod();
  ssl_ = method != nullptr ? SSL_new(certificate_->sslContext()) : nullptr;
  BIO* bio = ssl_ != nullptr ? BIO_new(method) : nullptr;
  if (bio == nullptr) {
    // Only memory exhaustion gets here; the engine sees a failed transport, not a crash.
    fail("cannot create the DTLS connection: " + lastOpenSslError());
    return;
  }
  BIO_set_data(bio, this);
  SSL_set_bio(ssl_, bio, bio);
  SSL_set_app_data(ssl_, this);
  SSL_set_options(ssl_, SSL_OP_NO_QUERY_MTU);
  SSL_set_mtu(ssl_, config_.mtu);
  DTLS_set_timer_cb(ssl_, &Glue::timerCallback);
  if (role_ == Role::Client) {
    SSL_set_connect_state(ssl_);
  } else {
    SSL_set_accept_state(ssl_);
  }
}

DtlsTransport::~DtlsTransport() {
  if (ssl_ != nullptr) {
    BIO_set_data(SSL_get_rbio(ssl_), nullptr);
    SSL_free(ssl_);
  }
}

bool DtlsTransport::retransmitsOnCallerTime() { return canSteerOpenSslTimer(); }

bool DtlsTransport::looksLikeDtls(std::span<const uint8_t> datagram) {
  return !datagram.empty() && datagram[0] >= 20 && datagram[0] <= 63;
}

bool DtlsTransport::isOwnThread() {
  if (thread_ == std::thread::id()) {
    thread_ = std::this_thread::get_id();
  }
  return thread_ == std::this_thread::get_id();
}

void DtlsTransport::start(int64_t now_ms) {
  KEFU_ASSERT(isOwnThread());
  if (state_ != State::New) {
    return;
  }
  now_ms_ = now_ms;
  handshake_deadline_ms_ = now_ms + config_.handshake_timeout_ms;
  state_ = State::Handshaking;
  if (role_ == Role::Client) {
    advanceHandshake(now_ms);
  } else {
    updateTimer();
  }
}

void DtlsTransport::onDatagram(std::span<const uint8_t> datagram, int64_t now_ms) {
  KEFU_ASSERT(isOwnThread());
  now_ms_ = now_ms;
  if (!isWellFormedDtls(datagram)) {
    ++malformed_datagrams_;
    return;
  }
  if (state_ == State::New && role_ == Role::Server) {
    // A ClientHello may beat the engine's start() (the answer went out, the peer was quick).
    start(now_ms);
  }
  if (state_ != State::Handshaking && state_ != State::Connected) {
    return;
  }
  incoming_ = datagram;
  if (state_ == State::Handshaking) {
    advanceHandshake(now_ms);
  } else {
    drainApplicationData();
  }
  incoming_ = {};
  flushPending();
}

void DtlsTransport::advanceHandshake(int64_t now_ms) {
  now_ms_ = now_ms;
  ERR_clear_error();
  int result = SSL_do_handshake(ssl_);
  flushPending();
  if (result == 1) {
    onConnected();
    return;
  }
  int error = SSL_get_error(ssl_, result);
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
    updateTimer();
    return;
  }
  fail("handshake failed: " + lastOpenSslError());
}

int64_t DtlsTransport::onTimer(int64_t now_ms) {
  KEFU_ASSERT(isOwnThread());
  now_ms_ = now_ms;
  if (state_ != State::Handshaking) {
    return -1;
  }
  if (now_ms >= handshake_deadline_ms_) {
    fail("handshake timeout");
    return -1;
  }
  if (retransmit_at_ms_ >= 0 && now_ms >= retransmit_at_ms_) {
    if (canSteerOpenSslTimer() && openssl_next_timeout_ != nullptr) {
      // Any non-zero time in the past: OpenSSL's timer counts as expired.
      auto* next_timeout = static_cast<timeval*>(openssl_next_timeout_);
      if (next_timeout->tv_sec != 0 || next_timeout->tv_usec != 0) {
        next_timeout->tv_sec = 1;
        next_timeout->tv_usec = 0;
      }
    }
    ERR_clear_error();
    if (DTLSv1_handle_timeout(ssl_) < 0) {
      flushPending();
      fail("handshake failed: " + lastOpenSslError());
      return -1;
    }
    flushPending();
    if (retransmit_at_ms_ <= now_ms) {
      // OpenSSL had no flight to resend (its timer had stopped); don't spin on this deadline.
      retransmit_at_ms_ = -1;
    }
  }
  updateTimer();
  return next_timer_ms_;
}

void DtlsTransport::updateTimer() {
  timeval left{};
  if (DTLSv1_get_timeout(ssl_, &left) != 1) {
    retransmit_at_ms_ = -1;  // OpenSSL stopped its timer: the peer answered our last flight.
  } else if (!canSteerOpenSslTimer()) {
    // OpenSSL's wall-clock timer decides; come back when it says it expires.
    retransmit_at_ms_ = now_ms_ + left.tv_sec * 1000 + left.tv_usec / 1000;
  }
  next_timer_ms_ = handshake_deadline_ms_;
  if (retransmit_at_ms_ >= 0) {
    next_timer_ms_ = std::min(next_timer_ms_, retransmit_at_ms_);
  }
}

bool DtlsTransport::popOutgoing(std::vector<uint8_t>& datagram) {
  KEFU_ASSERT(isOwnThread());
  if (outgoing_.empty()) {
    return false;
  }
  datagram = std::move(outgoing_.front());
  outgoing_.pop_front();
  return true;
}

void DtlsTransport::flushPending() {
  if (!pending_datagram_.empty()) {
    outgoing_.push_back(std::move(pending_datagram_));
    pending_datagram_.clear();
  }
}

void DtlsTransport::close() {
  KEFU_ASSERT(isOwnThread());
  if (state_ == State::Connected) {
    ERR_clear_error();
    SSL_shutdown(ssl_);
    ERR_clear_error();
    flushPending();
  }
  if (state_ != State::Failed) {
    state_ = State::Closed;
  }
  next_timer_ms_ = -1;
}

void DtlsTransport::fail(std::string reason) {
  state_ = State::Failed;
  failure_reason_ = verify_failure_.empty() ? std::move(reason) : verify_failure_;
  next_timer_ms_ = -1;
  retransmit_at_ms_ = -1;
  ERR_clear_error();
}

void DtlsTransport::onConnected() {
  if (!fingerprint_checked_) {
    // The verify callback runs for every certificate; no call means the peer sent none.
    fail("the peer sent no certificate");
    return;
  }
  const SRTP_PROTECTION_PROFILE* profile = SSL_get_selected_srtp_profile(ssl_);
  if (profile == nullptr) {
    fail("the peer negotiated no SRTP profile (use_srtp)");
    return;
  }
  SrtpSuite suite{};
  switch (profile->id) {
    case SRTP_AES128_CM_SHA1_80:
      suite = SrtpSuite::AesCm128HmacSha1_80;
      break;
    case SRTP_AES128_CM_SHA1_32:
      suite = SrtpSuite::AesCm128HmacSha1_32;
      break;
    case SRTP_AEAD_AES_128_GCM:
      suite = SrtpSuite::AeadAes128Gcm;
      break;
    default:
      fail("unsupported SRTP profile " + std::string(profile->name));
      return;
  }
  // RFC 5764 section 4.2: client key, server key, client salt, server salt.
  const std::size_t key_size = srtpMasterKeySize(suite);
  const std::size_t salt_size = srtpKeyAndSaltSize(suite) - key_size;
  std::array<uint8_t, std::size_t{2} * 46> material{};
  const std::size_t total = 2 * (key_size + salt_size);
  ERR_clear_error();
  if (SSL_export_keying_material(ssl_, material.data(), total, ExporterLabel.data(),
                                 ExporterLabel.size(), nullptr, 0, 0) != 1) {
    fail("exporting the SRTP keys failed: " + lastOpenSslError());
    return;
  }
  SrtpKeyMaterial client;
  SrtpKeyMaterial server;
  client.suite = server.suite = suite;
  client.size = server.size = key_size + salt_size;
  std::copy_n(material.data(), key_size, client.key_and_salt.data());
  std::copy_n(material.data() + key_size, key_size, server.key_and_salt.data());
  std::copy_n(material.data() + 2 * key_size, salt_size, client.key_and_salt.data() + key_size);
  std::copy_n(material.data() + 2 * key_size + salt_size, salt_size,
              server.key_and_salt.data() + key_size);
  OPENSSL_cleanse(material.data(), material.size());
  keys_ = role_ == Role::Client ? std::pair{client, server} : std::pair{server, client};
  state_ = State::Connected;
  next_timer_ms_ = -1;
  retransmit_at_ms_ = -1;
}

void DtlsTransport::drainApplicationData() {
  // No data channel rides on this connection; reading still lets OpenSSL answer a retransmitted
  // Finished (our last flight was lost) and notice the peer's close_notify or alert.
  std::array<uint8_t, 2048> scratch;
  while (true) {
    ERR_clear_error();
    int result = SSL_read(ssl_, scratch.data(), static_cast<int>(scratch.size()));
    if (result > 0) {
      continue;
    }
    int error = SSL_get_error(ssl_, result);
    if (error == SSL_ERROR_ZERO_RETURN) {
      state_ = State::Closed;
    } else if (error == SSL_ERROR_SSL) {
      state_ = State::Closed;
      failure_reason_ = "connection ended: " + lastOpenSslError();
    }
    ERR_clear_error();
    return;
  }
}

}  // namespace kefu::media
