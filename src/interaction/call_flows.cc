#include "interaction/call_flows.h"

#include <spdlog/spdlog.h>

#include <cmath>
#include <filesystem>
#include <mutex>
#include <numbers>
#include <utility>
#include <vector>

#include "ivr/flow_session.h"

namespace kefu::interaction {

namespace {

/** @return `name` with only letters, digits, '-' and '_' kept (a mailbox becomes a directory). */
std::string safeName(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_') {
      out.push_back(c);
    }
  }
  return out.empty() ? "default" : out;
}

/** The tone before a voicemail: 1 kHz for 400 ms at 8 kHz, with soft edges. */
call::PromptPtr makeBeep() {
  constexpr int Rate = 8000;
  constexpr int Samples = Rate * 2 / 5;
  constexpr int Fade = Rate / 100;
  std::vector<std::int16_t> pcm(Samples);
  for (int n = 0; n < Samples; ++n) {
    const double edge = std::min({1.0, double(n) / Fade, double(Samples - 1 - n) / Fade});
    pcm[n] = static_cast<std::int16_t>(
        std::lround(0.3 * edge * 32767 * std::sin(2 * std::numbers::pi * 1000.0 * n / Rate)));
  }
  return call::ivrPromptFromPcm(pcm, Rate);
}

/**
 * The caller's audio on its way to one recognition: fed on the media thread, cancelled on the
 * loop. The lock makes cancel() wait for a feed in progress, so no result comes after it.
 */
class Listener final : public call::CallerAudioSink {
 public:
  explicit Listener(ivr::RecognitionStreamPtr stream) : stream_(std::move(stream)) {}
  void onCallerAudio(std::span<const std::int16_t> pcm, int rate) override {
    std::lock_guard lock(mutex_);
    if (stream_ != nullptr) {
      stream_->feed(pcm.data(), pcm.size(), rate);
    }
  }
  /** Stops the recognition; any thread. */
  void cancel() {
    std::lock_guard lock(mutex_);
    if (stream_ != nullptr) {
      stream_->cancel();
      stream_.reset();
    }
  }

 private:
  std::mutex mutex_;
  ivr::RecognitionStreamPtr stream_;
};

call::TargetKind targetKind(ivr::TransferKind kind) {
  switch (kind) {
    case ivr::TransferKind::Queue:
      return call::TargetKind::Queue;
    case ivr::TransferKind::Extension:
      return call::TargetKind::Extension;
    case ivr::TransferKind::Number:
      return call::TargetKind::Number;
  }
  return call::TargetKind::Queue;
}

}  // namespace

/** One call's flow: its session and what it waits for. Loop only. */
class CallFlows::Run final : public ivr::FlowHost {
 public:
  Run(CallFlows& owner, std::string call_id, std::string caller)
      : owner_(owner), call_id_(std::move(call_id)), caller_(std::move(caller)) {}

  ~Run() override {
    for (const auto& [id, timer] : timers_) {
      owner_.loop_.cancel(timer);
    }
    if (voicemail_timer_ != 0) {
      owner_.loop_.cancel(voicemail_timer_);
    }
    if (listener_ != nullptr) {
      std::static_pointer_cast<Listener>(listener_)->cancel();
    }
  }

  void perform(const ivr::Action& action) override;
  void onStep(const ivr::Node& node, std::string_view detail) override {
    ++owner_.counters_.steps_total;
    steps_.push_back(node.id);
    spdlog::debug("ivr {}: {} {}", call_id_, node.id, detail);
  }

  /** Clears what call control holds for this run (the tap). On the loop, the call may be gone. */
  void release() { stopListening(); }

  /** Whether the run is over and may be dropped. */
  bool done() const { return session_->finished() && !voicemail_; }

  void stopListening() {
    if (listener_ == nullptr) {
      return;
    }
    std::static_pointer_cast<Listener>(listener_)->cancel();
    listener_.reset();
    listen_id_ = 0;
    if (!gone_) {
      (void)owner_.calls_.setCallerTap(call_id_, nullptr);
    }
  }

