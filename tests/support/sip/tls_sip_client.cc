#include "support/sip/tls_sip_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

namespace kefu::sip::testing {

TlsSipClient::TlsSipClient(uint16_t server_port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(server_port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    error_ = "connect failed";
    return;
  }
  sockaddr_in local{};
  socklen_t len = sizeof local;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &len);
  local_port_ = ntohs(local.sin_port);
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  ctx_ = ctx;
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd_);
  if (SSL_connect(ssl) != 1) {
    error_ = "TLS handshake failed: " + std::string(ERR_error_string(ERR_get_error(), nullptr));
    SSL_free(ssl);
    return;
  }
  ssl_ = ssl;
}

TlsSipClient::~TlsSipClient() {
  if (ssl_ != nullptr) {
    SSL_shutdown(static_cast<SSL*>(ssl_));
    SSL_free(static_cast<SSL*>(ssl_));
  }
  if (ctx_ != nullptr) {
    SSL_CTX_free(static_cast<SSL_CTX*>(ctx_));
  }
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

bool TlsSipClient::send(std::string_view bytes) {
  return ssl_ != nullptr &&
         SSL_write(static_cast<SSL*>(ssl_), bytes.data(), static_cast<int>(bytes.size())) ==
             static_cast<int>(bytes.size());
}

std::optional<SipReply> TlsSipClient::receiveFinal(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (ssl_ != nullptr) {
    const auto end = buffer_.find("\r\n\r\n");
    if (end != std::string::npos) {
      auto head = parseReply(buffer_.substr(0, end + 4));
      const std::string length = head ? head->header("Content-Length") : std::string();
      const std::size_t total = end + 4 + std::strtoul(length.c_str(), nullptr, 10);
      if (buffer_.size() >= total) {
        auto reply = parseReply(buffer_.substr(0, total));
        buffer_.erase(0, total);
        if (reply && reply->status >= 200) {
          return reply;
        }
        continue;
      }
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) {
      return std::nullopt;
    }
    if (SSL_pending(static_cast<SSL*>(ssl_)) == 0) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) {
        return std::nullopt;
      }
    }
    char data[16384];
    const int n = SSL_read(static_cast<SSL*>(ssl_), data, sizeof data);
    if (n <= 0) {
      return std::nullopt;
    }
    buffer_.append(data, static_cast<std::size_t>(n));
  }
  return std::nullopt;
}

}  // namespace kefu::sip::testing
