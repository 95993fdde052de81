#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <span>
#include <string>

#include "core/result.h"

namespace kefu::media {

/** An IPv4 or IPv6 UDP address. */
struct UdpAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  bool valid() const { return length != 0; }
  bool operator==(const UdpAddress& other) const;
  /** @return "1.2.3.4:5678" (or "[::1]:5678"). */
  std::string toString() const;
  static Result<UdpAddress> parse(const std::string& host, uint16_t port);
};

/** A non-blocking UDP socket bound to one port. Owns its descriptor. */
class UdpSocket {
 public:
  UdpSocket() = default;
  ~UdpSocket();
  UdpSocket(UdpSocket&& other) noexcept;
  UdpSocket& operator=(UdpSocket&& other) noexcept;

  /** Binds `address`:`port`; @return Unavailable when the port is taken. */
  static Result<UdpSocket> bind(const std::string& address, uint16_t port);

  int fd() const { return fd_; }
  uint16_t port() const { return port_; }
  /** Sends one datagram; drops it (returns false) when the kernel buffer is full. */
  bool sendTo(std::span<const uint8_t> datagram, const UdpAddress& to) const;

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

/**
 * Receives and sends datagrams in batches (recvmmsg / sendmmsg) with preallocated buffers: the
 * fast path's I/O, with no allocation per packet. One per media thread.
 */
class DatagramBatch {
 public:
  static constexpr std::size_t Capacity = 32;
  static constexpr std::size_t BufferSize = 1600;

  DatagramBatch();
  /** Reads up to Capacity datagrams from `fd`; @return how many (0 when none is waiting). */
  std::size_t receive(int fd);
  std::span<uint8_t> datagram(std::size_t i) { return {buffers_[i].data(), lengths_[i]}; }
  /** The full buffer of datagram `i`, for in-place rewriting that grows it (SRTP). */
  std::span<uint8_t> buffer(std::size_t i) { return buffers_[i]; }
  const sockaddr_storage& source(std::size_t i) const { return sources_[i]; }
  socklen_t sourceLength(std::size_t i) const { return source_lengths_[i]; }

 private:
  std::array<std::array<uint8_t, BufferSize>, Capacity> buffers_{};
  std::array<std::size_t, Capacity> lengths_{};
  std::array<sockaddr_storage, Capacity> sources_{};
  std::array<socklen_t, Capacity> source_lengths_{};
  std::array<iovec, Capacity> iovecs_{};
  std::array<mmsghdr, Capacity> headers_{};
};

/** Queues datagrams for one socket and sends them with one sendmmsg. */
class SendBatch {
 public:
  static constexpr std::size_t Capacity = 32;

  /** Copies a datagram into the batch; flushes first when it is full. @return false if dropped. */
  bool add(int fd, std::span<const uint8_t> datagram, const UdpAddress& to);
  /** Sends everything queued; @return how many the kernel took. */
  std::size_t flush();

 private:
  int fd_ = -1;
  std::size_t count_ = 0;
  std::array<std::array<uint8_t, 1600>, Capacity> buffers_{};
  std::array<iovec, Capacity> iovecs_{};
  std::array<mmsghdr, Capacity> headers_{};
  std::array<sockaddr_storage, Capacity> destinations_{};
};

/**
 * Hands out even RTP ports (RTCP on port + 1) from a range, round robin, skipping ports the
 * system has taken. Any thread.
 */
class PortPool {
 public:
  PortPool(uint16_t min, uint16_t max);
  /** Binds an RTP/RTCP socket pair on `address`; @return Unavailable when the range is full. */
  Result<std::pair<UdpSocket, UdpSocket>> bindPair(const std::string& address);

 private:
  uint16_t first_;
  uint16_t pairs_;
  std::atomic<uint32_t> next_{0};
};

}  // namespace kefu::media
