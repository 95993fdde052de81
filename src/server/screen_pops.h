#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <string_view>

#include "acd/agent.h"
#include "api/call_desk.h"
#include "call/call_record.h"
#include "call/wrap_up.h"
#include "core/blocking_pool.h"
#include "core/result.h"
#include "crm/customer.h"
#include "privacy/tokenizer.h"
#include "server/site_softphones.h"

namespace kefu::server {

/**
 * Builds screen pops (docs/cti.md): the caller's number → its phone token → the customer
 * (`findByToken`) and the caller's last calls with their wrap-ups. On a site that holds customers'
 * clear values the card carries the name; on an edge site the name is asked of the core through
 * the identity service (purpose `screen_pop`, audited there) for at most `reveal_timeout`, and the
 * card says `unavailable` when no answer came. Thread-safe; every call blocks on storage: call it
 * from the blocking pool, never on the control loop.
 */
class ScreenPops {
 public:
  struct Parts {
    crm::CustomerRepository& customers;
    call::CallRecordRepository& call_records;
    call::WrapUpRepository& wrap_ups;
    privacy::TokenizerPtr tokenizer;  // null: no customer is recognised, no history
    bool names_held = true;           // false on an edge site: the name comes from the core
    std::string site;                 // this site's name, for the reveal's audit record
    BlockingPool* pool = nullptr;     // runs the bounded reveal; null: the reveal runs inline
    std::chrono::milliseconds reveal_timeout{800};
  };

  /** Everything referenced outlives this. */
  explicit ScreenPops(Parts parts) : parts_(std::move(parts)) {}

  /** Sets who answers reveals on a site without the customers' clear values (the core over the
   *  link); null: nobody, cards say unavailable. Any thread. */
  void setIdentity(crm::IdentityService* identity) { identity_.store(identity); }

  /**
   * @return the screen pop for call `call_id` from `caller` (a phone number as presented, or
   * already its token), as `asker` sees it. Blocks (blocking pool).
   */
  Result<api::ScreenPop> lookUp(std::string_view call_id, std::string_view caller,
                                const crm::IdentityAsker& asker);
  /** The same for a call created at `created_ms`: its history lists only calls created before. */
  Result<api::ScreenPop> lookUp(std::string_view call_id, std::string_view caller,
                                const crm::IdentityAsker& asker, std::int64_t created_ms);

  /** @return the screen pop of a stored call (its Created event's caller); NotFound when the call
   *  is unknown. Blocks (blocking pool). */
  Result<api::ScreenPop> ofStoredCall(std::string_view call_id, const crm::IdentityAsker& asker);

 private:
  /** @return the customer's name from the identity service, or nullopt after the timeout. */
  std::optional<std::string> revealName(const std::string& customer_id,
                                        const crm::IdentityAsker& asker);
  Result<std::vector<api::PastCall>> history(const std::string& token, std::string_view call_id,
                                             std::int64_t created_ms);

  Parts parts_;
  std::atomic<crm::IdentityService*> identity_{nullptr};
};

/**
 * @return the lookup a site's softphones alert with: the screen pop of the ringing call (the
 * caller's newest) as its
 * agent sees it (the audit trail of a reveal names the agent's login, purpose `screen_pop`), as
 * the alert's JSON; a failed lookup gives `"customer": null, "history": []` and a warning.
 * `pops` and `agents` outlive the lookup. It blocks: the softphones run it on the pool.
 */
SiteSoftphones::ScreenPopLookup alertLookup(ScreenPops& pops, acd::AgentRepository& agents);

}  // namespace kefu::server
