#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kefu::sip::testing {

/** @return the path of a SIPp scenario kept beside this file (tests/support/sip/<name>). */
std::string sippScenario(const std::string& name);

/**
 * One SIPp run (Debian's `sipp`, sip-tester) on 127.0.0.1 with ports of its own (SIP, control,
 * media), started by the test and always killed when this object goes away. Test-only.
 */
class SippProcess {
 public:
  /** Starts `sipp` with the scenario `scenario` (a path) running one call; `remote` is
   *  "127.0.0.1:<port>" for a UAC, empty for a UAS; `extra` are more arguments. */
  SippProcess(std::string dir, const std::string& scenario, const std::string& remote,
              const std::vector<std::string>& extra = {});
  ~SippProcess();
  SippProcess(const SippProcess&) = delete;
  SippProcess& operator=(const SippProcess&) = delete;

  /** @return false when sipp could not be started. */
  bool running() const { return pid_ > 0; }
  /** @return the SIP port SIPp listens on. */
  uint16_t port() const { return port_; }
  /** @return true once SIPp has bound its SIP port (a UAS is ready), false after `timeout`. */
  bool waitListening(std::chrono::milliseconds timeout) const;
  /** @return SIPp's exit status (0: every call succeeded), or nullopt when it still runs after
   *  `timeout` (it is killed then). */
  std::optional<int> waitExit(std::chrono::milliseconds timeout);
  /** @return SIPp's output and error log (for failure messages). */
  std::string log() const;

 private:
  std::string dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace kefu::sip::testing
