#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kefu::test {

/** How a Softphone is set up. */
struct SoftphoneOptions {
  std::string user;
  bool auto_answer = true;
  /** A WAV (8 kHz, mono, 16-bit) the phone sends on every call, looping; empty: silence. */
  std::string audio_file;
  /** Record what the phone hears (and sends) as WAVs in its directory's `rec/`. */
  bool record = false;
  /** When set, the phone registers there with `user` and `password` (digest). */
  uint16_t registrar_port = 0;
  std::string password;
};

/**
 * A real SIP phone for end-to-end tests: a baresip process in its own directory, sending a WAV,
 * recording what it hears, driven through its ctrl_tcp module (dial, accept, hangup, hold,
 * transfer, sndcode) and reporting its events (REGISTER_OK, CALL_INCOMING, CALL_ESTABLISHED,
 * CALL_DTMF_START, CALL_CLOSED, ...). Always killed when this object goes away. Blocking calls
 * with timeouts; test-only.
 */
class Softphone {
 public:
  Softphone(const std::string& dir, SoftphoneOptions options);
  ~Softphone();
  Softphone(const Softphone&) = delete;
  Softphone& operator=(const Softphone&) = delete;

  /** @return false when baresip could not start or its control port never answered. */
  bool running() const { return pid_ > 0 && ctrl_fd_ >= 0; }
  /** Sends a ctrl_tcp command; @return false when it could not be written. */
  bool command(const std::string& name, const std::string& params = {});
  /** @return the next event of `type` (its JSON text), skipping others, or nullopt after
   *  `timeout`. Skipped events are kept for seenEvent(). */
  std::optional<std::string> waitEvent(const std::string& type, std::chrono::milliseconds timeout);
  /** @return whether an event of `type` arrived (waiting up to `timeout` for it). */
  bool seenEvent(const std::string& type, std::chrono::milliseconds timeout);
  /** Stops baresip (SIGTERM, then SIGKILL) so that its recordings are complete. */
  void stop();
  /** @return the recordings of what the phone heard (`*-dec.wav`), oldest first. */
  std::vector<std::string> receivedRecordings() const;
  /** @return baresip's output so far (for failure messages). */
  std::string log() const;
  /** @return the phone's SIP port. */
  uint16_t sipPort() const { return sip_port_; }

 private:
  std::optional<std::string> nextMessage(std::chrono::milliseconds timeout);

  std::string dir_;
  SoftphoneOptions options_;
  uint16_t sip_port_ = 0;
  pid_t pid_ = -1;
  int ctrl_fd_ = -1;
  std::string buffer_;
  std::vector<std::string> events_;  // every event seen, in order
  int token_ = 0;
};

/** Writes a WAV (8 kHz mono 16-bit) of a `hz` sine lasting `seconds`; @return its path. */
std::string writeToneWav(const std::string& path, double hz, double seconds);

}  // namespace kefu::test