  /** Plays a ready prompt for the session's prompt `id`. */
  void playReady(std::uint64_t id, call::PromptPtr prompt) {
    auto play = owner_.calls_.playToCaller(call_id_, std::move(prompt));
    if (!play) {
      promptFailed(id, play.error().message);
      return;
    }
    play_id_ = *play;
    ++owner_.counters_.prompts_played;
  }

  /** Answers prompt `id` as failed, from a posted task (never inside perform). */
  void promptFailed(std::uint64_t id, std::string reason) {
    ++owner_.counters_.prompts_failed;
    prompt_id_ = 0;
    spdlog::warn("ivr {}: prompt cannot be played: {}", call_id_, reason);
    post([id, reason](Run& run) { run.session_->onPromptFailed(id, reason); });
  }

  /** Runs `f` on the session later on the loop, if the run is still there and going. */
  void post(std::function<void(Run&)> f) {
    owner_.loop_.post([owner = &owner_, call_id = call_id_, f = std::move(f)] {
      auto* run = owner->find(call_id);
      if (run == nullptr || run->gone_ || run->session_->finished()) {
        return;
      }
      f(*run);
      owner->settle(*run);
    });
  }

  void startVoicemail();

  CallFlows& owner_;
  const std::string call_id_;
  const std::string caller_;
  std::unique_ptr<ivr::FlowSession> session_;
  bool gone_ = false;            // the caller left: actions only clean up
  std::uint64_t prompt_id_ = 0;  // the session's prompt being prepared or played, 0 when none
  std::uint64_t play_id_ = 0;    // call control's play of it, 0 while it is prepared
  std::map<std::uint64_t, EventLoop::TimerId> timers_;  // session timer id → loop timer
  std::shared_ptr<call::CallerAudioSink> listener_;     // a Listener, while recognizing
  std::uint64_t listen_id_ = 0;
  std::vector<std::string> steps_;
  // Voicemail: the beep, then the recording until hang-up or the limit.
  bool voicemail_ = false;
  std::string voicemail_path_;
  std::uint64_t beep_play_ = 0;
  EventLoop::TimerId voicemail_timer_ = 0;
};

