#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kefu::ivr {

/** The kinds of node a flow document may use (docs/ivr.md lists their fields). */
enum class NodeKind {
  Play,
  Menu,
  Collect,
  Listen,
  Intent,
  Switch,
  Set,
  Http,
  Hours,
  Language,
  Transfer,
  Voicemail,
  Callback,
  Hangup,
};

std::string_view toString(NodeKind kind);
std::optional<NodeKind> parseNodeKind(std::string_view text);

/** @return true for the nodes that wait for the caller's keys or speech. */
bool waitsForInput(NodeKind kind);
/** @return true for the nodes that end the flow (the call leaves the IVR). */
bool isTerminal(NodeKind kind);

/** One language's version of a prompt: a sound file or a text spoken by TTS. */
struct PromptVariant {
  std::string file;  // resolved against the flow file's directory; empty: `text` is spoken
  std::string text;  // may contain ${variable}
};

/** What a node plays. Keyed by language; the key "" is used when the call's language has none. */
struct Prompt {
  std::map<std::string, PromptVariant> by_language;
  int line = 0;
  bool empty() const { return by_language.empty(); }
};

/** Where a call leaves the IVR for a person. */
enum class TransferKind { Queue, Extension, Number };
std::string_view toString(TransferKind kind);

struct TransferTarget {
  TransferKind kind = TransferKind::Queue;
  std::string id;  // may contain ${variable}
  friend bool operator==(const TransferTarget&, const TransferTarget&) = default;
};

/** One opening window on a weekday, in minutes since local midnight, [from, to). */
struct OpeningWindow {
  int weekday = 0;  // 0 = Sunday … 6 = Saturday
  int from_minute = 0;
  int to_minute = 0;
};

/** A named edge of a node, kept for validation (reference checks, reachability, loops). */
struct Edge {
  std::string label;  // "next", "options.1", "fallback" …
  std::string target;
  int line = 0;
};

/** One node. Fields a kind does not use stay empty. */
struct Node {
  std::string id;
  NodeKind kind = NodeKind::Play;
  int line = 0;

  Prompt prompt;
  bool barge_in = true;  // a key stops the prompt
  std::string next;
  std::string fallback;  // any failure; empty: the flow's default transfer

  // menu, language, listen, collect, intent: waiting for input.
  std::chrono::milliseconds timeout{5000};
  int retries = 2;                      // re-prompts after the first attempt
  std::string no_input;                 // after the last retry without input; empty: fallback
  std::string no_match;                 // after the last retry with a wrong input; empty: fallback
  std::map<char, std::string> options;  // menu: key → node; language: key → language
  std::map<std::string, std::string> words;  // menu: spoken word → node; language: word → language

  // collect, listen, intent, switch: a variable.
  std::string variable;
  int min_digits = 1;
  int max_digits = 1;
  char terminator = '#';  // '\0': none
  std::chrono::milliseconds inter_digit_timeout{3000};
  std::string grammar;      // listen: digits, yes_no, words
  double confidence = 0.5;  // listen, intent: below it a result is a no-match

  // intent: intent → node.  switch: value → node.
  std::map<std::string, std::string> cases;

  // set: variable → value (with ${variable}).
  std::map<std::string, std::string> assignments;

  // http
  std::string method = "GET";
  std::string url;
  std::string body;
  std::map<std::string, std::string> extract;  // variable → JSON path ("account.balance")

  // hours
  std::string time_zone;  // an IANA name (Asia/Shanghai) or a fixed offset (UTC+08:00)
  std::vector<OpeningWindow> open;
  std::vector<std::string> holidays;  // YYYY-MM-DD, local dates
  std::string closed;

  // transfer, callback (queue), voicemail (box)
  TransferTarget transfer;
  std::string queue;
  std::string mailbox;

  std::vector<Edge> edges;  // every node id this node can lead to
};

/** A flow document, immutable once loaded; calls hold it until they leave the IVR. */
struct Flow {
  int version = 1;
  std::string name;
  std::string source;  // the file it came from, for messages
  std::string start;
  std::string default_language;                    // the `language` variable at the start
  std::vector<std::string> languages;              // each prompt must exist in each of these
  std::map<std::string, std::string> voices;       // language → TTS voice (espeak-ng cmn, en …)
  std::optional<TransferTarget> default_transfer;  // where failures without fallback go
  std::map<std::string, std::string> variables;    // initial values
  std::map<std::string, Node> nodes;

  const Node* find(std::string_view id) const;
};
using FlowPtr = std::shared_ptr<const Flow>;

}  // namespace kefu::ivr
