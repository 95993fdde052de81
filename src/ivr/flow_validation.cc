// The checks a flow must pass beyond its types: every reference resolves, every node is reachable,
// no loop can spin without waiting for the caller, and every prompt exists in every language.

#include <fmt/format.h>

#include <set>

#include "ivr/flow_loader.h"

namespace kefu::ivr::internal {
namespace {

void checkReferences(const Flow& flow, std::vector<Diagnostic>& errors) {
  if (!flow.start.empty() && !flow.find(flow.start)) {
    errors.push_back({0, fmt::format("`start` names node `{}`, which does not exist", flow.start)});
  }
  for (const auto& [id, node] : flow.nodes) {
    for (const auto& edge : node.edges) {
      if (!edge.target.empty() && !flow.find(edge.target)) {
        errors.push_back({edge.line, fmt::format("node `{}`: `{}` names node `{}`, which does not "
                                                 "exist",
                                                 id, edge.label, edge.target)});
      }
    }
  }
}

void checkReachable(const Flow& flow, std::vector<Diagnostic>& errors) {
  std::set<std::string> seen;
  std::vector<std::string> pending{flow.start};
  while (!pending.empty()) {
    std::string id = std::move(pending.back());
    pending.pop_back();
    const Node* node = flow.find(id);
    if (!node || !seen.insert(id).second) {
      continue;
    }
    for (const auto& edge : node->edges) {
      pending.push_back(edge.target);
    }
  }
  for (const auto& [id, node] : flow.nodes) {
    if (!seen.contains(id)) {
      errors.push_back(
          {node.line, fmt::format("node `{}` is unreachable from `{}`", id, flow.start)});
    }
  }
}

/** Finds cycles made only of nodes that never wait for the caller (depth-first, three colours). */
class LoopFinder {
 public:
  LoopFinder(const Flow& flow, std::vector<Diagnostic>& errors) : flow_(flow), errors_(errors) {}

  void run() {
    for (const auto& [id, node] : flow_.nodes) {
      if (!waitsForInput(node.kind) && !done_.contains(id)) {
        visit(id);
      }
    }
  }

 private:
  void visit(const std::string& id) {
    const Node* node = flow_.find(id);
    if (!node || waitsForInput(node->kind) || done_.contains(id)) {
      return;
    }
    if (auto it = std::find(path_.begin(), path_.end(), id); it != path_.end()) {
      std::string cycle;
      for (; it != path_.end(); ++it) {
        cycle += *it + " → ";
      }
      cycle += id;
      errors_.push_back(
          {flow_.find(id)->line, fmt::format("loop that never waits for input: {}", cycle)});
      return;
    }
    path_.push_back(id);
    for (const auto& edge : node->edges) {
      visit(edge.target);
    }
    path_.pop_back();
    done_.insert(id);
  }

  const Flow& flow_;
  std::vector<Diagnostic>& errors_;
  std::vector<std::string> path_;
  std::set<std::string> done_;
};

bool needsPrompt(NodeKind kind) { return kind == NodeKind::Play || waitsForInput(kind); }

void checkPrompts(const Flow& flow, const LoadOptions& options, std::vector<Diagnostic>& errors) {
  for (const auto& [id, node] : flow.nodes) {
    if (node.prompt.empty()) {
      if (needsPrompt(node.kind)) {
        errors.push_back(
            {node.line, fmt::format("node `{}` ({}) has no `prompt`", id, toString(node.kind))});
      }
      continue;
    }
    if (!node.prompt.by_language.contains("")) {
      for (const auto& language : flow.languages) {
        if (!node.prompt.by_language.contains(language)) {
          errors.push_back({node.prompt.line,
                            fmt::format("node `{}`: no prompt in language `{}`", id, language)});
        }
      }
    }
    for (const auto& [language, variant] : node.prompt.by_language) {
      if (!language.empty() && !flow.languages.empty() &&
          std::find(flow.languages.begin(), flow.languages.end(), language) ==
              flow.languages.end()) {
        errors.push_back(
            {node.prompt.line,
             fmt::format("node `{}`: prompt language `{}` is not in `languages`", id, language)});
      }
      if (variant.file.empty() && variant.text.empty()) {
        errors.push_back({node.prompt.line, fmt::format("node `{}`: empty prompt", id)});
      }
      if (!variant.file.empty() && options.prompt_exists && !options.prompt_exists(variant.file)) {
        errors.push_back({node.prompt.line,
                          fmt::format("node `{}`: prompt file `{}` not found", id, variant.file)});
      }
    }
  }
}

void checkLanguages(const Flow& flow, std::vector<Diagnostic>& errors) {
  auto known = [&](const std::string& language) {
    return flow.languages.empty() || std::find(flow.languages.begin(), flow.languages.end(),
                                               language) != flow.languages.end();
  };
  if (!flow.default_language.empty() && !known(flow.default_language)) {
    errors.push_back(
        {0, fmt::format("`language` `{}` is not in `languages`", flow.default_language)});
  }
  for (const auto& [id, node] : flow.nodes) {
    if (node.kind != NodeKind::Language) {
      continue;
    }
    for (const auto& [key, language] : node.options) {
      if (!known(language)) {
        errors.push_back({node.line, fmt::format("node `{}`: key {} chooses `{}`, which is not in "
                                                 "`languages`",
                                                 id, key, language)});
      }
    }
  }
}

}  // namespace

void validateFlow(const Flow& flow, const LoadOptions& options, std::vector<Diagnostic>& errors) {
  checkReferences(flow, errors);
  if (flow.find(flow.start)) {
    checkReachable(flow, errors);
  }
  LoopFinder(flow, errors).run();
  checkPrompts(flow, options, errors);
  checkLanguages(flow, errors);
}

}  // namespace kefu::ivr::internal