void CallFlows::Run::perform(const ivr::Action& action) {
  auto& owner = owner_;
  if (const auto* a = std::get_if<ivr::StopPrompt>(&action)) {
    if (prompt_id_ == a->id) {
      prompt_id_ = 0;
      if (play_id_ != 0 && !gone_) {
        owner.calls_.stopCallerPlay(call_id_);
      }
      play_id_ = 0;
    }
    return;
  }
  if (const auto* a = std::get_if<ivr::CancelTimer>(&action)) {
    if (auto it = timers_.find(a->id); it != timers_.end()) {
      owner.loop_.cancel(it->second);
      timers_.erase(it);
    }
    return;
  }
  if (std::holds_alternative<ivr::StopListening>(action)) {
    stopListening();
    return;
  }
  if (gone_ || std::holds_alternative<ivr::CancelHttp>(action)) {
    // A late HTTP answer is ignored by the session; after the caller left nothing starts.
    return;
  }
  if (const auto* a = std::get_if<ivr::PlayPrompt>(&action)) {
    const auto id = a->id;
    prompt_id_ = id;
    play_id_ = 0;
    auto& pool = owner.pool_;
    // Pool tasks touch only the loop (which outlives this) and what they captured by value.
    auto ready = [loop = &owner.loop_, owner = &owner, call_id = call_id_, id](
                     Result<call::PromptPtr> prompt, std::string cache_key) {
      loop->post([owner, call_id, id, prompt = std::move(prompt),
                  cache_key = std::move(cache_key)]() mutable {
        if (prompt && !cache_key.empty()) {
          owner->prompt_files_[cache_key] = *prompt;
        }
        auto* run = owner->find(call_id);
        if (run == nullptr || run->gone_ || run->prompt_id_ != id) {
          return;  // stopped (barge-in), or the caller left meanwhile
        }
        if (!prompt) {
          run->promptFailed(id, prompt.error().message);
          return;
        }
        run->playReady(id, *prompt);
      });
    };
    if (!a->file.empty()) {
      if (auto it = owner.prompt_files_.find(a->file); it != owner.prompt_files_.end()) {
        playReady(id, it->second);
        return;
      }
      pool.submit([loader = owner.parts_.prompt_loader, file = a->file, ready] {
        ready(loader ? loader(file) : call::loadIvrPrompt(file), file);
      });
      return;
    }
    if (owner.parts_.tts == nullptr) {
      promptFailed(id, "no text-to-speech engine");
      return;
    }
    const std::string voice = a->voice.empty() ? a->language : a->voice;
    pool.submit([tts = owner.parts_.tts, text = a->text, voice, ready] {
      auto audio = tts->synthesize(text, voice);
      if (!audio) {
        ready(audio.error(), {});
        return;
      }
      ready(call::ivrPromptFromPcm((*audio)->samples, (*audio)->rate), {});
    });
    return;
  }
  if (const auto* a = std::get_if<ivr::StartTimer>(&action)) {
    const auto id = a->id;
    timers_[id] = owner.loop_.postAfter(a->after, [owner = &owner, call_id = call_id_, id] {
      auto* run = owner->find(call_id);
      if (run == nullptr || run->timers_.erase(id) == 0 || run->gone_) {
        return;
      }
      run->session_->onTimer(id);
      owner->settle(*run);
    });
    return;
  }
  if (const auto* a = std::get_if<ivr::HttpRequest>(&action)) {
    const auto id = a->id;
    owner.pool_.submit([loop = &owner.loop_, http = owner.parts_.http, owner = &owner,
                        call_id = call_id_, id, request = *a] {
      auto answer =
          http ? http(request.method, request.url, request.body, request.timeout)
               : ivr::httpFetch(request.method, request.url, request.body, request.timeout);
      loop->post([owner, call_id, id, answer = std::move(answer)] {
        if (!answer) {
          ++owner->counters_.http_failures;
        }
        auto* run = owner->find(call_id);
        if (run == nullptr || run->gone_ || run->session_->finished()) {
          return;
        }
        if (answer) {
          run->session_->onHttpResult(id, answer->status, answer->body);
        } else {
          run->session_->onHttpFailed(id, answer.error().message);
        }
        owner->settle(*run);
      });
    });
    return;
  }
  if (const auto* a = std::get_if<ivr::StartListening>(&action)) {
    const auto id = a->id;
    stopListening();
    auto failed = [this, id](std::string reason) {
      post([id, reason](Run& run) { run.session_->onSpeechFailed(id, reason); });
    };
    if (owner.parts_.recognizer == nullptr) {
      // Keys still work: the node waits for them and its own timeout, as if nothing was said.
      // (Failing here would send every menu that also takes words to its fallback at once.)
      ++owner.counters_.listens_unserved;
      return;
    }
    ivr::RecognitionRequest request;
    request.grammar = a->grammar;
    request.words = a->words;
    request.language = a->language;
    auto done = [loop = &owner.loop_, owner = &owner, call_id = call_id_,
                 id](ivr::RecognitionResult result) {
      loop->post([owner, call_id, id, result = std::move(result)] {
        auto* run = owner->find(call_id);
        if (run == nullptr || run->gone_ || run->listen_id_ != id) {
          return;
        }
        run->stopListening();
        if (result.ok) {
          run->session_->onSpeechResult(id, result.text, result.confidence);
        } else {
          run->session_->onSpeechFailed(id, result.error);
        }
        owner->settle(*run);
      });
    };
    auto stream = owner.parts_.recognizer->start(request, std::move(done));
    if (stream == nullptr) {
      // A language or grammar the engine lacks (Mandarin words on an English model): keys only.
      ++owner.counters_.listens_unserved;
      spdlog::debug("ivr {}: the recognizer cannot serve grammar {} in {}: keys only", call_id_,
                    a->grammar, a->language);
      return;
    }
    auto listener = std::make_shared<Listener>(std::move(stream));
    if (auto tapped = owner.calls_.setCallerTap(call_id_, listener); !tapped) {
      listener->cancel();
      failed(tapped.error().message);
      return;
    }
    listener_ = std::move(listener);
    listen_id_ = id;
    return;
  }
  if (const auto* a = std::get_if<ivr::ClassifyIntent>(&action)) {
    const auto id = a->id;
    post([id](Run& run) { run.session_->onIntentFailed(id, "no NLU configured"); });
    return;
  }

  // The ends of the flow: call control takes the call over.
  stopListening();
  if (play_id_ != 0) {
    owner.calls_.stopCallerPlay(call_id_);
    play_id_ = 0;
  }
  prompt_id_ = 0;
  if (const auto* a = std::get_if<ivr::Transfer>(&action)) {
    ++owner.counters_.transfers;
    if (!a->reason.empty()) {
      ++owner.counters_.failure_transfers;
    }
    call::Target target{targetKind(a->target.kind), a->target.id};
    if (target.kind == call::TargetKind::Queue && owner.parts_.queue_id_of) {
      if (auto id = owner.parts_.queue_id_of(target.id); !id.empty()) {
        target.id = std::move(id);
      }
    }
    spdlog::info("ivr {}: transfer to {}:{}{}", call_id_, call::toString(target.kind), target.id,
                 a->reason.empty() ? "" : " (" + a->reason + ")");
    if (auto done = owner.calls_.ivrTransfer(call_id_, target, a->reason); !done) {
      spdlog::warn("ivr {}: transfer refused: {}", call_id_, done.error().message);
    }
    return;
  }
  if (const auto* a = std::get_if<ivr::Voicemail>(&action)) {
    ++owner.counters_.voicemails;
    voicemail_ = true;
    voicemail_path_ = owner.config_.recording_dir + "/voicemail/" + safeName(a->mailbox) + "/" +
                      safeName(call_id_) + ".wav";
    auto beep = owner.calls_.playToCaller(call_id_, owner.beep_);
    if (beep) {
      beep_play_ = *beep;
    } else {
      startVoicemail();
    }
    return;
  }
  if (const auto* a = std::get_if<ivr::Callback>(&action)) {
    std::string queue = a->queue;
    if (owner.parts_.queue_id_of) {
      if (auto id = owner.parts_.queue_id_of(queue); !id.empty()) {
        queue = std::move(id);
      }
    }
    const std::string& number = a->number.empty() ? caller_ : a->number;
    if (auto done = owner.calls_.ivrCallback(call_id_, queue, number); !done) {
      spdlog::warn("ivr {}: callback refused: {}", call_id_, done.error().message);
    }
    return;
  }
  if (std::holds_alternative<ivr::Hangup>(action)) {
    if (auto done = owner.calls_.ivrHangup(call_id_); !done) {
      spdlog::warn("ivr {}: hang-up refused: {}", call_id_, done.error().message);
    }
    return;
  }
  KEFU_BUG("ivr: an action the call host does not know");
}

