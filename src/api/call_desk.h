#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "call/wrap_up.h"
#include "core/result.h"

namespace kefu::api {

/** The caller's customer record as an agent's screen pop shows it. */
struct CustomerCard {
  std::string id;
  std::optional<std::string> name;  // null when this site cannot show it now
  std::vector<std::string> phones;  // masked (privacy::maskPhone)
  bool unavailable = false;         // the owner site did not answer: the name is missing
};

/** One earlier call of the same caller, with how it ended and how its agent wrapped it up. */
struct PastCall {
  std::string call_id;
  std::int64_t at_ms = 0;  // when it was created
  std::string queue_id;
  std::string agent_id;
  std::string cause;        // the Ended event's cause; empty while it was not stored
  std::string disposition;  // the last wrap-up's; empty when none
  std::string notes;
};

/** What an agent sees of the caller when a call rings (docs/cti.md, "Screen pop"). */
struct ScreenPop {
  std::optional<CustomerCard> customer;  // nullopt: an unknown caller
  std::vector<PastCall> history;         // newest first, at most ScreenPopHistory
};

/** How many earlier calls a screen pop lists. */
inline constexpr std::size_t ScreenPopHistory = 5;

/**
 * A site's customer-facing view of its calls: screen pops and stored wrap-ups. The site's call
 * service implements it too (the API finds it there). Every method blocks on storage (and, on an
 * edge site, on the core for a bounded time): call it from the blocking pool.
 */
class CallDesk {
 public:
  virtual ~CallDesk() = default;
  /** @return the screen pop of call `call_id` (live or ended) as `user_id` with `role` sees it;
   *  NotFound for an unknown call. */
  virtual Result<ScreenPop> screenPop(std::string_view call_id, std::string_view user_id,
                                      std::string_view role) = 0;
  /** @return the stored wrap-ups of `call_id`, oldest first. */
  virtual Result<std::vector<call::WrapUpRecord>> wrapUps(std::string_view call_id) = 0;
};

}  // namespace kefu::api
