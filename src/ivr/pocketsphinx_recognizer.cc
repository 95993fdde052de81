#include "ivr/pocketsphinx_recognizer.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "ivr/jsgf_grammar.h"
#include "media/audio.h"
#include "media/resampler.h"

#ifdef KEFU_HAVE_POCKETSPHINX
#include <pocketsphinx.h>
#include <sphinxbase/cmn.h>
#include <sphinxbase/feat.h>
#include <sphinxbase/fsg_model.h>
#include <sphinxbase/jsgf.h>
#endif

namespace kefu::ivr {

// ---------------------------------------------------------------------------------------------
// SpeechEndpointer

namespace {

constexpr int Rate = media::InternalRate;  // the model's rate: 16 kHz
constexpr std::size_t FrameSamples = media::FrameSamples;
constexpr int FrameMs = media::PtimeMs;

int framesIn(std::chrono::milliseconds duration) {
  return static_cast<int>(std::max<std::int64_t>(1, duration.count() / FrameMs));
}

/** @return the frame's RMS level in dBFS (-100 for digital silence). */
double levelDbfs(std::span<const std::int16_t> frame) {
  double sum = 0;
  for (std::int16_t s : frame) {
    sum += static_cast<double>(s) * s;
  }
  const double mean = sum / static_cast<double>(std::max<std::size_t>(1, frame.size()));
  return mean <= 0 ? -100.0 : 10.0 * std::log10(mean / (32768.0 * 32768.0));
}

}  // namespace

SpeechEndpointer::SpeechEndpointer(const Config& config)
    : config_(config),
      no_input_frames_(framesIn(config.no_input)),
      max_speech_frames_(framesIn(config.max_speech)),
      end_frames_(framesIn(config.end_silence)),
      // The ring also holds the loud frames that are not yet speech, so that the pre-roll is
      // counted from the first of them.
      pre_roll_samples_(
          static_cast<std::size_t>(framesIn(config.pre_roll) + std::max(0, config.start_frames)) *
          FrameSamples) {
  utterance_.reserve(pre_roll_samples_ +
                     static_cast<std::size_t>(max_speech_frames_ + end_frames_ + 1) * FrameSamples);
}

SpeechEndpointer::State SpeechEndpointer::feed(std::span<const std::int16_t> frame) {
  if (state_ == State::Complete || state_ == State::NoInput) {
    return state_;
  }
  ++frames_;
  const double level = levelDbfs(frame);
  const double threshold = std::max(config_.speech_dbfs, floor_db_ + config_.above_floor_db);
  if (state_ == State::Waiting) {
    // The floor follows quiet frames quickly down and slowly up, so that a long word does not
    // raise it much before speech is declared.
    if (level < floor_db_) {
      floor_db_ = level;
    } else if (level < threshold) {
      floor_db_ += 0.05 * (level - floor_db_);
    }
    if (utterance_.size() + frame.size() > pre_roll_samples_) {
      const std::size_t drop =
          std::min(utterance_.size(), utterance_.size() + frame.size() - pre_roll_samples_);
      utterance_.erase(utterance_.begin(), utterance_.begin() + static_cast<std::ptrdiff_t>(drop));
    }
    utterance_.insert(utterance_.end(), frame.begin(), frame.end());
    loud_run_ = level >= threshold ? loud_run_ + 1 : 0;
    if (loud_run_ >= config_.start_frames) {
      state_ = State::Speaking;
      speech_frames_ = loud_run_;
      quiet_run_ = 0;
    } else if (frames_ >= no_input_frames_) {
      state_ = State::NoInput;
      utterance_.clear();
    }
    return state_;
  }
  // Speaking: a little hysteresis keeps the fading end of a word inside the utterance.
  utterance_.insert(utterance_.end(), frame.begin(), frame.end());
  ++speech_frames_;
  quiet_run_ = level < threshold - 3.0 ? quiet_run_ + 1 : 0;
  if (quiet_run_ >= end_frames_ || speech_frames_ >= max_speech_frames_) {
    state_ = State::Complete;
  }
  return state_;
}

// ---------------------------------------------------------------------------------------------
// The decoder side

#ifdef KEFU_HAVE_POCKETSPHINX

namespace {

/**
 * The cepstral mean each utterance starts from. pocketsphinx's live normalization adapts it only
 * slowly, and the model's own (for 16 kHz wide-band speech) is far from telephone audio that was
 * upsampled from 8 kHz: this one was estimated from the shared spoken-digit recordings sent through
 * the IVR audio path (G.711 and the media engine's upsampling), as the mean the decoder settles on.
 */
constexpr std::array<float, 13> TelephoneCepstralMean{42.52F, 28.89F, -34.28F, 42.18F, -18.96F,
                                                      -4.96F, 7.79F,  -30.12F, 16.19F, -14.43F,
                                                      -5.20F, 6.72F,  -13.92F};

/**
 * Extra pronunciations for telephone audio, which carries nothing above 4 kHz: the /s/ of "six"
 * is mostly lost there, and without these variants "six" is heard as "eight".
 */
constexpr std::array<std::pair<const char*, const char*>, 2> TelephonePronunciations{{
    {"six(2)", "S IH K"},
    {"six(3)", "IH K S"},
}};

/** At most this many grammars stay compiled in a decoder; the oldest is dropped beyond it. */
constexpr std::size_t MaxSearches = 32;

/** Shared by a stream and the job carrying its utterance: `done` is called at most once. */
class Completion {
 public:
  explicit Completion(std::function<void(RecognitionResult)> done) : done_(std::move(done)) {}

