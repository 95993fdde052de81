#pragma once

#include <openssl/ssl.h>

namespace kefu::media::internal {

/** The SSL_CTX certificate check of every DtlsTransport: accepts the peer's (self-signed)
 *  certificate only when its fingerprint is the one the peer's SDP announced. Runs inside the
 *  handshake, on the transport's media thread. @return 1 to accept, 0 to fail the handshake. */
int verifyPeerCertificate(X509_STORE_CTX* store, void* unused);

}  // namespace kefu::media::internal
