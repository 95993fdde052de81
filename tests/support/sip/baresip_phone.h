#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kefu::sip::testing {

/** @return a port P with P and P + 1 free for UDP and TCP on 127.0.0.1 (baresip takes P + 1 for
 *  TLS), or 0. */
uint16_t freeSipPortPair();

/** Starts baresip on the directory `dir` (which holds its config and accounts) in a process group
 *  of its own, its output going to `dir`/baresip.log; @return its pid, or -1. */
pid_t startBaresip(const std::string& dir);
/** Stops the baresip `pid` (SIGTERM, then SIGKILL after 2 s) and reaps it; sets `pid` to -1. */
void stopBaresip(pid_t& pid);
/** @return the output of the baresip started on `dir` so far (for failure messages). */
std::string baresipLog(const std::string& dir);

/** How a BaresipPhone is set up. */
struct BaresipPhoneOptions {
  std::string user;
  bool auto_answer = true;
  /** A WAV (8 kHz, mono, 16-bit) the phone sends on every call, looping; empty: silence. */
  std::string audio_file;
  /** Record what the phone hears (and sends) as WAVs in its directory's `rec/`. */
  bool record = false;
  /** When set, the phone registers there with `user` and `password` (digest); otherwise it
   *  registers nowhere and is reached at uri(). */
  uint16_t registrar_port = 0;
  std::string password;
};

/**
 * A real SIP phone for tests: a baresip process in its own directory, driven through its ctrl_tcp
 * module (netstrings: dial, accept, hangup, hold, transfer, sndcode, ...) and reporting its events
 * (REGISTER_OK, CALL_INCOMING, CALL_ESTABLISHED, CALL_DTMF_START, CALL_CLOSED, ...). It answers
 * calls itself (`answermode=auto`) or rings until told, may send a WAV and record what it hears.
 * Started by the test and always killed when this object goes away. Test-only; blocking calls
 * with timeouts, from one thread.
 */
class BaresipPhone {
 public:
  /** Writes the phone's directory `dir` (created when missing), starts baresip and connects to
   *  its control port. */
  BaresipPhone(std::string dir, BaresipPhoneOptions options);
  /** A silent phone named `user` that registers nowhere. */
  BaresipPhone(std::string dir, std::string user, bool auto_answer);
  ~BaresipPhone();
  BaresipPhone(const BaresipPhone&) = delete;
  BaresipPhone& operator=(const BaresipPhone&) = delete;

  /** @return false when baresip could not be started or its control port never answered. */
  bool running() const { return pid_ > 0 && ctrl_fd_ >= 0; }
  /** @return the URI that reaches this phone directly ("sip:<user>@127.0.0.1:<port>"). */
  std::string uri() const;
  /** @return the phone's SIP port. */
  uint16_t sipPort() const { return sip_port_; }
  /** Sends a ctrl_tcp command ("hangup", "hold", "transfer" with `params` = the URI, ...);
   *  @return false when it could not be written. */
  bool command(const std::string& name, const std::string& params = {});
  /** @return the next event (its JSON text) whose type is `type`, skipping others, or nullopt
   *  after `timeout`. Skipped events are kept for seenEvent(). */
  std::optional<std::string> waitEvent(const std::string& type, std::chrono::milliseconds timeout);
  /** @return whether an event of `type` arrived (waiting up to `timeout` for it). */
  bool seenEvent(const std::string& type, std::chrono::milliseconds timeout);
  /** Stops baresip (SIGTERM, then SIGKILL) so that its recordings are complete. */
  void stop();
  /** @return the recordings of what the phone heard (`*-dec.wav`), oldest first. */
  std::vector<std::string> receivedRecordings() const;
  /** @return baresip's output so far (for failure messages). */
  std::string log() const;

 private:
  /** Writes the configuration on new ports, starts baresip and waits (bounded) for its control
   *  port. */
  void launch();
  std::optional<std::string> nextMessage(std::chrono::milliseconds timeout);

  std::string dir_;
  BaresipPhoneOptions options_;
  uint16_t sip_port_ = 0;
  pid_t pid_ = -1;
  int ctrl_fd_ = -1;
  std::string buffer_;
  std::vector<std::string> events_;  // every event seen, in order
  int token_ = 0;
};

}  // namespace kefu::sip::testing