  /** Answers the stream unless it was answered or cancelled. Any thread. */
  void finish(RecognitionResult result) {
    // The lock is held while `done` runs, so that cancel() returns only once it has finished.
    // It is recursive because `done` may cancel its own stream.
    std::lock_guard lock(mutex_);
    if (!done_) {
      return;
    }
    auto done = std::move(done_);
    done_ = nullptr;
    done(std::move(result));
  }
  /** Forgets `done`; no answer comes after it returns. Any thread. */
  void cancel() {
    std::lock_guard lock(mutex_);
    done_ = nullptr;
  }
  /** @return whether an answer may still come. Any thread. */
  bool open() {
    std::lock_guard lock(mutex_);
    return static_cast<bool>(done_);
  }

 private:
  std::recursive_mutex mutex_;
  std::function<void(RecognitionResult)> done_;
};

/** One utterance to decode. */
struct Job {
  std::shared_ptr<Completion> completion;
  JsgfGrammar grammar;
  double min_confidence = 0;
  std::vector<std::int16_t> audio;  // 16 kHz
};

/** One pocketsphinx decoder with the grammars it has compiled. Lives on the worker thread. */
class Decoder {
 public:
  explicit Decoder(ps_decoder_t* ps) : ps_(ps) {}
  ~Decoder() { ps_free(ps_); }
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  /** @return the result of decoding `job`'s utterance. */
  RecognitionResult decode(const Job& job) {
    RecognitionResult result;
    auto search = searchFor(job.grammar);
    if (!search) {
      result.ok = false;
      result.error = search.error().message;
      return result;
    }
    if (ps_set_search(ps_, search->c_str()) < 0) {
      result.ok = false;
      result.error = "pocketsphinx could not switch to the grammar";
      return result;
    }
    cmn_live_set(ps_get_feat(ps_)->cmn_struct, TelephoneCepstralMean.data());
    if (ps_start_utt(ps_) < 0) {
      result.ok = false;
      result.error = "pocketsphinx could not start an utterance";
      return result;
    }
    // Fed in 20 ms pieces as it was heard, which is how the live normalization was tuned.
    for (std::size_t at = 0; at < job.audio.size(); at += FrameSamples) {
      const std::size_t count = std::min(FrameSamples, job.audio.size() - at);
      ps_process_raw(ps_, job.audio.data() + at, count, FALSE, FALSE);
    }
    ps_end_utt(ps_);
    std::int32_t score = 0;
    const char* hypothesis = ps_get_hyp(ps_, &score);
    const std::string text =
        normalizeHypothesis(job.grammar.kind, hypothesis != nullptr ? hypothesis : "");
    result.confidence = text.empty() ? 0.0 : logmath_exp(ps_get_logmath(ps_), ps_get_prob(ps_));
    result.confidence = std::clamp(result.confidence, 0.0, 1.0);
    result.text = result.confidence >= job.min_confidence ? text : std::string{};
    return result;
  }

 private:
  /** @return the name of the compiled search for `grammar`, compiling it the first time. */
  Result<std::string> searchFor(const JsgfGrammar& grammar) {
    if (auto it = searches_.find(grammar.key); it != searches_.end()) {
      return it->second;
    }
    if (searches_.size() >= MaxSearches) {
      auto oldest = std::min_element(searches_.begin(), searches_.end(), [&](auto& a, auto& b) {
        return order_.at(a.first) < order_.at(b.first);
      });
      ps_unset_search(ps_, oldest->second.c_str());
      order_.erase(oldest->first);
      searches_.erase(oldest);
    }
    std::string name = fmt::format("g{}", next_++);
    // Compiled here rather than with ps_set_jsgf_string, which never frees the parsed grammar.
    jsgf_t* jsgf = jsgf_parse_string(grammar.text.c_str(), nullptr);
    if (jsgf == nullptr) {
      return Error::invalid("grammar", "pocketsphinx could not parse the grammar");
    }
    int status = -1;
    if (jsgf_rule_t* rule = jsgf_get_public_rule(jsgf); rule != nullptr) {
      const auto language_weight = cmd_ln_float32_r(ps_get_config(ps_), "-lw");
      if (fsg_model_t* fsg = jsgf_build_fsg(jsgf, rule, ps_get_logmath(ps_), language_weight)) {
        status = ps_set_fsg(ps_, name.c_str(), fsg);
        fsg_model_free(fsg);  // the search holds its own reference
      }
    }
    jsgf_grammar_free(jsgf);
    if (status < 0) {
      return Error::invalid("words", "the grammar holds a word pocketsphinx does not know");
    }
    order_[grammar.key] = next_;
    searches_[grammar.key] = name;
    return name;
  }

