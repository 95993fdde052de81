#include "ivr/flow_loader.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include "ivr/internal/field_reader.h"

namespace kefu::ivr {
namespace {

using internal::lineOf;

bool isDtmfKey(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '*' || c == '#' ||
         (c >= 'A' && c <= 'D');
}

/** Reads one document into a Flow, collecting every type error instead of stopping at the first. */
class FlowParser : private internal::FieldReader {
 public:
  FlowParser(std::string source, std::vector<Diagnostic>& errors)
      : FieldReader(errors), source_(std::move(source)) {}

  Flow parse(const YAML::Node& root) {
    Flow flow;
    flow.source = source_;
    if (!root.IsMap()) {
      error(root, "a flow is a mapping with version, start and nodes");
      return flow;
    }
    checkKeys(root,
              {"version", "name", "start", "language", "languages", "voices", "fallback",
               "variables", "nodes"},
              "flow");
    if (!root["version"]) {
      error(root, "missing `version` (this release reads version 1)");
    } else if (auto version = integer(root["version"], "version"); version && *version != 1) {
      error(root["version"],
            fmt::format("version {} is not supported (this release reads 1)", *version));
    }
    flow.name = text(root["name"], "name").value_or("");
    flow.start = text(root["start"], "start").value_or("");
    if (flow.start.empty()) {
      error(root, "missing `start` (the first node's id)");
    }
    flow.languages = stringList(root["languages"], "languages");
    flow.default_language = text(root["language"], "language")
                                .value_or(flow.languages.empty() ? "" : flow.languages.front());
    flow.voices = stringMap(root["voices"], "voices");
    flow.variables = stringMap(root["variables"], "variables");
    if (root["fallback"]) {
      flow.default_transfer = transferTarget(root["fallback"], "fallback");
    }
    const YAML::Node nodes = root["nodes"];
    if (!nodes || !nodes.IsMap() || nodes.size() == 0) {
      error(nodes ? nodes : root, "`nodes` must be a non-empty mapping of node id to node");
      return flow;
    }
    for (const auto& entry : nodes) {
      std::string id = entry.first.Scalar();
      if (!entry.second.IsMap()) {
        error(entry.second, fmt::format("node `{}` must be a mapping with a `type`", id));
        continue;
      }
      flow.nodes.emplace(id, node(id, entry.second, lineOf(entry.first)));
    }
    return flow;
  }

 private:
  std::optional<PromptVariant> variant(const YAML::Node& node, std::string_view what) {
    if (node.IsScalar()) {
      return PromptVariant{.file = {}, .text = node.Scalar()};
    }
    if (node.IsMap() && node["file"] && node.size() == 1) {
      if (auto file = text(node["file"], what)) {
        std::filesystem::path path(*file);
        if (path.is_relative() && !source_.empty()) {
          path = std::filesystem::path(source_).parent_path() / path;
        }
        return PromptVariant{.file = path.lexically_normal().string(), .text = {}};
      }
      return std::nullopt;
    }
    error(node, fmt::format("`{}` must be a text or {{file: PATH}}", what));
    return std::nullopt;
  }

  /** A text, {file: PATH}, or a mapping of language to either. */
  Prompt prompt(const YAML::Node& node) {
    Prompt out;
    if (!node) {
      return out;
    }
    out.line = lineOf(node);
    if (node.IsScalar() || (node.IsMap() && node["file"])) {
      if (auto one = variant(node, "prompt")) {
        out.by_language[""] = *one;
      }
      return out;
    }
    if (!node.IsMap()) {
      error(node, "`prompt` must be a text, {file: PATH} or a mapping of language to either");
      return out;
    }
    for (const auto& entry : node) {
      if (auto one = variant(entry.second, "prompt." + entry.first.Scalar())) {
        out.by_language[entry.first.Scalar()] = *one;
      }
    }
    return out;
  }

