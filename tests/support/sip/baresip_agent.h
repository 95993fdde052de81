#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace kefu::sip::testing {

/** What account a BaresipAgent registers with. */
struct BaresipAccount {
  std::string user;
  std::string password;
  uint16_t registrar_port = 0;
  std::string transport = "udp";  // "udp", "tcp" or "tls"
  int regint = 60;                // seconds between REGISTERs (and the Expires it asks for)
};

/**
 * A baresip user agent in its own directory (config, accounts), started by the test and always
 * killed when this object goes away, whatever the test's outcome. Test-only.
 */
class BaresipAgent {
 public:
  /** Writes the agent's directory under `dir` and starts baresip listening on a free port
   *  whose next port is free too (baresip also binds port + 1 for TLS). */
  BaresipAgent(const std::string& dir, const BaresipAccount& account);
  ~BaresipAgent();
  BaresipAgent(const BaresipAgent&) = delete;
  BaresipAgent& operator=(const BaresipAgent&) = delete;

  /** @return false when baresip could not be started. */
  bool running() const { return pid_ > 0; }
  /** Kills baresip without letting it unregister (as a phone losing power). */
  void kill();
  /** @return baresip's output so far (for failure messages). */
  std::string log() const;
  /** @return "@127.0.0.1:<port>": how the contact baresip registers ends (its user part is
   *  "<user>-0x<address>"). */
  std::string contactHostPort() const;

 private:
  std::string dir_;
  std::string user_;
  uint16_t sip_port_ = 0;
  pid_t pid_ = -1;
};

/** @return a directory made for this test under the system temp dir (removed by the caller). */
std::string makeTempDir(const std::string& prefix);

}  // namespace kefu::sip::testing
