#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kefu::sip::testing {

/** @return a port free for both UDP and TCP on 127.0.0.1 right now (the stack binds it next). */
uint16_t freeSipPort();

/** The first line and a few headers of a SIP response read off a socket. */
struct SipReply {
  int status = 0;
  std::string raw;
  /** @return the first value of `name` (case-insensitive, compact forms not expanded). */
  std::string header(std::string_view name) const;
};

/** @return the reply parsed from `raw`, or nullopt when it is not a SIP response. */
std::optional<SipReply> parseReply(std::string raw);

/**
 * A raw SIP client over UDP or TCP on 127.0.0.1: sends bytes exactly as given and reads whole
 * responses (by Content-Length on TCP). Test-only; blocking with timeouts.
 */
class SipSocket {
 public:
  enum class Transport { Udp, Tcp };
  SipSocket(Transport transport, uint16_t server_port);
  ~SipSocket();
  SipSocket(const SipSocket&) = delete;
  SipSocket& operator=(const SipSocket&) = delete;

  /** @return false when the bytes could not be sent (e.g. the server closed the connection). */
  bool send(std::string_view bytes);
  /** @return the next response, or nullopt after `timeout` or when the connection closed. */
  std::optional<SipReply> receive(std::chrono::milliseconds timeout);
  /** @return the next final (>= 200) response, skipping provisional ones. */
  std::optional<SipReply> receiveFinal(std::chrono::milliseconds timeout);
  /** @return true when a TCP peer has closed the connection (reads EOF within `timeout`). */
  bool closedByPeer(std::chrono::milliseconds timeout);
  /** @return the local port (for Via / Contact). */
  uint16_t localPort() const { return local_port_; }
  bool connected() const { return fd_ >= 0; }

 private:
  Transport transport_;
  int fd_ = -1;
  uint16_t local_port_ = 0;
  std::string buffer_;
};

/** @return an OPTIONS request to 127.0.0.1:`port` from a client at `local_port`. */
std::string optionsRequest(uint16_t port, uint16_t local_port, std::string_view transport,
                           std::string_view call_id);

}  // namespace kefu::sip::testing
