#include "ivr/flow_session.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/assert.h"
#include "ivr/internal/json_field.h"
#include "ivr/internal/speech_match.h"

namespace kefu::ivr {

using internal::jsonField;
using internal::matchWord;
using internal::spokenDigits;
using internal::trim;
using internal::yesNo;

FlowSession::FlowSession(FlowPtr flow, FlowHost& host, const TimeSource& time,
                         const TimeZones& zones, SessionOptions options)
    : host_(host),
      time_(time),
      zones_(zones),
      flow_(std::move(flow)),
      options_(std::move(options)) {
  KEFU_ASSERT(flow_ != nullptr);
  variables_ = flow_->variables;
  variables_["caller"] = options_.caller;
  variables_["dialed"] = options_.dialed;
  variables_["language"] = flow_->default_language;
}

void FlowSession::start() {
  KEFU_ASSERT(steps_ == 0 && !finished());
  run(flow_->start);
}

std::string FlowSession::variable(const std::string& name) const {
  auto it = variables_.find(name);
  return it == variables_.end() ? std::string{} : it->second;
}

// The engine: run() enters nodes back to back until one waits or the flow ends.

void FlowSession::run(std::optional<std::string> next) {
  int without_wait = 0;
  while (next && !finished()) {
    stopInputs();
    if (++without_wait > options_.max_steps_without_wait) {
      finish(Transfer{defaultTarget(), "loop without input"});
      return;
    }
    if (steps_ >= options_.max_steps) {
      finish(Transfer{defaultTarget(), "too many steps"});
      return;
    }
    const Node* node = flow_->find(*next);
    if (!node) {
      // Only an unvalidated flow gets here; the caller still reaches a person.
      KEFU_BUG("flow node not found");
      finish(Transfer{defaultTarget(), fmt::format("node `{}` not found", *next)});
      return;
    }
    node_ = node;
    node_id_ = node->id;
    attempts_ = 0;
    digits_.clear();
    ++steps_;
    host_.onStep(*node, toString(node->kind));
    next = execute(*node);
  }
}

std::optional<std::string> FlowSession::execute(const Node& node) {
  switch (node.kind) {
    case NodeKind::Play:
      if (node.prompt.empty()) {
        return node.next;
      }
      playPrompt(node);
      return std::nullopt;
    case NodeKind::Menu:
    case NodeKind::Language:
    case NodeKind::Collect:
    case NodeKind::Listen:
    case NodeKind::Intent:
      return startAttempt(node);
    case NodeKind::Switch: {
      auto it = node.cases.find(variable(node.variable));
      return it == node.cases.end() ? node.next : it->second;
    }
    case NodeKind::Set:
      for (const auto& [name, value] : node.assignments) {
        variables_[name] = interpolate(value);
      }
      return node.next;
    case NodeKind::Http: {
      request_id_ = nextId();
      wait_ = Wait::Http;
      perform(HttpRequest{request_id_, node.method, interpolate(node.url, /*url=*/true),
                          interpolate(node.body), node.timeout});
      armTimer(node.timeout);
      return std::nullopt;
    }
    case NodeKind::Hours:
      return evaluateHours(node);
    case NodeKind::Transfer:
    case NodeKind::Voicemail:
    case NodeKind::Callback:
    case NodeKind::Hangup:
      if (node.prompt.empty()) {
        finishTerminal(node);
      } else {
        playPrompt(node);
      }
      return std::nullopt;
  }
  KEFU_BUG("unknown node kind");
  return failTo("unknown node kind");
}

void FlowSession::finishTerminal(const Node& node) {
  switch (node.kind) {
    case NodeKind::Transfer:
      finish(Transfer{{node.transfer.kind, interpolate(node.transfer.id)}, {}});
      break;
    case NodeKind::Voicemail:
      finish(Voicemail{interpolate(node.mailbox)});
      break;
    case NodeKind::Callback:
      finish(Callback{node.queue, interpolate(node.transfer.id)});
      break;
    default:
      finish(Hangup{});
      break;
  }
}

void FlowSession::finish(Action action) {
  stopInputs();
  outcome_ = SessionOutcome{action, false};
  node_ = nullptr;
  node_id_.clear();
  perform(action);
}

TransferTarget FlowSession::defaultTarget() const {
  return flow_->default_transfer.value_or(options_.default_transfer);
}

std::optional<std::string> FlowSession::failTo(std::string_view reason) {
  stopInputs();
  variables_["error"] = std::string(reason);
  if (node_ && !node_->fallback.empty()) {
    return node_->fallback;
  }
  finish(Transfer{defaultTarget(), std::string(reason)});
  return std::nullopt;
}

void FlowSession::stopInputs() {
  if (prompt_id_ != 0) {
    perform(StopPrompt{std::exchange(prompt_id_, 0)});
  }
  if (listen_id_ != 0) {
    perform(StopListening{std::exchange(listen_id_, 0)});
  }
  if (timer_id_ != 0) {
    perform(CancelTimer{std::exchange(timer_id_, 0)});
  }
  if (request_id_ != 0 && wait_ == Wait::Http) {
    perform(CancelHttp{request_id_});
  }
  request_id_ = 0;
  wait_ = Wait::None;
}

void FlowSession::armTimer(std::chrono::milliseconds after) {
  if (timer_id_ != 0) {
    perform(CancelTimer{timer_id_});
  }
  timer_id_ = nextId();
  perform(StartTimer{timer_id_, after});
}

void FlowSession::playPrompt(const Node& node) {
  std::string language = variable("language");
  const auto& variants = node.prompt.by_language;
  auto it = variants.find(language);
  if (it == variants.end()) {
    it = variants.find("");
  }
  if (it == variants.end()) {
    it = variants.find(flow_->default_language);
  }
  if (it == variants.end()) {
    it = variants.begin();
  }
  if (!it->first.empty()) {
    language = it->first;
  }
  auto voice = flow_->voices.find(language);
  prompt_id_ = nextId();
  wait_ = Wait::Prompt;
  perform(PlayPrompt{prompt_id_, it->second.file, interpolate(it->second.text), language,
                     voice == flow_->voices.end() ? language : voice->second,
                     node.barge_in || waitsForInput(node.kind)});
}

std::string FlowSession::interpolate(std::string_view text, bool url) const {
  std::string out;
  std::size_t at = 0;
  while (at < text.size()) {
    auto open = text.find("${", at);
    auto close = open == std::string_view::npos ? open : text.find('}', open);
    if (close == std::string_view::npos) {
      out += text.substr(at);
      break;
    }
    out += text.substr(at, open - at);
    std::string value = variable(std::string(text.substr(open + 2, close - open - 2)));
    if (url && open > 0) {
      // Values inside a URL come from callers (digits, speech): they cannot change its path or
      // query. A variable at the very start is the base URL and is kept as written.
      for (unsigned char c : value) {
        if (std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
          out += static_cast<char>(c);
        } else {
          out += fmt::format("%{:02X}", c);
        }
      }
    } else {
      out += value;
    }
    at = close + 1;
  }
  return out;
}

// Nodes that wait for the caller: an attempt plays the prompt, listens, then times out.

bool FlowSession::takesKeys(const Node& node) {
  return node.kind == NodeKind::Menu || node.kind == NodeKind::Language ||
         node.kind == NodeKind::Collect;
}

bool FlowSession::listens(const Node& node) {
  return node.kind == NodeKind::Listen || node.kind == NodeKind::Intent || !node.words.empty();
}

std::optional<std::string> FlowSession::startAttempt(const Node& node) {
  digits_.clear();
  if (takesKeys(node) && !typeahead_.empty()) {
    std::string keys = std::exchange(typeahead_, {});
    wait_ = Wait::Input;
    for (char key : keys) {
      if (auto next = keyIn(node, key)) {
        return next;
      }
      if (node_ != &node || wait_ != Wait::Input || attempts_ > 0) {
        return std::nullopt;  // a wrong key re-prompted; the rest of the type-ahead is dropped
      }
    }
    if (!digits_.empty()) {
      return std::nullopt;  // a collect waits for the rest of its digits
    }
  }
  playPrompt(node);
  if (listens(node)) {
    listen_id_ = nextId();
    std::vector<std::string> words;
    for (const auto& [word, target] : node.words) {
      words.push_back(word);
    }
    std::string grammar = node.kind == NodeKind::Listen   ? node.grammar
                          : node.kind == NodeKind::Intent ? "free"
                                                          : "words";
    perform(StartListening{listen_id_, grammar, std::move(words), variable("language")});
  }
  return std::nullopt;
}

std::optional<std::string> FlowSession::retry(bool no_input, std::string_view reason) {
  KEFU_ASSERT(node_ != nullptr);
  const Node& node = *node_;
  stopInputs();
  typeahead_.clear();
  if (++attempts_ > node.retries) {
    const std::string& target = no_input ? node.no_input : node.no_match;
    if (!target.empty()) {
      return target;
    }
    return failTo(reason);
  }
  return startAttempt(node);
}

std::optional<std::string> FlowSession::keyIn(const Node& node, char key) {
  switch (node.kind) {
    case NodeKind::Menu: {
      auto it = node.options.find(key);
      if (it == node.options.end()) {
        return retry(false, fmt::format("key {} is not an option", key));
      }
      variables_["choice"] = std::string(1, key);
      return it->second;
    }
    case NodeKind::Language: {
      auto it = node.options.find(key);
      if (it == node.options.end()) {
        return retry(false, fmt::format("key {} is not a language", key));
      }
      variables_["language"] = it->second;
      return node.next;
    }
    case NodeKind::Collect:
      if (timer_id_ != 0) {
        perform(CancelTimer{std::exchange(timer_id_, 0)});
      }
      if (node.terminator != '\0' && key == node.terminator) {
        return finishCollect(node);
      }
      digits_ += key;
      if (static_cast<int>(digits_.size()) >= node.max_digits) {
        return finishCollect(node);
      }
      armTimer(node.inter_digit_timeout);
      return std::nullopt;
    default:
      return std::nullopt;  // listen and intent nodes take speech only
  }
}

std::optional<std::string> FlowSession::finishCollect(const Node& node) {
  if (static_cast<int>(digits_.size()) < node.min_digits) {
    bool none = digits_.empty();
    return retry(none, none ? "no input" : "too few digits");
  }
  variables_[node.variable.empty() ? "digits" : node.variable] = digits_;
  return node.next;
}

std::optional<std::string> FlowSession::speechIn(const Node& node, std::string_view text,
                                                 double confidence) {
  if (trim(text).empty()) {
    return retry(true, "no speech");
  }
  if (confidence < node.confidence) {
    return retry(false, "low confidence");
  }
  std::string name = node.variable.empty() ? "speech" : node.variable;
  switch (node.kind) {
    case NodeKind::Menu:
      if (const auto* target = matchWord(node.words, text)) {
        return *target;
      }
      return retry(false, "not a menu word");
    case NodeKind::Language:
      if (const auto* language = matchWord(node.words, text)) {
        variables_["language"] = *language;
        return node.next;
      }
      return retry(false, "not a language");
    case NodeKind::Listen: {
      std::optional<std::string> value;
      if (node.grammar == "digits") {
        value = spokenDigits(text);
      } else if (node.grammar == "yes_no") {
        value = yesNo(text);
      } else if (const auto* word = matchWord(node.words, text)) {
        value = *word;
      }
      if (!value) {
        return retry(false, "not in the grammar");
      }
      variables_[name] = *value;
      return node.next;
    }
    case NodeKind::Intent:
      variables_[name + "_text"] = std::string(text);
      stopInputs();
      request_id_ = nextId();
      wait_ = Wait::Intent;
      perform(ClassifyIntent{request_id_, std::string(text), variable("language")});
      armTimer(node.timeout);
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

std::optional<std::string> FlowSession::evaluateHours(const Node& node) {
  auto local = zones_.localTime(node.time_zone, time_.systemTime());
  if (!local) {
    return failTo(fmt::format("unknown time zone {}", node.time_zone));
  }
  std::string date = fmt::format("{:04}-{:02}-{:02}", local->year, local->month, local->day);
  variables_["date"] = date;
  if (std::find(node.holidays.begin(), node.holidays.end(), date) != node.holidays.end()) {
    return node.closed;
  }
  for (const auto& window : node.open) {
    if (window.weekday == local->weekday && local->minute_of_day >= window.from_minute &&
        local->minute_of_day < window.to_minute) {
      return node.next;
    }
  }
  return node.closed;
}

std::optional<std::string> FlowSession::httpDone(const Node& node, int status,
                                                 std::string_view body) {
  variables_["http_status"] = std::to_string(status);
  if (status < 200 || status > 299) {
    return failTo(fmt::format("http status {}", status));
  }
  auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() && !node.extract.empty()) {
    return failTo("http answer is not JSON");
  }
  for (const auto& [name, path] : node.extract) {
    auto value = jsonField(json, path);
    if (!value) {
      return failTo(fmt::format("http answer has no `{}`", path));
    }
    variables_[name] = *value;
  }
  return node.next;
}

// Events. Each checks that the session still waits for it, then moves the flow on.

void FlowSession::onDigit(char digit) {
  if (finished() || !node_) {
    return;
  }
  const Node& node = *node_;
  if (wait_ == Wait::Prompt && !waitsForInput(node.kind)) {
    if (node.kind == NodeKind::Play && node.barge_in) {
      typeahead_ += digit;
      run(node.next);
    }
    return;  // a prompt without barge-in, or a terminal node's last words
  }
  if (wait_ == Wait::Http || wait_ == Wait::Intent) {
    typeahead_ += digit;
    return;
  }
  if (!takesKeys(node) || (wait_ != Wait::Prompt && wait_ != Wait::Input)) {
    return;
  }
  if (prompt_id_ != 0) {
    perform(StopPrompt{std::exchange(prompt_id_, 0)});
  }
  if (listen_id_ != 0) {
    perform(StopListening{std::exchange(listen_id_, 0)});
  }
  wait_ = Wait::Input;
  if (timer_id_ != 0 && node.kind != NodeKind::Collect) {
    perform(CancelTimer{std::exchange(timer_id_, 0)});
  }
  run(keyIn(node, digit));
}

void FlowSession::onPromptFinished(std::uint64_t id) {
  if (finished() || id == 0 || id != prompt_id_) {
    return;
  }
  prompt_id_ = 0;
  const Node& node = *node_;
  if (node.kind == NodeKind::Play) {
    run(node.next);
  } else if (isTerminal(node.kind)) {
    finishTerminal(node);
  } else {
    wait_ = Wait::Input;
    armTimer(node.timeout);
  }
}

void FlowSession::onPromptFailed(std::uint64_t id, std::string_view reason) {
  if (finished() || id == 0 || id != prompt_id_) {
    return;
  }
  prompt_id_ = 0;
  if (isTerminal(node_->kind)) {
    finishTerminal(*node_);  // the caller still goes where the flow sends them
    return;
  }
  run(failTo(fmt::format("prompt failed: {}", reason)));
}

void FlowSession::onSpeechResult(std::uint64_t id, std::string_view text, double confidence) {
  if (finished() || id == 0 || id != listen_id_) {
    return;
  }
  listen_id_ = 0;
  if (prompt_id_ != 0) {
    perform(StopPrompt{std::exchange(prompt_id_, 0)});
  }
  if (timer_id_ != 0) {
    perform(CancelTimer{std::exchange(timer_id_, 0)});
  }
  wait_ = Wait::Input;
  run(speechIn(*node_, text, confidence));
}

void FlowSession::onSpeechFailed(std::uint64_t id, std::string_view reason) {
  if (finished() || id == 0 || id != listen_id_) {
    return;
  }
  listen_id_ = 0;
  run(failTo(fmt::format("recognizer failed: {}", reason)));
}

void FlowSession::onTimer(std::uint64_t id) {
  if (finished() || id == 0 || id != timer_id_) {
    return;
  }
  timer_id_ = 0;
  const Node& node = *node_;
  switch (wait_) {
    case Wait::Http:
      run(failTo("http timeout"));
      return;
    case Wait::Intent:
      request_id_ = 0;
      run(failTo("nlu timeout"));
      return;
    case Wait::Input:
      if (node.kind == NodeKind::Collect && !digits_.empty()) {
        run(finishCollect(node));
      } else {
        run(retry(true, "no input"));
      }
      return;
    default:
      return;
  }
}

void FlowSession::onHttpResult(std::uint64_t id, int status, std::string_view body) {
  if (finished() || id == 0 || id != request_id_ || wait_ != Wait::Http) {
    return;
  }
  request_id_ = 0;  // answered: nothing to cancel
  wait_ = Wait::None;
  run(httpDone(*node_, status, body));
}

void FlowSession::onHttpFailed(std::uint64_t id, std::string_view reason) {
  if (finished() || id == 0 || id != request_id_ || wait_ != Wait::Http) {
    return;
  }
  request_id_ = 0;
  wait_ = Wait::None;
  run(failTo(fmt::format("http failed: {}", reason)));
}

void FlowSession::onIntentResult(std::uint64_t id, std::string_view intent, double confidence) {
  if (finished() || id == 0 || id != request_id_ || wait_ != Wait::Intent) {
    return;
  }
  request_id_ = 0;
  const Node& node = *node_;
  variables_[node.variable.empty() ? "intent" : node.variable] = std::string(intent);
  auto it = node.cases.find(std::string(intent));
  if (confidence < node.confidence || it == node.cases.end()) {
    run(retry(false, "no intent matched"));
    return;
  }
  run(it->second);
}

void FlowSession::onIntentFailed(std::uint64_t id, std::string_view reason) {
  if (finished() || id == 0 || id != request_id_ || wait_ != Wait::Intent) {
    return;
  }
  request_id_ = 0;
  run(failTo(fmt::format("nlu failed: {}", reason)));
}

void FlowSession::onCallerHangup() {
  if (finished()) {
    return;
  }
  stopInputs();
  outcome_ = SessionOutcome{Hangup{}, true};
  node_ = nullptr;
  node_id_.clear();
}

}  // namespace kefu::ivr
