#include "support/sip/sip_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace kefu::sip::testing {
namespace {

using Clock = std::chrono::steady_clock;

sockaddr_in loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// @return the length of one whole message at the start of `buffer`, or 0 when incomplete.
std::size_t messageLength(const std::string& buffer) {
  const auto end = buffer.find("\r\n\r\n");
  if (end == std::string::npos) {
    return 0;
  }
  std::size_t body = 0;
  auto reply = parseReply(buffer.substr(0, end + 4));
  if (reply) {
    std::string length = reply->header("Content-Length");
    if (length.empty()) {
      length = reply->header("l");
    }
    body = length.empty() ? 0 : std::strtoul(length.c_str(), nullptr, 10);
  }
  return buffer.size() >= end + 4 + body ? end + 4 + body : 0;
}

}  // namespace

uint16_t freeSipPort() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    int tcp = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a = loopback(0);
    socklen_t len = sizeof a;
    ::bind(tcp, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::getsockname(tcp, reinterpret_cast<sockaddr*>(&a), &len);
    const uint16_t port = ntohs(a.sin_port);
    int udp = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in b = loopback(port);
    const bool ok = ::bind(udp, reinterpret_cast<sockaddr*>(&b), sizeof b) == 0;
    ::close(udp);
    ::close(tcp);
    if (ok) {
      return port;
    }
  }
  return 0;
}

std::string SipReply::header(std::string_view name) const {
  std::size_t pos = raw.find("\r\n");
  while (pos != std::string::npos && pos + 2 < raw.size()) {
    const std::size_t start = pos + 2;
    const std::size_t end = raw.find("\r\n", start);
    const std::string_view line(raw.data() + start,
                                (end == std::string::npos ? raw.size() : end) - start);
    if (line.empty()) {
      break;
    }
    const auto colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string_view key = line.substr(0, colon);
      while (!key.empty() && key.back() == ' ') {
        key.remove_suffix(1);
      }
      if (iequals(key, name)) {
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') {
          value.remove_prefix(1);
        }
        return std::string(value);
      }
    }
    pos = end;
  }
  return {};
}

std::optional<SipReply> parseReply(std::string raw) {
  if (raw.rfind("SIP/2.0 ", 0) != 0 || raw.size() < 11) {
    return std::nullopt;
  }
  SipReply reply;
  reply.status = std::atoi(raw.c_str() + 8);
  reply.raw = std::move(raw);
  return reply;
}

SipSocket::SipSocket(Transport transport, uint16_t server_port) : transport_(transport) {
  fd_ = ::socket(AF_INET, transport == Transport::Udp ? SOCK_DGRAM : SOCK_STREAM, 0);
  sockaddr_in local = loopback(0);
  ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local);
  sockaddr_in server = loopback(server_port);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&server), sizeof server) != 0) {
    ::close(fd_);
    fd_ = -1;
    return;
  }
  socklen_t len = sizeof local;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &len);
  local_port_ = ntohs(local.sin_port);
}

SipSocket::~SipSocket() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

bool SipSocket::send(std::string_view bytes) {
  if (fd_ < 0) {
    return false;
  }
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      return false;
    }
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

std::optional<SipReply> SipSocket::receive(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    if (transport_ == Transport::Tcp) {
      if (const std::size_t n = messageLength(buffer_); n > 0) {
        std::string one = buffer_.substr(0, n);
        buffer_.erase(0, n);
        return parseReply(std::move(one));
      }
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0 || fd_ < 0) {
      return std::nullopt;
    }
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) {
      return std::nullopt;
    }
    char data[65536];
    const ssize_t n = ::recv(fd_, data, sizeof data, 0);
    if (n <= 0) {
      if (transport_ == Transport::Udp && n < 0) {
        continue;  // ICMP port unreachable from an earlier send; keep waiting
      }
      return std::nullopt;
    }
    if (transport_ == Transport::Udp) {
      if (auto reply = parseReply(std::string(data, static_cast<std::size_t>(n)))) {
        return reply;
      }
      continue;
    }
    buffer_.append(data, static_cast<std::size_t>(n));
  }
}

std::optional<SipReply> SipSocket::receiveFinal(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      return std::nullopt;
    }
    auto reply = receive(left);
    if (!reply || reply->status >= 200) {
      return reply;
    }
  }
}

bool SipSocket::closedByPeer(std::chrono::milliseconds timeout) {
  if (fd_ < 0) {
    return true;
  }
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) {
    return false;
  }
  char data[4096];
  return ::recv(fd_, data, sizeof data, MSG_PEEK) == 0;
}

std::string optionsRequest(uint16_t port, uint16_t local_port, std::string_view transport,
                           std::string_view call_id) {
  const std::string t(transport);
  const std::string lp = std::to_string(local_port);
  return "OPTIONS sip:kefu@127.0.0.1:" + std::to_string(port) + " SIP/2.0\r\n" + "Via: SIP/2.0/" +
         t + " 127.0.0.1:" + lp + ";branch=z9hG4bK" + std::string(call_id) + ";rport\r\n" +
         "Max-Forwards: 70\r\n" + "From: <sip:probe@127.0.0.1>;tag=" + std::string(call_id) +
         "\r\n" + "To: <sip:kefu@127.0.0.1>\r\n" + "Call-ID: " + std::string(call_id) + "\r\n" +
         "CSeq: 1 OPTIONS\r\n" + "Contact: <sip:probe@127.0.0.1:" + lp + ">\r\n" +
         "Content-Length: 0\r\n\r\n";
}

}  // namespace kefu::sip::testing
