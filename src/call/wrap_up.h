#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace kefu::call {

/** An agent's wrap-up of one call: how it ended for the customer, and the agent's notes. */
struct WrapUpRecord {
  std::string call_id;
  std::string agent_id;
  std::int64_t at_ms = 0;  // when the agent recorded it (Unix milliseconds)
  std::string queue_id;    // the queue the call came through; empty for a direct call
  std::string disposition;
  std::string notes;  // content-class: free text about the customer's request
};

/**
 * Stored wrap-ups, at most one per call and agent (`store/` implements it). Blocks on storage:
 * call from the blocking pool. Thread-safe.
 */
class WrapUpRepository {
 public:
  virtual ~WrapUpRepository() = default;
  /** Stores `record`, replacing the same agent's earlier wrap-up of the same call; @return
   *  InvalidArgument naming `call_id`, `agent_id` or `disposition` when one is empty. */
  virtual Result<void> save(const WrapUpRecord& record) = 0;
  /** @return the wrap-ups of `call_id`, oldest first; empty when none. */
  virtual Result<std::vector<WrapUpRecord>> ofCall(std::string_view call_id) = 0;
  /** @return the wrap-ups of all of `call_ids`, by call in the order given, each call's oldest
   *  first. */
  virtual Result<std::vector<WrapUpRecord>> ofCalls(const std::vector<std::string>& call_ids) = 0;
};

}  // namespace kefu::call
