#include "media/internal/udp_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace kefu::media {

bool UdpAddress::operator==(const UdpAddress& other) const {
  if (length != other.length || storage.ss_family != other.storage.ss_family) {
    return false;
  }
  if (storage.ss_family == AF_INET) {
    const auto& a = reinterpret_cast<const sockaddr_in&>(storage);
    const auto& b = reinterpret_cast<const sockaddr_in&>(other.storage);
    return a.sin_port == b.sin_port && a.sin_addr.s_addr == b.sin_addr.s_addr;
  }
  const auto& a = reinterpret_cast<const sockaddr_in6&>(storage);
  const auto& b = reinterpret_cast<const sockaddr_in6&>(other.storage);
  return a.sin6_port == b.sin6_port && std::memcmp(&a.sin6_addr, &b.sin6_addr, 16) == 0;
}

std::string UdpAddress::toString() const {
  char host[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  if (storage.ss_family == AF_INET) {
    const auto& a = reinterpret_cast<const sockaddr_in&>(storage);
    inet_ntop(AF_INET, &a.sin_addr, host, sizeof host);
    port = ntohs(a.sin_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  const auto& a = reinterpret_cast<const sockaddr_in6&>(storage);
  inet_ntop(AF_INET6, &a.sin6_addr, host, sizeof host);
  port = ntohs(a.sin6_port);
  return "[" + std::string(host) + "]:" + std::to_string(port);
}

Result<UdpAddress> UdpAddress::parse(const std::string& host, uint16_t port) {
  UdpAddress address;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&address.storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&address.storage);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    address.length = sizeof(sockaddr_in);
    return address;
  }
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    address.length = sizeof(sockaddr_in6);
    return address;
  }
  return Error::invalid("address", "not an IP address: '" + host + "'");
}

UdpSocket::~UdpSocket() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

UdpSocket::UdpSocket(UdpSocket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), port_(other.port_) {}

UdpSocket& UdpSocket::operator=(UdpSocket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = std::exchange(other.fd_, -1);
    port_ = other.port_;
  }
  return *this;
}

Result<UdpSocket> UdpSocket::bind(const std::string& address, uint16_t port) {
  auto parsed = UdpAddress::parse(address, port);
  if (!parsed.ok()) {
    return Error::invalid("media.bind_address", parsed.error().message);
  }
  int fd = ::socket(parsed->storage.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return Error{ErrorCode::Unavailable, std::string("socket: ") + std::strerror(errno), {}};
  }
  UdpSocket socket;
  socket.fd_ = fd;
  // Room for bursts while the media thread is busy: 1 MB each way.
  int size = 1 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&parsed->storage), parsed->length) != 0) {
    return Error{
        ErrorCode::Unavailable, "bind " + parsed->toString() + ": " + std::strerror(errno), {}};
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
  socket.port_ =
      ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in&>(bound).sin_port
                                       : reinterpret_cast<sockaddr_in6&>(bound).sin6_port);
  return socket;
}

bool UdpSocket::sendTo(std::span<const uint8_t> datagram, const UdpAddress& to) const {
  return ::sendto(fd_, datagram.data(), datagram.size(), MSG_DONTWAIT,
                  reinterpret_cast<const sockaddr*>(&to.storage), to.length) >= 0;
}

DatagramBatch::DatagramBatch() {
  for (std::size_t i = 0; i < Capacity; ++i) {
    iovecs_[i] = {buffers_[i].data(), BufferSize};
  }
}

std::size_t DatagramBatch::receive(int fd) {
  for (std::size_t i = 0; i < Capacity; ++i) {
    headers_[i].msg_hdr = {};
    headers_[i].msg_hdr.msg_iov = &iovecs_[i];
    headers_[i].msg_hdr.msg_iovlen = 1;
    headers_[i].msg_hdr.msg_name = &sources_[i];
    headers_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
  }
  int n = ::recvmmsg(fd, headers_.data(), Capacity, MSG_DONTWAIT, nullptr);
  if (n <= 0) {
    return 0;
  }
  for (int i = 0; i < n; ++i) {
    // A datagram larger than the buffer is truncated: mark it empty so it is dropped as malformed.
    bool truncated = (headers_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
    lengths_[i] = truncated ? 0 : headers_[i].msg_len;
    source_lengths_[i] = headers_[i].msg_hdr.msg_namelen;
  }
  return static_cast<std::size_t>(n);
}

bool SendBatch::add(int fd, std::span<const uint8_t> datagram, const UdpAddress& to) {
  if (datagram.size() > buffers_[0].size() || !to.valid()) {
    return false;
  }
  if (count_ == Capacity || (count_ > 0 && fd != fd_)) {
    flush();
  }
  fd_ = fd;
  std::memcpy(buffers_[count_].data(), datagram.data(), datagram.size());
  iovecs_[count_] = {buffers_[count_].data(), datagram.size()};
  destinations_[count_] = to.storage;
  headers_[count_].msg_hdr = {};
  headers_[count_].msg_hdr.msg_iov = &iovecs_[count_];
  headers_[count_].msg_hdr.msg_iovlen = 1;
  headers_[count_].msg_hdr.msg_name = &destinations_[count_];
  headers_[count_].msg_hdr.msg_namelen = to.length;
  ++count_;
  return true;
}

std::size_t SendBatch::flush() {
  std::size_t sent = 0;
  while (sent < count_) {
    int n =
        ::sendmmsg(fd_, headers_.data() + sent, static_cast<unsigned>(count_ - sent), MSG_DONTWAIT);
    if (n <= 0) {
      break;  // the kernel buffer is full: the rest is dropped, as a router would
    }
    sent += static_cast<std::size_t>(n);
  }
  count_ = 0;
  return sent;
}

PortPool::PortPool(uint16_t min, uint16_t max)
    : first_(static_cast<uint16_t>(min + (min % 2))),
      pairs_(static_cast<uint16_t>(max > first_ ? (max - first_ + 1) / 2 : 0)) {}

Result<std::pair<UdpSocket, UdpSocket>> PortPool::bindPair(const std::string& address) {
  for (uint32_t attempt = 0; attempt < pairs_; ++attempt) {
    uint32_t index = next_.fetch_add(1, std::memory_order_relaxed) % pairs_;
    auto port = static_cast<uint16_t>(first_ + 2 * index);
    auto rtp = UdpSocket::bind(address, port);
    if (!rtp.ok()) {
      if (rtp.error().code == ErrorCode::InvalidArgument) {
        return rtp.error();
      }
      continue;
    }
    auto rtcp = UdpSocket::bind(address, static_cast<uint16_t>(port + 1));
    if (!rtcp.ok()) {
      continue;
    }
    return std::pair{std::move(rtp).value(), std::move(rtcp).value()};
  }
  return Error{ErrorCode::Unavailable, "no free RTP port pair in the media port range", {}};
}

}  // namespace kefu::media