  std::optional<TransferTarget> transferTarget(const YAML::Node& node, std::string_view what) {
    if (!node.IsMap()) {
      error(node, fmt::format("`{}` must be one of {{queue: ID}}, {{extension: ID}}, "
                              "{{number: NUMBER}}",
                              what));
      return std::nullopt;
    }
    std::optional<TransferTarget> out;
    int found = 0;
    for (auto [key, kind] :
         {std::pair{"queue", TransferKind::Queue}, std::pair{"extension", TransferKind::Extension},
          std::pair{"number", TransferKind::Number}}) {
      if (node[key]) {
        ++found;
        if (auto id = text(node[key], key); id && !id->empty()) {
          out = TransferTarget{kind, *id};
        } else if (id) {
          error(node[key], fmt::format("`{}.{}` must not be empty", what, key));
        }
      }
    }
    if (found != 1) {
      error(node, fmt::format("`{}` needs exactly one of queue, extension, number", what));
      return std::nullopt;
    }
    return out;
  }

  void edge(Node& node, const YAML::Node& at, std::string label, std::string& field) {
    if (auto value = text(at, label)) {
      field = *value;
      node.edges.push_back({std::move(label), *value, lineOf(at)});
    }
  }

  void edgeMap(Node& node, const YAML::Node& at, std::string_view label,
               std::map<std::string, std::string>& out) {
    out = stringMap(at, label);
    for (const auto& [key, target] : out) {
      node.edges.push_back({fmt::format("{}.{}", label, key), target, lineOf(at[key])});
    }
  }

