#include "ivr/flow_driver.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <utility>

namespace kefu::ivr {
namespace {

bool isKey(std::string_view input) {
  if (input.size() != 1) {
    return false;
  }
  char c = input[0];
  return std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '*' || c == '#' ||
         (c >= 'A' && c <= 'D');
}

/** The default NLU: the intent whose name the text contains ("lost_card" in "my lost card"). */
IntentAnswer keywordIntent(const ClassifyIntent& request, const std::vector<std::string>& intents) {
  std::string text = request.text;
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto& intent : intents) {
    std::string spoken = intent;
    std::replace(spoken.begin(), spoken.end(), '_', ' ');
    if (text.find(spoken) != std::string::npos) {
      return {false, intent, 0.9};
    }
  }
  return {false, "", 0};
}

}  // namespace

std::vector<std::string> splitInputs(std::string_view text) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at <= text.size()) {
    auto comma = text.find(',', at);
    std::string_view part =
        text.substr(at, comma == std::string_view::npos ? std::string_view::npos : comma - at);
    auto first = part.find_first_not_of(' ');
    auto last = part.find_last_not_of(' ');
    if (first != std::string_view::npos) {
      out.emplace_back(part.substr(first, last - first + 1));
    }
    if (comma == std::string_view::npos) {
      break;
    }
    at = comma + 1;
  }
  return out;
}

FlowDriver::FlowDriver(FlowPtr flow, SimulatedTime& time, const TimeZones& zones,
                       DriverOptions options)
    : time_(time),
      options_(std::move(options)),
      session_(std::move(flow), *this, time, zones, options_.session) {}

void FlowDriver::perform(const Action& action) {
  actions_.push_back(action);
  pending_.push_back(action);
  transcript_.push_back("    " + describe(action));
}

void FlowDriver::onStep(const Node& node, std::string_view detail) {
  path_.push_back(node.id);
  transcript_.push_back(fmt::format("-> {} ({})", node.id, detail));
}

bool FlowDriver::handlePending() {
  std::vector<Action> batch = std::exchange(pending_, {});
  std::vector<std::function<void()>> answers;
  for (const auto& action : batch) {
    if (const auto* play = std::get_if<PlayPrompt>(&action)) {
      const auto& failing = options_.failing_prompts;
      bool fails = std::find(failing.begin(), failing.end(),
                             play->file.empty() ? play->text : play->file) != failing.end();
      if (fails) {
        answers.emplace_back([this, id = play->id] {
          transcript_.push_back(fmt::format("  < prompt #{} failed", id));
          session_.onPromptFailed(id, "cannot play");
        });
      } else {
        playing_ = *play;
      }
    } else if (const auto* stop = std::get_if<StopPrompt>(&action)) {
      if (playing_ && playing_->id == stop->id) {
        playing_.reset();
      }
    } else if (const auto* listen = std::get_if<StartListening>(&action)) {
      listening_ = *listen;
    } else if (const auto* stop_listening = std::get_if<StopListening>(&action)) {
      if (listening_ && listening_->id == stop_listening->id) {
        listening_.reset();
      }
    } else if (const auto* timer = std::get_if<StartTimer>(&action)) {
      timers_[timer->id] = time_.monotonicTime() + timer->after;
    } else if (const auto* cancel = std::get_if<CancelTimer>(&action)) {
      timers_.erase(cancel->id);
    } else if (const auto* request = std::get_if<HttpRequest>(&action)) {
      HttpAnswer answer = options_.http ? options_.http(*request)
                                        : HttpAnswer{HttpAnswer::Kind::Failure, 0, "no HTTP stub"};
      answers.emplace_back([this, id = request->id, answer] {
        switch (answer.kind) {
          case HttpAnswer::Kind::Response:
            transcript_.push_back(
                fmt::format("  < http #{} {} {}", id, answer.status, answer.body));
            session_.onHttpResult(id, answer.status, answer.body);
            break;
          case HttpAnswer::Kind::Failure:
            transcript_.push_back(fmt::format("  < http #{} failed: {}", id, answer.body));
            session_.onHttpFailed(id, answer.body);
            break;
          case HttpAnswer::Kind::Timeout:
            break;  // no answer: the session's own timer fires
        }
      });
    } else if (const auto* classify = std::get_if<ClassifyIntent>(&action)) {
      IntentAnswer answer;
      if (options_.nlu) {
        answer = options_.nlu(*classify);
      } else {
        std::vector<std::string> intents;
        if (const Node* node = session_.flow().find(session_.currentNode())) {
          for (const auto& [intent, target] : node->cases) {
            intents.push_back(intent);
          }
        }
        answer = keywordIntent(*classify, intents);
      }
      answers.emplace_back([this, id = classify->id, answer] {
        if (answer.failed) {
          transcript_.push_back(fmt::format("  < nlu #{} failed", id));
          session_.onIntentFailed(id, "nlu error");
        } else {
          transcript_.push_back(fmt::format("  < nlu #{} intent '{}' ({:.2f})", id, answer.intent,
                                            answer.confidence));
          session_.onIntentResult(id, answer.intent, answer.confidence);
        }
      });
    }
  }
  for (auto& answer : answers) {
    answer();  // stale answers are ignored by the session (their ids no longer match)
  }
  return !answers.empty() || !pending_.empty();
}