  ps_decoder_t* ps_;                             // owned
  std::map<std::string, std::string> searches_;  // grammar key -> search name
  std::map<std::string, std::uint64_t> order_;   // grammar key -> when it was compiled
  std::uint64_t next_ = 0;
};

/** @return a decoder for the model in `model_dir`, or Unavailable. */
Result<std::unique_ptr<Decoder>> loadDecoder(const std::string& model_dir) {
  const std::string hmm = model_dir + "/en-us";
  const std::string dict = model_dir + "/cmudict-en-us.dict";
  // -remove_silence no: the endpointer already cut the utterance, and pocketsphinx's own silence
  // removal clipped the short digits. -dither with a fixed seed gives digital silence (as a
  // G.711 line sends between words) a floor the normalization can work with, reproducibly.
  // -wip is lowered because the digits grammar otherwise inserts words in the onset noise.
  cmd_ln_t* config = cmd_ln_init(nullptr, ps_args(), TRUE, "-hmm", hmm.c_str(), "-dict",
                                 dict.c_str(), "-remove_silence", "no", "-dither", "yes", "-seed",
                                 "1", "-wip", "0.01", "-logfn", "/dev/null", nullptr);
  if (config == nullptr) {
    return Error{ErrorCode::Unavailable, "pocketsphinx rejected its configuration", {}};
  }
  ps_decoder_t* ps = ps_init(config);
  cmd_ln_free_r(config);  // the decoder holds its own reference
  if (ps == nullptr) {
    return Error{ErrorCode::Unavailable,
                 fmt::format("pocketsphinx could not load the model in {} (is pocketsphinx-en-us "
                             "installed?)",
                             model_dir),
                 {}};
  }
  for (const auto& [word, phones] : TelephonePronunciations) {
    ps_add_word(ps, word, phones, TRUE);
  }
  return std::make_unique<Decoder>(ps);
}

/**
 * The worker that decodes utterances, one at a time, with the decoder loaded at start-up. Jobs
 * come from streams on media threads; answers go out through each job's Completion.
 */
class DecodeWorker {
 public:
  explicit DecodeWorker(std::unique_ptr<Decoder> decoder)
      : decoder_(std::move(decoder)), thread_([this] { run(); }) {}
  ~DecodeWorker() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    // The last owner may be a stream destroyed by a `done` running on this very thread.
    if (thread_.get_id() == std::this_thread::get_id()) {
      thread_.detach();
    } else {
      thread_.join();
    }
  }
  DecodeWorker(const DecodeWorker&) = delete;
  DecodeWorker& operator=(const DecodeWorker&) = delete;

  /** Queues `job`. Any thread; never waits for decoding. */
  void submit(Job job) {
    {
      std::lock_guard lock(mutex_);
      jobs_.push_back(std::move(job));
    }
    wake_.notify_one();
  }

 private:
  void run() {
    for (;;) {
      Job job;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        if (stopping_) {
          return;  // queued jobs are dropped: their streams' owners are going away too
        }
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      if (!job.completion->open()) {
        continue;  // cancelled while it waited
      }
      job.completion->finish(decoder_->decode(job));
    }
  }

  std::unique_ptr<Decoder> decoder_;  // used by thread_ only
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once the rest is built
};

/** One recognition: endpointing on the media thread, then one job for the worker. */
class PocketsphinxStream final : public RecognitionStream {
 public:
  PocketsphinxStream(std::shared_ptr<DecodeWorker> worker, JsgfGrammar grammar,
                     const RecognitionRequest& request, const PocketsphinxOptions& options,
                     std::function<void(RecognitionResult)> done)
      : worker_(std::move(worker)),
        grammar_(std::move(grammar)),
        min_confidence_(request.min_confidence),
        endpointer_(SpeechEndpointer::Config{.no_input = request.no_input,
                                             .max_speech = request.max_speech,
                                             .end_silence = options.end_silence,
                                             .pre_roll = options.pre_roll}),
        completion_(std::make_shared<Completion>(std::move(done))) {}
  ~PocketsphinxStream() override { completion_->cancel(); }

