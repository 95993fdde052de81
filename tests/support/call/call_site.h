#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "support/call/softphone.h"
#include "support/site_fixture.h"

namespace kefu::test {

/** One channel of a WAV at its own rate. */
struct Audio {
  int rate = 0;
  std::vector<int16_t> pcm;
};

/** @return channel `channel` of the WAV at `path` (empty when it cannot be read). */
Audio readChannel(const std::string& path, int channel);
/** @return for each 200 ms window of `audio`, its dominant frequency (0 when silent). */
std::vector<double> windowFrequencies(const Audio& audio);
/** @return whether `f` is `hz`±4 %. */
bool nearTone(double f, double hz);
/** @return the share (0..1) of 200 ms windows in `audio` whose dominant frequency is `hz`±4 %. */
double shareOfTone(const Audio& audio, double hz);

/**
 * A whole site with SIP on a free loopback port, for calls end to end with baresip phones: a
 * directory of its own for the phones and Kefu's recordings (removed afterwards), agents whose
 * phones register with digest authentication, callers, and the API reads the tests check.
 * Blocking helpers with timeouts; test thread only.
 */
class CallSiteFixture : public SiteFixture {
 protected:
  void configure(server::Config& config) override;
  /** Lets a suite change the configuration further (after SIP and recording are set up). */
  virtual void configureCalls(server::Config&) {}
  void TearDown() override;

  /** POSTs `body` to `path`; @return the new resource's id (fails the test unless 201). */
  std::string created(const std::string& path, const Json& body);
  /** Creates a queue (`settings` plus a name) and its entry point `number`; @return the queue
   *  id. */
  std::string addQueue(const std::string& number, Json settings = Json::object());
  /** Creates an agent with extension `extension` (and `skills` when not null), starts its phone
   *  sending `wav`, waits until the registrar lists it, and logs it in (ready). */
  Softphone& addAgent(const std::string& extension, const std::string& wav, bool auto_answer = true,
                      const Json& skills = nullptr);
  /** Starts a phone in the directory `name`. */
  Softphone& addPhone(const std::string& name, SoftphoneOptions options);
  /** Starts an unregistered, auto-answering caller named `name` sending `wav` and recording. */
  Softphone& addCaller(const std::string& name, const std::string& wav);
  /** @return the URI that dials `number` at the site. */
  std::string dial(const std::string& number) const;

  /** @return the only call in progress (polling up to 5 s), or null. */
  /** @return the one call in progress, once there is exactly one (and, when `state` is given, once
   *  it is in that state: call control hears a phone's answer a moment after the phone says so);
   *  fails the test after 5 s. */
  Json onlyCall(std::string_view state = {});
  /** @return the call whose caller is `caller` once it is in `state` (polling up to `timeout`),
   *  or null (failing the test). */
  Json callOf(const std::string& caller, const std::string& state,
              std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /** @return whether call `id` has `legs` answered legs (polling up to 10 s): a phone reports
   *  its call established before Kefu has handled its 200. */
  bool waitAnsweredLegs(const std::string& id, std::size_t legs);
  /** @return a metric's value from /metrics (-1 when it is missing). */
  double metric(const std::string& name);
  /** Waits until call control holds no call, leg, media session or dialog, and checks it. */
  void expectNothingLeft();
  /** @return a call's stored events once the last is `ended` (or what there is after 3 s). */
  Json callEvents(const std::string& call_id);
  /** @return the types of a call's stored events (as callEvents). */
  std::vector<std::string> eventTypes(const std::string& call_id);
  /** @return the events of type `type` in `events` (a callEvents answer). */
  static std::vector<Json> eventsOfType(const Json& events, const std::string& type);

  uint16_t sip_port_ = 0;
  std::filesystem::path dir_;
  /** Agent ids by extension. */
  std::map<std::string, std::string> agent_ids_;
  std::vector<std::unique_ptr<Softphone>> phones_;
};

}  // namespace kefu::test
