#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

struct ssl_ctx_st;   // OpenSSL's SSL_CTX
struct x509_st;      // OpenSSL's X509
struct evp_pkey_st;  // OpenSSL's EVP_PKEY

namespace kefu::media {

/**
 * Our DTLS identity: a self-signed ECDSA P-256 certificate made at start, shared by all sessions
 * of the process (RFC 5763: the peer checks it against the a=fingerprint of our SDP, not a CA).
 * Immutable after generate(), so any thread may use it; OpenSSL's SSL_CTX is safe to share for
 * creating connections.
 */
class DtlsCertificate {
 public:
  /** @return a fresh key pair, certificate and DTLS context, or an error when OpenSSL fails. */
  static Result<std::shared_ptr<const DtlsCertificate>> generate();
  ~DtlsCertificate();
  DtlsCertificate(const DtlsCertificate&) = delete;
  DtlsCertificate& operator=(const DtlsCertificate&) = delete;

  /** @return the hash function of fingerprint(), as written in SDP: "sha-256". Any thread. */
  std::string_view fingerprintAlgorithm() const { return "sha-256"; }
  /** @return the certificate's fingerprint, "AB:CD:..." upper-case hex as in SDP. Any thread. */
  std::string_view fingerprint() const { return fingerprint_; }
  /** @return the DTLS 1.2 context (certificate, key, use_srtp profiles, ciphers) that every
   *  DtlsTransport creates its connection from. Any thread. */
  ssl_ctx_st* sslContext() const { return context_; }
  /** @return our certificate (owned by this object). */
  x509_st* x509() const { return certificate_; }

 private:
  DtlsCertificate() = default;

  // Owned; freed in the destructor.
  evp_pkey_st* key_ = nullptr;
  x509_st* certificate_ = nullptr;
  ssl_ctx_st* context_ = nullptr;
  std::string fingerprint_;
};
using DtlsCertificatePtr = std::shared_ptr<const DtlsCertificate>;

/** @return the SDP fingerprint ("AB:CD:...") of `certificate` with `algorithm` ("sha-256", "sha-1",
 *  "sha-384", "sha-512"; case-insensitive), or an empty string for an unknown algorithm. */
std::string certificateFingerprint(x509_st* certificate, std::string_view algorithm);

}  // namespace kefu::media