  void feed(const std::int16_t* samples, std::size_t count, int rate) override {
    if (submitted_ || samples == nullptr || rate <= 0) {
      return;
    }
    std::span<const std::int16_t> in(samples, count);
    if (rate != Rate) {
      if (!resampler_ || resampler_rate_ != rate) {
        resampler_.emplace(rate, Rate);
        resampler_rate_ = rate;
      }
      // Converted in pieces that fit the scratch buffer, whatever the caller's frame size.
      std::array<std::int16_t, 4 * FrameSamples> wide{};
      const std::size_t piece = std::max<std::size_t>(
          1, wide.size() * static_cast<std::size_t>(rate) / static_cast<std::size_t>(Rate) / 2);
      for (std::size_t at = 0; at < in.size() && !submitted_; at += piece) {
        auto part = in.subspan(at, std::min(piece, in.size() - at));
        std::size_t produced = resampler_->process(part, wide);
        push(std::span<const std::int16_t>(wide.data(), produced));
      }
      return;
    }
    push(in);
  }

  void cancel() override { completion_->cancel(); }

 private:
  /** Cuts 16 kHz audio into 20 ms frames for the endpointer. */
  void push(std::span<const std::int16_t> audio) {
    while (!audio.empty() && !submitted_) {
      const std::size_t take = std::min(FrameSamples - pending_, audio.size());
      std::copy_n(audio.begin(), take, frame_.begin() + static_cast<std::ptrdiff_t>(pending_));
      pending_ += take;
      audio = audio.subspan(take);
      if (pending_ == FrameSamples) {
        pending_ = 0;
        onFrame();
      }
    }
  }

  void onFrame() {
    switch (endpointer_.feed(frame_)) {
      case SpeechEndpointer::State::Waiting:
      case SpeechEndpointer::State::Speaking:
        return;
      case SpeechEndpointer::State::NoInput:
        submitted_ = true;
        completion_->finish(RecognitionResult{});  // ok, empty text: no input
        return;
      case SpeechEndpointer::State::Complete: {
        submitted_ = true;
        auto utterance = endpointer_.utterance();
        worker_->submit(Job{completion_, grammar_, min_confidence_,
                            std::vector<std::int16_t>(utterance.begin(), utterance.end())});
        return;
      }
    }
  }

  std::shared_ptr<DecodeWorker> worker_;
  const JsgfGrammar grammar_;
  const double min_confidence_;
  SpeechEndpointer endpointer_;
  std::shared_ptr<Completion> completion_;
  std::optional<media::Resampler> resampler_;
  int resampler_rate_ = 0;
  std::array<std::int16_t, FrameSamples> frame_{};
  std::size_t pending_ = 0;
  bool submitted_ = false;
};

class PocketsphinxRecognizer final : public SpeechRecognizer {
 public:
  PocketsphinxRecognizer(std::shared_ptr<DecodeWorker> worker, PocketsphinxOptions options)
      : worker_(std::move(worker)), options_(std::move(options)) {}

  RecognitionStreamPtr start(const RecognitionRequest& request,
                             std::function<void(RecognitionResult)> done) override {
    // The model is English only; an empty language is the flow's default (English).
    if (!request.language.empty() && request.language != "en" &&
        request.language.rfind("en-", 0) != 0 && request.language.rfind("en_", 0) != 0) {
      return nullptr;
    }
    auto grammar = buildJsgfGrammar(request);
    if (!grammar) {
      spdlog::info("pocketsphinx: {}", grammar.error().message);
      return nullptr;
    }
    return std::make_unique<PocketsphinxStream>(worker_, std::move(*grammar), request, options_,
                                                std::move(done));
  }

 private:
  std::shared_ptr<DecodeWorker> worker_;
  const PocketsphinxOptions options_;
};

}  // namespace

Result<SpeechRecognizerPtr> makePocketsphinxRecognizer(const PocketsphinxOptions& options) {
  auto decoder = loadDecoder(options.model_dir);
  if (!decoder) {
    return decoder.error();
  }
  auto worker = std::make_shared<DecodeWorker>(std::move(*decoder));
  return SpeechRecognizerPtr{std::make_unique<PocketsphinxRecognizer>(std::move(worker), options)};
}

#else

Result<SpeechRecognizerPtr> makePocketsphinxRecognizer(const PocketsphinxOptions& /*options*/) {
  return Error{ErrorCode::Unavailable,
               "Kefu was built without pocketsphinx (libpocketsphinx-dev, pocketsphinx-en-us)",
               {}};
}

#endif

}  // namespace kefu::ivr
