#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "ivr/flow.h"

namespace kefu::ivr {

/** One problem in a flow document, at a line of its file (1-based; 0 when the file as a whole). */
struct Diagnostic {
  int line = 0;
  std::string message;
};

/** @return "file:line: message", the form `kefu ivr check` prints. */
std::string format(const Diagnostic& diagnostic, std::string_view file);

/** How a flow is checked beyond its own text. */
struct LoadOptions {
  /** @return whether a prompt file exists; empty: prompt files are not checked. Paths are already
   *  resolved against the flow file's directory. */
  std::function<bool(const std::string& path)> prompt_exists;
};

/** What loading a flow gives: the flow when it is valid, every problem otherwise. */
struct LoadedFlow {
  FlowPtr flow;  // null when `errors` is not empty
  std::vector<Diagnostic> errors;
};

/**
 * Parses and validates a flow document (YAML). Never throws. `source` names it in messages and
 * is the base for relative prompt files. Blocking only through `options.prompt_exists`.
 */
LoadedFlow loadFlow(std::string_view yaml, const std::string& source,
                    const LoadOptions& options = {});

/** Reads and loads a flow file, checking that its prompt files exist. Blocking (file reads). */
LoadedFlow loadFlowFile(const std::filesystem::path& path);

/** @return the flow, or InvalidArgument listing every problem, one per line. */
Result<FlowPtr> toResult(LoadedFlow loaded, std::string_view source);

namespace internal {
/** The graph checks (references, reachability, loops without input, prompts); appends errors. */
void validateFlow(const Flow& flow, const LoadOptions& options, std::vector<Diagnostic>& errors);
}  // namespace internal

}  // namespace kefu::ivr