bool FlowDriver::fireTimer() {
  if (timers_.empty()) {
    return false;
  }
  auto next = std::min_element(timers_.begin(), timers_.end(),
                               [](const auto& a, const auto& b) { return a.second < b.second; });
  auto [id, due] = *next;
  timers_.erase(next);
  auto now = time_.monotonicTime();
  auto elapsed = due > now ? due - now : MonotonicTime::duration{0};
  time_.advance(elapsed);
  transcript_.push_back(
      fmt::format("  < {} ms pass (timer #{})",
                  std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count(), id));
  session_.onTimer(id);
  return true;
}

bool FlowDriver::deliver(const std::string& input) {
  if (isKey(input)) {
    transcript_.push_back(fmt::format("  < key {}", input));
    session_.onDigit(input[0]);
    return true;
  }
  if (input.rfind("say:", 0) == 0) {
    std::string text = input.substr(4);
    double confidence = 1.0;
    if (auto at = text.rfind('@'); at != std::string::npos) {
      try {
        confidence = std::stod(text.substr(at + 1));
        text.resize(at);
      } catch (const std::exception&) {
        // Not a confidence: the '@' belongs to the text.
      }
    }
    if (!listening_) {
      transcript_.push_back(fmt::format("  < say \"{}\" (nobody listens: ignored)", text));
      return true;
    }
    auto id = listening_->id;
    listening_.reset();
    transcript_.push_back(fmt::format("  < say \"{}\" ({:.2f})", text, confidence));
    session_.onSpeechResult(id, text, confidence);
    return true;
  }
  if (input == "wait") {
    if (!fireTimer()) {
      transcript_.emplace_back("  < wait (no timer running)");
    }
    return true;
  }
  if (input == "fail-speech") {
    if (listening_) {
      auto id = listening_->id;
      listening_.reset();
      transcript_.emplace_back("  < recognizer failed");
      session_.onSpeechFailed(id, "engine error");
    }
    return true;
  }
  if (input == "hangup") {
    transcript_.emplace_back("  < caller hangs up");
    session_.onCallerHangup();
    return true;
  }
  transcript_.push_back(
      fmt::format("  < `{}` is not an input (keys, say:TEXT, wait, "
                  "fail-speech, hangup): ignored",
                  input));
  return true;
}

std::vector<std::string> FlowDriver::run(const std::vector<std::string>& given) {
  // "622848" is six keys, as a caller would type them.
  std::vector<std::string> inputs;
  for (const auto& input : given) {
    bool keys = input.size() > 1 && std::all_of(input.begin(), input.end(), [](char c) {
                  return isKey(std::string_view(&c, 1));
                });
    if (keys) {
      for (char c : input) {
        inputs.emplace_back(1, c);
      }
    } else {
      inputs.push_back(input);
    }
  }
  std::size_t next = 0;
  session_.start();
  for (int events = 0; !session_.finished() && events < options_.max_events; ++events) {
    if (handlePending()) {
      continue;
    }
    bool interrupts = next < inputs.size() &&
                      (isKey(inputs[next]) ? playing_ && playing_->barge_in
                                           : inputs[next].rfind("say:", 0) == 0 && listening_);
    if (playing_ && !interrupts) {
      auto id = playing_->id;
      playing_.reset();
      transcript_.push_back(fmt::format("  < prompt #{} finished", id));
      session_.onPromptFinished(id);
      continue;
    }
    if (next < inputs.size()) {
      deliver(inputs[next++]);
      continue;
    }
    if (!fireTimer()) {
      transcript_.emplace_back("(the flow waits and nothing is left to happen)");
      break;
    }
  }
  if (session_.finished()) {
    const auto& outcome = session_.outcome();
    transcript_.push_back(outcome.caller_hung_up ? "= the caller hung up"
                                                 : "= " + describe(outcome.action));
  }
  return transcript_;
}

}  // namespace kefu::ivr
