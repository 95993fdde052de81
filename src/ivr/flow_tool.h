#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "core/time_source.h"

namespace kefu::ivr {

/** `kefu ivr check FILE...`: @return 0 when every flow is valid, 1 otherwise (errors on `err`). */
int checkFlowFiles(const std::vector<std::string>& files, std::ostream& out, std::ostream& err);

/** What `kefu ivr try` was given. */
struct TryOptions {
  std::string file;
  std::string inputs;     // "1,#,say:yes"
  std::string http_stub;  // JSON (200), STATUS, STATUS:BODY, fail or timeout; empty: HTTP fails
  std::string at;         // UTC time for hours nodes (2026-11-24T03:00:00Z); empty: now
  std::string caller = "+10000000000";
  std::string dialed;
};

/** `kefu ivr try`: runs the flow in text mode, printing each step on `out`. @return 0 when the
 *  flow ended, 1 when the flow is invalid or stayed waiting, 2 for a bad option. Blocking. */
int tryFlowFile(const TryOptions& options, std::ostream& out, std::ostream& err);

/** @return a UTC instant written YYYY-MM-DDTHH:MM[:SS]Z, or nullopt. */
std::optional<SystemTime> parseUtcTime(const std::string& text);

}  // namespace kefu::ivr
