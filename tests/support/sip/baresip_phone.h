#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace kefu::sip::testing {

/** @return a port P with P and P + 1 free for UDP and TCP on 127.0.0.1 (baresip takes P + 1 for
 *  TLS), or 0. */
uint16_t freeSipPortPair();

/**
 * A baresip phone that registers nowhere, driven through its ctrl_tcp module: it listens on its own
 * SIP port, answers calls itself (`answermode=auto`) or rings until told, and reports call events
 * (CALL_INCOMING, CALL_ESTABLISHED, CALL_CLOSED, ...). Started by the test, always killed when this
 * object goes away. Test-only; blocking with timeouts.
 */
class BaresipPhone {
 public:
  /** Writes the phone's directory under `dir`, starts baresip as `user` and connects to its
   *  control port. */
  BaresipPhone(std::string dir, std::string user, bool auto_answer);
  ~BaresipPhone();
  BaresipPhone(const BaresipPhone&) = delete;
  BaresipPhone& operator=(const BaresipPhone&) = delete;

  /** @return false when baresip could not be started or its control port never answered. */
  bool running() const { return pid_ > 0 && ctrl_fd_ >= 0; }
  /** @return the URI that reaches this phone ("sip:agent@127.0.0.1:<port>"). */
  std::string uri() const;
  /** Sends a ctrl_tcp command ("hangup", "hold", "transfer" with `params` = the URI, ...);
   *  @return false when it could not be written. */
  bool command(const std::string& name, const std::string& params = {});
  /** @return the next event (its JSON text) whose type is `type`, skipping others, or nullopt
   *  after `timeout`. */
  std::optional<std::string> waitEvent(const std::string& type, std::chrono::milliseconds timeout);
  /** @return baresip's output so far (for failure messages). */
  std::string log() const;

 private:
  std::optional<std::string> nextMessage(std::chrono::milliseconds timeout);

  std::string dir_;
  std::string user_;
  uint16_t sip_port_ = 0;
  pid_t pid_ = -1;
  int ctrl_fd_ = -1;
  std::string buffer_;
  int token_ = 0;
};

}  // namespace kefu::sip::testing
