#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "support/sip/sip_socket.h"

namespace kefu::sip::testing {

/** A SIP client over TLS (OpenSSL, no certificate check: the test's certificate is self-signed).
 *  Test-only; blocking with timeouts. */
class TlsSipClient {
 public:
  explicit TlsSipClient(uint16_t server_port);
  ~TlsSipClient();
  TlsSipClient(const TlsSipClient&) = delete;
  TlsSipClient& operator=(const TlsSipClient&) = delete;

  /** @return true once the TLS handshake completed. */
  bool connected() const { return ssl_ != nullptr; }
  /** @return why the connection failed (empty when it did not). */
  const std::string& error() const { return error_; }
  uint16_t localPort() const { return local_port_; }
  /** @return false when the bytes could not be written. */
  bool send(std::string_view bytes);
  /** @return the next final response, or nullopt after `timeout`. */
  std::optional<SipReply> receiveFinal(std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
  uint16_t local_port_ = 0;
  void* ctx_ = nullptr;  // SSL_CTX*, kept opaque so the header needs no OpenSSL include
  void* ssl_ = nullptr;  // SSL*
  std::string error_;
  std::string buffer_;
};

}  // namespace kefu::sip::testing