  std::vector<OpeningWindow> openingHours(const YAML::Node& at) {
    static constexpr std::string_view Days[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    std::vector<OpeningWindow> out;
    if (!at.IsMap()) {
      error(at, "`open` must map days (mon, mon-fri, …) to hours (09:00-18:00, …)");
      return out;
    }
    auto day = [&](std::string_view name) -> int {
      for (int i = 0; i < 7; ++i) {
        if (Days[i] == name) {
          return i;
        }
      }
      return -1;
    };
    auto minute = [](std::string_view hhmm) -> int {
      if (hhmm.size() != 5 || hhmm[2] != ':' || !std::isdigit(hhmm[0]) || !std::isdigit(hhmm[1]) ||
          !std::isdigit(hhmm[3]) || !std::isdigit(hhmm[4])) {
        return -1;
      }
      int h = (hhmm[0] - '0') * 10 + (hhmm[1] - '0');
      int m = (hhmm[3] - '0') * 10 + (hhmm[4] - '0');
      return h <= 24 && m < 60 && h * 60 + m <= 1440 ? h * 60 + m : -1;
    };
    for (const auto& entry : at) {
      std::string days = entry.first.Scalar();
      auto dash = days.find('-');
      int first = day(days.substr(0, dash));
      int last = dash == std::string::npos ? first : day(days.substr(dash + 1));
      if (first < 0 || last < 0) {
        error(entry.first, fmt::format("`{}` is not a day or range of days (sun … sat)", days));
        continue;
      }
      std::vector<std::string> ranges;
      if (entry.second.IsSequence()) {
        ranges = stringList(entry.second, "open." + days);
      } else if (auto one = text(entry.second, "open." + days)) {
        ranges.push_back(*one);
      }
      for (const auto& range : ranges) {
        auto sep = range.find('-');
        int from = sep == std::string::npos ? -1 : minute(range.substr(0, sep));
        int to = sep == std::string::npos ? -1 : minute(range.substr(sep + 1));
        if (from < 0 || to <= from) {
          error(entry.second,
                fmt::format("`{}` is not a range of hours such as 09:00-18:00", range));
          continue;
        }
        for (int d = first;; d = (d + 1) % 7) {
          out.push_back({d, from, to});
          if (d == last) {
            break;
          }
        }
      }
    }
    return out;
  }

  void waitingFields(Node& node, const YAML::Node& at) {
    if (at["timeout"]) {
      node.timeout = duration(at["timeout"], "timeout").value_or(node.timeout);
    }
    if (at["retries"]) {
      auto retries = integer(at["retries"], "retries");
      if (retries && (*retries < 0 || *retries > 10)) {
        error(at["retries"], "`retries` must be between 0 and 10");
      } else if (retries) {
        node.retries = static_cast<int>(*retries);
      }
    }
    edge(node, at["no_input"], "no_input", node.no_input);
    edge(node, at["no_match"], "no_match", node.no_match);
  }

  void confidence(Node& node, const YAML::Node& at) {
    if (!at) {
      return;
    }
    try {
      node.confidence = at.as<double>();
      if (node.confidence >= 0 && node.confidence <= 1) {
        return;
      }
    } catch (const YAML::Exception&) {
    }
    error(at, "`confidence` must be a number between 0 and 1");
  }

  Node node(const std::string& id, const YAML::Node& at, int line) {
    Node node;
    node.id = id;
    node.line = line;
    auto type = text(at["type"], "type");
    auto kind = type ? parseNodeKind(*type) : std::nullopt;
    if (!kind) {
      error(at["type"] ? at["type"] : at,
            type ? fmt::format("node `{}`: unknown type `{}`", id, *type)
                 : fmt::format("node `{}` has no `type`", id));
      node.kind = NodeKind::Hangup;  // an end, so the graph checks add no noise about it
      return node;
    }
    node.kind = *kind;
    node.prompt = prompt(at["prompt"]);
    edge(node, at["next"], "next", node.next);
    edge(node, at["fallback"], "fallback", node.fallback);
    switch (node.kind) {
      case NodeKind::Play:
        checkKeys(at, {"type", "prompt", "next", "fallback", "barge_in"}, "a play node");
        if (at["barge_in"]) {
          try {
            node.barge_in = at["barge_in"].as<bool>();
          } catch (const YAML::Exception&) {
            error(at["barge_in"], "`barge_in` must be true or false");
          }
        }
        break;
      case NodeKind::Menu:
      case NodeKind::Language: {
        bool menu = node.kind == NodeKind::Menu;
        checkKeys(at,
                  {"type", "prompt", "next", "fallback", "options", "words", "timeout", "retries",
                   "no_input", "no_match"},
                  menu ? "a menu node" : "a language node");
        std::map<std::string, std::string> options;
        if (menu) {
          edgeMap(node, at["options"], "options", options);
        } else {
          options = stringMap(at["options"], "options");
        }
        for (const auto& [key, value] : options) {
          if (key.size() != 1 || !isDtmfKey(key[0])) {
            error(at["options"][key], fmt::format("`{}` is not a key (0-9, *, #, A-D)", key));
          } else {
            node.options[key[0]] = value;
          }
        }
        if (menu) {
          edgeMap(node, at["words"], "words", node.words);
        } else {
          node.words = stringMap(at["words"], "words");
        }
        if (node.options.empty() && node.words.empty()) {
          error(at, fmt::format("node `{}` needs `options` (keys) or `words`", id));
        }
        waitingFields(node, at);
        break;
      }
      case NodeKind::Collect:
        checkKeys(at,
                  {"type", "prompt", "next", "fallback", "variable", "min", "max", "terminator",
                   "timeout", "inter_digit_timeout", "retries", "no_input", "no_match"},
                  "a collect node");
        node.variable = text(at["variable"], "variable").value_or("");
        node.min_digits = static_cast<int>(integer(at["min"], "min").value_or(1));
        node.max_digits = static_cast<int>(integer(at["max"], "max").value_or(node.min_digits));
        if (node.min_digits < 1 || node.max_digits < node.min_digits || node.max_digits > 64) {
          error(at, "`min` and `max` must satisfy 1 <= min <= max <= 64");
        }
        if (auto terminator = text(at["terminator"], "terminator")) {
          if (terminator->empty() || *terminator == "none") {
            node.terminator = '\0';
          } else if (terminator->size() == 1 && isDtmfKey((*terminator)[0])) {
            node.terminator = (*terminator)[0];
          } else {
            error(at["terminator"], "`terminator` must be one key, or none");
          }
        }
        if (at["inter_digit_timeout"]) {
          node.inter_digit_timeout = duration(at["inter_digit_timeout"], "inter_digit_timeout")
                                         .value_or(node.inter_digit_timeout);
        }
        waitingFields(node, at);
        break;
      case NodeKind::Listen:
        checkKeys(at,
                  {"type", "prompt", "next", "fallback", "variable", "grammar", "words",
                   "confidence", "timeout", "retries", "no_input", "no_match"},
                  "a listen node");
        node.variable = text(at["variable"], "variable").value_or("");
        node.grammar = text(at["grammar"], "grammar").value_or("");
        if (node.grammar != "digits" && node.grammar != "yes_no" && node.grammar != "words") {
          error(at["grammar"] ? at["grammar"] : at, "`grammar` must be digits, yes_no or words");
        }
        node.words = stringMap(at["words"], "words");
        if (node.grammar == "words" && node.words.empty()) {
          error(at, "grammar `words` needs `words` (spoken word → value)");
        }
        confidence(node, at["confidence"]);
        waitingFields(node, at);
        break;
      case NodeKind::Intent:
        checkKeys(at,
                  {"type", "prompt", "next", "fallback", "variable", "intents", "confidence",
                   "timeout", "retries", "no_input", "no_match"},
                  "an intent node");
        node.variable = text(at["variable"], "variable").value_or("");
        edgeMap(node, at["intents"], "intents", node.cases);
        if (node.cases.empty()) {
          error(at, fmt::format("node `{}` needs `intents` (intent → node)", id));
        }
        confidence(node, at["confidence"]);
        waitingFields(node, at);
        break;
      case NodeKind::Switch:
        checkKeys(at, {"type", "variable", "cases", "next", "fallback"}, "a switch node");
        node.variable = text(at["variable"], "variable").value_or("");
        edgeMap(node, at["cases"], "cases", node.cases);
        break;
      case NodeKind::Set:
        checkKeys(at, {"type", "variables", "next", "fallback"}, "a set node");
        node.assignments = stringMap(at["variables"], "variables");
        if (node.assignments.empty()) {
          error(at, fmt::format("node `{}` needs `variables` to set", id));
        }
        break;
      case NodeKind::Http:
        checkKeys(at, {"type", "method", "url", "body", "timeout", "extract", "next", "fallback"},
                  "an http node");
        node.method = text(at["method"], "method").value_or("GET");
        if (node.method != "GET" && node.method != "POST") {
          error(at["method"], "`method` must be GET or POST");
        }
        node.url = text(at["url"], "url").value_or("");
        if (node.url.rfind("http://", 0) != 0 && node.url.rfind("https://", 0) != 0 &&
            node.url.rfind("${", 0) != 0) {
          error(at["url"] ? at["url"] : at,
                "`url` must be an http:// or https:// URL (or start with a ${variable})");
        }
        node.body = text(at["body"], "body").value_or("");
        node.timeout = std::chrono::milliseconds{2000};
        if (at["timeout"]) {
          node.timeout = duration(at["timeout"], "timeout").value_or(node.timeout);
        }
        node.extract = stringMap(at["extract"], "extract");
        break;
      case NodeKind::Hours:
        checkKeys(at, {"type", "timezone", "open", "holidays", "next", "closed", "fallback"},
                  "an hours node");
        node.time_zone = text(at["timezone"], "timezone").value_or("");
        if (node.time_zone.empty()) {
          error(at, fmt::format("node `{}` needs `timezone`", id));
        }
        if (at["open"]) {
          node.open = openingHours(at["open"]);
        } else {
          error(at, fmt::format("node `{}` needs `open`", id));
        }
        node.holidays = stringList(at["holidays"], "holidays");
        for (std::size_t i = 0; i < node.holidays.size(); ++i) {
          const auto& date = node.holidays[i];
          if (date.size() != 10 || date[4] != '-' || date[7] != '-') {
            error(at["holidays"][i], fmt::format("holiday `{}` is not a date YYYY-MM-DD", date));
          }
        }
        edge(node, at["closed"], "closed", node.closed);
        if (node.closed.empty()) {
          error(at, fmt::format("node `{}` needs `closed` (the node out of hours)", id));
        }
        break;
      case NodeKind::Transfer:
        checkKeys(at, {"type", "prompt", "queue", "extension", "number"}, "a transfer node");
        if (auto target = transferTarget(at, "transfer")) {
          node.transfer = *target;
        }
        break;
      case NodeKind::Voicemail:
        checkKeys(at, {"type", "prompt", "mailbox"}, "a voicemail node");
        node.mailbox = text(at["mailbox"], "mailbox").value_or("");
        if (node.mailbox.empty()) {
          error(at, fmt::format("node `{}` needs `mailbox`", id));
        }
        break;
      case NodeKind::Callback:
        checkKeys(at, {"type", "prompt", "queue", "number"}, "a callback node");
        node.queue = text(at["queue"], "queue").value_or("");
        node.transfer = {TransferKind::Number, text(at["number"], "number").value_or("${caller}")};
        if (node.queue.empty()) {
          error(at, fmt::format("node `{}` needs `queue`", id));
        }
        break;
      case NodeKind::Hangup:
        checkKeys(at, {"type", "prompt"}, "a hangup node");
        break;
    }
    bool needs_next = !isTerminal(node.kind) && node.kind != NodeKind::Menu &&
                      node.kind != NodeKind::Intent && node.kind != NodeKind::Switch;
    if (needs_next && node.next.empty()) {
      error(at, fmt::format("node `{}` ({}) needs `next`", id, toString(node.kind)));
    }
    if (node.kind == NodeKind::Switch && node.next.empty()) {
      error(at, fmt::format("node `{}` (switch) needs `next` (when no case matches)", id));
    }
    return node;
  }

  std::string source_;
};

}  // namespace

std::string format(const Diagnostic& diagnostic, std::string_view file) {
  if (diagnostic.line <= 0) {
    return fmt::format("{}: {}", file, diagnostic.message);
  }
  return fmt::format("{}:{}: {}", file, diagnostic.line, diagnostic.message);
}

LoadedFlow loadFlow(std::string_view yaml, const std::string& source, const LoadOptions& options) {
  LoadedFlow out;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    out.errors.push_back({e.mark.is_null() ? 0 : e.mark.line + 1, "not valid YAML: " + e.msg});
    return out;
  }
  Flow flow;
  try {
    flow = FlowParser(source, out.errors).parse(root);
  } catch (const YAML::Exception& e) {
    // yaml-cpp throws on shapes we did not expect (a sequence where a map was); report, not crash.
    out.errors.push_back({e.mark.is_null() ? 0 : e.mark.line + 1, e.msg});
    return out;
  }
  if (!flow.nodes.empty()) {
    // Even with type errors: a writer fixing a flow wants every problem in one run.
    internal::validateFlow(flow, options, out.errors);
  }
  std::stable_sort(out.errors.begin(), out.errors.end(),
                   [](const Diagnostic& a, const Diagnostic& b) { return a.line < b.line; });
  if (out.errors.empty()) {
    out.flow = std::make_shared<const Flow>(std::move(flow));
  }
  return out;
}

LoadedFlow loadFlowFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadedFlow out;
    out.errors.push_back({0, "cannot read the file"});
    return out;
  }
  std::stringstream text;
  text << in.rdbuf();
  LoadOptions options;
  options.prompt_exists = [](const std::string& file) {
    std::error_code ignored;
    return std::filesystem::is_regular_file(file, ignored);
  };
  return loadFlow(text.str(), path.string(), options);
}

Result<FlowPtr> toResult(LoadedFlow loaded, std::string_view source) {
  if (loaded.flow) {
    return std::move(loaded.flow);
  }
  std::string message;
  for (const auto& diagnostic : loaded.errors) {
    message += message.empty() ? "" : "\n";
    message += format(diagnostic, source);
  }
  return Error::invalid("flow", message);
}

}  // namespace kefu::ivr