void CallFlows::Run::startVoicemail() {
  beep_play_ = 0;
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(voicemail_path_).parent_path(), ec);
  if (auto recording = owner_.calls_.recordCaller(call_id_, voicemail_path_); !recording) {
    // No message can be taken: a person takes the call instead of dropping it.
    spdlog::warn("ivr {}: voicemail cannot be recorded ({}): to {}", call_id_,
                 recording.error().message, owner_.config_.default_queue);
    voicemail_ = false;
    std::string queue = owner_.config_.default_queue;
    if (owner_.parts_.queue_id_of) {
      if (auto id = owner_.parts_.queue_id_of(queue); !id.empty()) {
        queue = std::move(id);
      }
    }
    (void)owner_.calls_.ivrTransfer(call_id_, {call::TargetKind::Queue, queue},
                                    "voicemail cannot be recorded");
    owner_.forgetLater(call_id_);
    return;
  }
  spdlog::info("ivr {}: voicemail to {}", call_id_, voicemail_path_);
  voicemail_timer_ =
      owner_.loop_.postAfter(owner_.config_.voicemail_limit, [owner = &owner_, call_id = call_id_] {
        auto* run = owner->find(call_id);
        if (run == nullptr) {
          return;
        }
        run->voicemail_timer_ = 0;
        run->voicemail_ = false;
        (void)owner->calls_.ivrHangup(call_id);
        owner->forgetLater(call_id);
      });
}

