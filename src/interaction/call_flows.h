#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "call/ivr.h"
#include "core/blocking_pool.h"
#include "core/event_loop.h"
#include "core/result.h"
#include "core/time_source.h"
#include "ivr/flow_catalog.h"
#include "ivr/http_fetch.h"
#include "ivr/recognizer.h"
#include "ivr/time_zone.h"
#include "ivr/tts.h"

namespace kefu::interaction {

/** How CallFlows behaves; see docs/ivr.md ("Flows on calls"). */
struct CallFlowsConfig {
  /** Where a flow's failures go when neither node nor flow names a fallback (a queue name). */
  std::string default_queue = "general";
  /** Voicemails are written to <recording_dir>/voicemail/<mailbox>/<call id>.wav. */
  std::string recording_dir = ".";
  /** A voicemail ends after this, if the caller has not hung up. */
  std::chrono::milliseconds voicemail_limit{std::chrono::seconds(120)};
};

/** What CallFlows uses besides call control; every member may be empty (null). */
struct CallFlowsParts {
  /** Renders TTS prompts (blocking, on the pool; cache it); null: text prompts fail. */
  std::shared_ptr<ivr::SpeechSynthesizer> tts;
  /** Hears the caller for listen/menu words; null: nodes wait for keys only (see docs/ivr.md). */
  std::shared_ptr<ivr::SpeechRecognizer> recognizer;
  /** Loads a prompt file (blocking, on the pool); empty: call::loadIvrPrompt. */
  std::function<Result<call::PromptPtr>(const std::string& path)> prompt_loader;
  /** Runs a data dip (blocking, on the pool); empty: ivr::httpFetch. */
  std::function<Result<ivr::HttpResponse>(const std::string& method, const std::string& url,
                                          const std::string& body,
                                          std::chrono::milliseconds timeout)>
      http;
  /** @return the queue id of a queue named in a flow (its name or id); empty: unchanged. Loop. */
  std::function<std::string(const std::string& name)> queue_id_of;
  /** Local time of `hours` nodes; null: the system's tz database. */
  std::shared_ptr<const ivr::TimeZones> zones;
};

/** Figures for /metrics; atomics, read from any thread. */
struct CallFlowsCounters {
  std::atomic<std::int64_t> sessions_active{0};
  std::atomic<std::uint64_t> sessions_total{0};
  std::atomic<std::uint64_t> steps_total{0};
  std::atomic<std::uint64_t> prompts_played{0};
  std::atomic<std::uint64_t> prompts_failed{0};
  std::atomic<std::uint64_t> transfers{0};
  std::atomic<std::uint64_t> failure_transfers{0};  // transfers taken because something failed
  std::atomic<std::uint64_t> voicemails{0};
  std::atomic<std::uint64_t> http_failures{0};
  /** Listening asked for with no recognizer for it (none, or not that language): keys only. */
  std::atomic<std::uint64_t> listens_unserved{0};
};

/**
 * The IVR on real calls: call::Ivr over one ivr::FlowSession per call, acting as each session's
 * FlowHost. Prompts are loaded or rendered (TTS) on the blocking pool and played through call
 * control; timers are loop timers; data dips run on the pool; speech goes through the recognizer
 * on the caller's media tap. A flow that cannot go on transfers to the default queue: the IVR
 * never drops a caller. Lives on the control loop: every method runs there. Answers from the pool
 * or the recognizer are posted to the loop and name the call and the action's id, so a late one
 * (the call gone, the prompt stopped) is dropped.
 *
 * Lifetime: destroy it after the loop has stopped (tasks posted then never run) and the pool has
 * drained.
 */
class CallFlows final : public call::Ivr {
 public:
  CallFlows(EventLoop& loop, const TimeSource& time, BlockingPool& pool, call::IvrCalls& calls,
            CallFlowsConfig config, CallFlowsParts parts);
  ~CallFlows() override;
  CallFlows(const CallFlows&) = delete;
  CallFlows& operator=(const CallFlows&) = delete;

  /** @return the flows new calls get (install a flow to change what later calls run). Loop. */
  ivr::FlowCatalog& catalog() { return catalog_; }
  /** @return the counters; any thread. */
  const CallFlowsCounters& counters() const { return counters_; }
  /** @return the nodes call `call_id` entered so far (empty when it is not in a flow). Loop. */
  std::vector<std::string> stepsOf(std::string_view call_id) const;

  // call::Ivr (loop).
  Result<void> start(std::string_view call_id, std::string_view flow_id, std::string_view caller,
                     std::string_view dialed) override;
  void digit(std::string_view call_id, char digit) override;
  void promptFinished(std::string_view call_id, std::uint64_t play_id) override;
  void callerGone(std::string_view call_id) override;

  class Run;

 private:
  friend class Run;

  Run* find(std::string_view call_id);
  /** Drops the run later when its flow has ended (after the session method that ended it). */
  void settle(Run& run);
  /** Drops a run whose session finished (posted: never from inside the session). */
  void forgetLater(const std::string& call_id);

  // not owned, outlive this
  EventLoop& loop_;
  const TimeSource& time_;
  BlockingPool& pool_;
  call::IvrCalls& calls_;
  // owned
  CallFlowsConfig config_;
  CallFlowsParts parts_;
  CallFlowsCounters counters_;
  ivr::FlowCatalog catalog_;
  std::map<std::string, std::unique_ptr<Run>, std::less<>> runs_;
  std::map<std::string, call::PromptPtr> prompt_files_;  // loaded prompt files, by path
  call::PromptPtr beep_;                                 // the voicemail tone
};

}  // namespace kefu::interaction
