#include "media/dtls_certificate.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cctype>
#include <string>

#include "media/internal/dtls_glue.h"

namespace kefu::media {

namespace {

std::string openSslError(std::string_view what) {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  std::string message(what);
  if (code != 0) {
    char text[256];
    ERR_error_string_n(code, text, sizeof(text));
    message += ": ";
    message += text;
  }
  return message;
}

const EVP_MD* digestByName(std::string_view algorithm) {
  std::string lower;
  for (char c : algorithm) {
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (lower == "sha-256") {
    return EVP_sha256();
  }
  if (lower == "sha-1") {
    return EVP_sha1();
  }
  if (lower == "sha-384") {
    return EVP_sha384();
  }
  if (lower == "sha-512") {
    return EVP_sha512();
  }
  return nullptr;
}

Result<X509*> makeSelfSignedCertificate(EVP_PKEY* key) {
  X509* certificate = X509_new();
  if (certificate == nullptr) {
    return Error::internal(openSslError("X509_new failed"));
  }
  // A random positive serial, so two processes never present the same certificate name+serial.
  uint8_t serial_bytes[8];
  bool ok = RAND_bytes(serial_bytes, sizeof(serial_bytes)) == 1;
  serial_bytes[0] &= 0x7f;
  BIGNUM* serial = ok ? BN_bin2bn(serial_bytes, sizeof(serial_bytes), nullptr) : nullptr;
  ok = serial != nullptr &&
       BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(certificate)) != nullptr;
  BN_free(serial);
  ok = ok && X509_set_version(certificate, 2) == 1;
  // Valid from a day ago (peers with a slow clock) for 30 days; browsers ignore validity for
  // DTLS-SRTP, and the process makes a new certificate at every start.
  ok = ok && X509_gmtime_adj(X509_getm_notBefore(certificate), -24L * 3600) != nullptr;
  ok = ok && X509_gmtime_adj(X509_getm_notAfter(certificate), 30L * 24 * 3600) != nullptr;
  X509_NAME* name = X509_get_subject_name(certificate);
  ok = ok &&
       X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                  reinterpret_cast<const unsigned char*>("kefu"), -1, -1, 0) == 1;
  ok = ok && X509_set_issuer_name(certificate, name) == 1;
  ok = ok && X509_set_pubkey(certificate, key) == 1;
  ok = ok && X509_sign(certificate, key, EVP_sha256()) > 0;
  if (!ok) {
    X509_free(certificate);
    return Error::internal(openSslError("making the DTLS certificate failed"));
  }
  return certificate;
}

Result<SSL_CTX*> makeContext(X509* certificate, EVP_PKEY* key) {
  SSL_CTX* context = SSL_CTX_new(DTLS_method());
  if (context == nullptr) {
    return Error::internal(openSslError("SSL_CTX_new(DTLS) failed"));
  }
  // What Chrome (BoringSSL) negotiates for WebRTC: DTLS 1.2 only, ECDHE with AEAD ciphers,
  // X25519 or P-256, use_srtp; extended master secret is on by default in OpenSSL 3.
  bool ok =
      SSL_CTX_set_min_proto_version(context, DTLS1_2_VERSION) == 1 &&
      SSL_CTX_set_max_proto_version(context, DTLS1_2_VERSION) == 1 &&
      SSL_CTX_use_certificate(context, certificate) == 1 &&
      SSL_CTX_use_PrivateKey(context, key) == 1 && SSL_CTX_check_private_key(context) == 1 &&
      SSL_CTX_set_cipher_list(context,
                              "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
                              "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-SHA:"
                              "ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES128-GCM-SHA256:"
                              "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-SHA") == 1 &&
      SSL_CTX_set1_groups_list(context, "X25519:P-256:P-384") == 1 &&
      // Unlike the rest of OpenSSL, this one returns 0 on success.
      SSL_CTX_set_tlsext_use_srtp(context, "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80") == 0;
  if (!ok) {
    SSL_CTX_free(context);
    return Error::internal(openSslError("configuring the DTLS context failed"));
  }
  // DTLS-SRTP sessions are never resumed (each call has its own handshake and certificate check).
  SSL_CTX_set_session_cache_mode(context, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(context, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET);
  // Both sides present a certificate; it is checked against the SDP fingerprint, not a CA.
  SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  SSL_CTX_set_cert_verify_callback(context, &internal::verifyPeerCertificate, nullptr);
  return context;
}

}  // namespace

std::string certificateFingerprint(X509* certificate, std::string_view algorithm) {
  const EVP_MD* digest = digestByName(algorithm);
  if (digest == nullptr || certificate == nullptr) {
    return {};
  }
  unsigned char hash[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(certificate, digest, hash, &length) != 1) {
    ERR_clear_error();
    return {};
  }
  constexpr char Hex[] = "0123456789ABCDEF";
  std::string text;
  text.reserve(std::size_t{length} * 3);
  for (unsigned int i = 0; i < length; ++i) {
    if (i > 0) {
      text += ':';
    }
    text += Hex[hash[i] >> 4];
    text += Hex[hash[i] & 15];
  }
  return text;
}

Result<std::shared_ptr<const DtlsCertificate>> DtlsCertificate::generate() {
  std::shared_ptr<DtlsCertificate> result(new DtlsCertificate());
  result->key_ = EVP_EC_gen("P-256");
  if (result->key_ == nullptr) {
    return Error::internal(openSslError("generating the P-256 key failed"));
  }
  Result<X509*> certificate = makeSelfSignedCertificate(result->key_);
  if (!certificate) {
    return certificate.error();
  }
  result->certificate_ = *certificate;
  Result<SSL_CTX*> context = makeContext(result->certificate_, result->key_);
  if (!context) {
    return context.error();
  }
  result->context_ = *context;
  result->fingerprint_ = certificateFingerprint(result->certificate_, "sha-256");
  return std::shared_ptr<const DtlsCertificate>(std::move(result));
}

DtlsCertificate::~DtlsCertificate() {
  SSL_CTX_free(context_);
  X509_free(certificate_);
  EVP_PKEY_free(key_);
}

}  // namespace kefu::media
