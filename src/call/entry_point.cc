#include "call/entry_point.h"

#include <array>
#include <utility>

namespace kefu::call {

namespace {

constexpr std::array<std::pair<TargetKind, std::string_view>, 6> TargetKindNames{{
    {TargetKind::Queue, "queue"},
    {TargetKind::Extension, "extension"},
    {TargetKind::Number, "number"},
    {TargetKind::Announcement, "announcement"},
    {TargetKind::Agent, "agent"},
    {TargetKind::Flow, "flow"},
}};

// A trunk delivers at most E.164's 15 digits plus prefixes; anything far longer is a typo.
constexpr std::size_t MaxNumberLength = 32;

bool dialable(std::string_view text, bool allow_plus) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool ok = (c >= '0' && c <= '9') || c == '*' || c == '#' || (allow_plus && c == '+' && i == 0);
    if (!ok) {
      return false;
    }
  }
  return !text.empty();
}

}  // namespace

std::string_view toString(TargetKind kind) {
  for (const auto& [k, name] : TargetKindNames) {
    if (k == kind) {
      return name;
    }
  }
  return "unknown";
}

std::optional<TargetKind> parseTargetKind(std::string_view text) {
  for (const auto& [k, name] : TargetKindNames) {
    if (name == text) {
      return k;
    }
  }
  return std::nullopt;
}

Result<void> validate(const EntryPoint& entry) {
  if (entry.number.size() > MaxNumberLength || !dialable(entry.number, true)) {
    return Error::invalid("number",
                          "the number must be 1 to 32 of the digits 0-9, '*', '#' (a leading '+' "
                          "allowed)");
  }
  if (entry.name.empty()) {
    return Error::invalid("name", "the name must not be empty");
  }
  if (entry.target.id.empty()) {
    return Error::invalid("target.id",
                          "the target needs an id (queue, extension, number or "
                          "prompt file)");
  }
  if ((entry.target.kind == TargetKind::Extension || entry.target.kind == TargetKind::Number) &&
      !dialable(entry.target.id, entry.target.kind == TargetKind::Number)) {
    return Error::invalid("target.id", "an extension or number target must be dialable digits");
  }
  return {};
}

}  // namespace kefu::call
