#include "ivr/flow.h"

#include <array>
#include <utility>

namespace kefu::ivr {
namespace {

constexpr std::array<std::pair<NodeKind, std::string_view>, 14> KindNames{{
    {NodeKind::Play, "play"},
    {NodeKind::Menu, "menu"},
    {NodeKind::Collect, "collect"},
    {NodeKind::Listen, "listen"},
    {NodeKind::Intent, "intent"},
    {NodeKind::Switch, "switch"},
    {NodeKind::Set, "set"},
    {NodeKind::Http, "http"},
    {NodeKind::Hours, "hours"},
    {NodeKind::Language, "language"},
    {NodeKind::Transfer, "transfer"},
    {NodeKind::Voicemail, "voicemail"},
    {NodeKind::Callback, "callback"},
    {NodeKind::Hangup, "hangup"},
}};

}  // namespace

std::string_view toString(NodeKind kind) {
  for (const auto& [value, name] : KindNames) {
    if (value == kind) {
      return name;
    }
  }
  return "?";
}

std::optional<NodeKind> parseNodeKind(std::string_view text) {
  for (const auto& [value, name] : KindNames) {
    if (name == text) {
      return value;
    }
  }
  return std::nullopt;
}

bool waitsForInput(NodeKind kind) {
  return kind == NodeKind::Menu || kind == NodeKind::Collect || kind == NodeKind::Listen ||
         kind == NodeKind::Intent || kind == NodeKind::Language;
}

bool isTerminal(NodeKind kind) {
  return kind == NodeKind::Transfer || kind == NodeKind::Voicemail || kind == NodeKind::Callback ||
         kind == NodeKind::Hangup;
}

std::string_view toString(TransferKind kind) {
  switch (kind) {
    case TransferKind::Queue:
      return "queue";
    case TransferKind::Extension:
      return "extension";
    case TransferKind::Number:
      return "number";
  }
  return "?";
}

const Node* Flow::find(std::string_view id) const {
  auto it = nodes.find(std::string(id));
  return it == nodes.end() ? nullptr : &it->second;
}

}  // namespace kefu::ivr