CallFlows::CallFlows(EventLoop& loop, const TimeSource& time, BlockingPool& pool,
                     call::IvrCalls& calls, CallFlowsConfig config, CallFlowsParts parts)
    : loop_(loop),
      time_(time),
      pool_(pool),
      calls_(calls),
      config_(std::move(config)),
      parts_(std::move(parts)),
      beep_(makeBeep()) {
  if (parts_.zones == nullptr) {
    parts_.zones = std::make_shared<ivr::SystemTimeZones>();
  }
}

CallFlows::~CallFlows() = default;

CallFlows::Run* CallFlows::find(std::string_view call_id) {
  auto it = runs_.find(call_id);
  return it == runs_.end() ? nullptr : it->second.get();
}

std::vector<std::string> CallFlows::stepsOf(std::string_view call_id) const {
  auto it = runs_.find(call_id);
  return it == runs_.end() ? std::vector<std::string>{} : it->second->steps_;
}

void CallFlows::settle(Run& run) {
  if (run.done()) {
    forgetLater(run.call_id_);
  }
}

void CallFlows::forgetLater(const std::string& call_id) {
  loop_.post([this, call_id] {
    auto it = runs_.find(call_id);
    if (it == runs_.end() || !it->second->done()) {
      return;
    }
    it->second->release();
    runs_.erase(it);
    --counters_.sessions_active;
  });
}

Result<void> CallFlows::start(std::string_view call_id, std::string_view flow_id,
                              std::string_view caller, std::string_view dialed) {
  KEFU_ASSERT(loop_.isThisThread());
  auto flow = catalog_.find(flow_id);
  if (flow == nullptr) {
    return Error::notFound("no flow " + std::string(flow_id));
  }
  if (runs_.contains(call_id)) {
    return Error{ErrorCode::Conflict, "the call is already in a flow", {}};
  }
  auto run = std::make_unique<Run>(*this, std::string(call_id), std::string(caller));
  ivr::SessionOptions options;
  options.caller = std::string(caller);
  options.dialed = std::string(dialed);
  options.default_transfer = {ivr::TransferKind::Queue, config_.default_queue};
  run->session_ =
      std::make_unique<ivr::FlowSession>(flow, *run, time_, *parts_.zones, std::move(options));
  runs_.emplace(std::string(call_id), std::move(run));
  ++counters_.sessions_total;
  ++counters_.sessions_active;
  spdlog::info("ivr {}: flow {} v{} for {}", call_id, flow_id, flow->version, caller);
  // Started from the loop, not inside call control's own call (its actions call back into it).
  loop_.post([this, id = std::string(call_id)] {
    if (auto* run = find(id); run != nullptr && !run->gone_) {
      run->session_->start();
      settle(*run);
    }
  });
  return {};
}

void CallFlows::digit(std::string_view call_id, char digit) {
  loop_.post([this, id = std::string(call_id), digit] {
    auto* run = find(id);
    if (run == nullptr || run->gone_ || run->session_->finished()) {
      return;
    }
    run->session_->onDigit(digit);
    settle(*run);
  });
}

void CallFlows::promptFinished(std::string_view call_id, std::uint64_t play_id) {
  loop_.post([this, id = std::string(call_id), play_id] {
    auto* run = find(id);
    if (run == nullptr || run->gone_) {
      return;
    }
    if (run->voicemail_ && run->beep_play_ == play_id) {
      run->startVoicemail();
      return;
    }
    if (run->play_id_ != play_id || run->session_->finished()) {
      return;
    }
    const auto prompt = run->prompt_id_;
    run->play_id_ = 0;
    run->prompt_id_ = 0;
    run->session_->onPromptFinished(prompt);
    settle(*run);
  });
}

void CallFlows::callerGone(std::string_view call_id) {
  KEFU_ASSERT(loop_.isThisThread());
  auto it = runs_.find(call_id);
  if (it == runs_.end()) {
    return;
  }
  auto& run = *it->second;
  // The call is being torn down: the session's last actions only clean up what the run holds.
  run.gone_ = true;
  run.stopListening();
  if (!run.session_->finished()) {
    run.session_->onCallerHangup();
  }
  runs_.erase(it);
  --counters_.sessions_active;
}

}  // namespace kefu::interaction
