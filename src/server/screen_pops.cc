#include "server/screen_pops.h"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <limits>
#include <memory>
#include <mutex>

#include "api/json_mapping.h"
#include "privacy/masking.h"

namespace kefu::server {
namespace {

constexpr std::string_view TokenPrefix = "tk_phone_";

/** One reveal's answer, shared by the asking thread and the pool task that may outlive its wait.
 */
struct PendingReveal {
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;
  std::optional<std::string> name;
};

}  // namespace

std::optional<std::string> ScreenPops::revealName(const std::string& customer_id,
                                                  const crm::IdentityAsker& asker) {
  crm::IdentityService* identity = identity_.load();
  if (identity == nullptr) {
    return std::nullopt;
  }
  crm::RevealRequest request{asker, customer_id, "name"};
  request.asker.purpose = "screen_pop";
  if (request.asker.site.empty()) {
    request.asker.site = parts_.site;
  }
  auto ask = [identity, request]() -> std::optional<std::string> {
    auto revealed = identity->reveal(request);
    if (!revealed) {
      spdlog::info("screen pop: the name of customer {} is unavailable: {}", request.customer_id,
                   revealed.error().message);
      return std::nullopt;
    }
    if (revealed->values.empty()) {
      return std::nullopt;
    }
    return revealed->values.front();
  };
  if (parts_.pool == nullptr) {
    return ask();
  }
  // The link's own timeout is longer than a ringing agent should wait: the answer is awaited for
  // reveal_timeout, and a late one is dropped by the pool task that still holds the state.
  auto pending = std::make_shared<PendingReveal>();
  parts_.pool->submit([pending, ask] {
    auto name = ask();
    std::lock_guard lock(pending->mutex);
    pending->name = std::move(name);
    pending->done = true;
    pending->done_cv.notify_all();
  });
  std::unique_lock lock(pending->mutex);
  if (!pending->done_cv.wait_for(lock, parts_.reveal_timeout, [&] { return pending->done; })) {
    spdlog::info("screen pop: no answer for customer {} within {} ms", customer_id,
                 parts_.reveal_timeout.count());
    return std::nullopt;
  }
  return pending->name;
}

Result<std::vector<api::PastCall>> ScreenPops::history(const std::string& token,
                                                       std::string_view call_id,
                                                       std::int64_t created_ms) {
  std::vector<api::PastCall> past;
  auto calls = parts_.call_records.callsOfCaller(token, call_id, created_ms, api::ScreenPopHistory);
  if (!calls) {
    return calls.error();
  }
  std::vector<std::string> ids;
  for (const auto& events : *calls) {
    api::PastCall entry;
    entry.call_id = events.front().call_id;
    entry.at_ms = events.front().at_ms;
    for (const auto& e : events) {
      // The last queue and agent the call reached, and the answering agent over a ringing one.
      if (!e.queue_id.empty()) {
        entry.queue_id = e.queue_id;
      }
      if (!e.agent_id.empty() &&
          (e.type == call::CallEventType::Answered || entry.agent_id.empty())) {
        entry.agent_id = e.agent_id;
      }
      if (e.type == call::CallEventType::Ended) {
        entry.cause = e.cause;
      }
    }
    ids.push_back(entry.call_id);
    past.push_back(std::move(entry));
  }
  auto wrap_ups = parts_.wrap_ups.ofCalls(ids);
  if (!wrap_ups) {
    return wrap_ups.error();
  }
  for (auto& entry : past) {
    // The latest wrap-up of the call tells how it ended for the customer.
    std::int64_t latest = -1;
    for (const auto& w : *wrap_ups) {
      if (w.call_id == entry.call_id && w.at_ms >= latest) {
        latest = w.at_ms;
        entry.disposition = w.disposition;
        entry.notes = w.notes;
        if (entry.agent_id.empty()) {
          entry.agent_id = w.agent_id;
        }
      }
    }
  }
  return past;
}

Result<api::ScreenPop> ScreenPops::lookUp(std::string_view call_id, std::string_view caller,
                                          const crm::IdentityAsker& asker) {
  // A ringing call is its caller's newest: every other stored call is earlier.
  return lookUp(call_id, caller, asker, std::numeric_limits<std::int64_t>::max());
}

Result<api::ScreenPop> ScreenPops::lookUp(std::string_view call_id, std::string_view caller,
                                          const crm::IdentityAsker& asker,
                                          std::int64_t created_ms) {
  api::ScreenPop pop;
  if (!parts_.tokenizer || caller.empty()) {
    return pop;
  }
  const bool is_token = caller.starts_with(TokenPrefix);
  std::string token;
  if (is_token) {
    token = std::string(caller);
  } else if (auto t = parts_.tokenizer->phoneToken(caller)) {
    token = std::move(*t);
  } else {
    return pop;  // anonymous, or not a number: nobody to recognise
  }
  auto customers = parts_.customers.findByToken(token);
  if (!customers) {
    return customers.error();
  }
  if (!customers->empty()) {
    const crm::Customer& customer = customers->front();
    api::CustomerCard card;
    card.id = customer.id;
    if (parts_.names_held) {
      if (!customer.name.empty()) {
        card.name = customer.name;
      }
      for (const auto& phone : customer.phones) {
        card.phones.push_back(privacy::maskPhone(phone));
      }
    } else {
      card.name = revealName(customer.id, asker);
      card.unavailable = !card.name.has_value();
      if (!is_token) {
        card.phones.push_back(privacy::maskPhone(caller));  // the number the caller presented
      }
    }
    pop.customer = std::move(card);
  }
  auto past = history(token, call_id, created_ms);
  if (!past) {
    return past.error();
  }
  pop.history = std::move(past).value();
  return pop;
}

Result<api::ScreenPop> ScreenPops::ofStoredCall(std::string_view call_id,
                                                const crm::IdentityAsker& asker) {
  auto events = parts_.call_records.eventsOf(call_id);
  if (!events) {
    return events.error();
  }
  if (events->empty()) {
    return Error::notFound("call " + std::string(call_id));
  }
  // A sealed caller comes back opened on a site with the key, else as its token: both work.
  return lookUp(call_id, events->front().caller, asker, events->front().at_ms);
}

SiteSoftphones::ScreenPopLookup alertLookup(ScreenPops& pops, acd::AgentRepository& agents) {
  return [&pops, &agents](const std::string& call_id, const std::string& caller,
                          const std::string& agent_id) {
    // The asking site is left empty: ScreenPops names its own (Parts::site).
    crm::IdentityAsker asker{{}, agent_id, "agent", "screen_pop"};
    if (auto agent = agents.get(agent_id); agent && !agent->user_id.empty()) {
      asker.actor = agent->user_id;  // the audit trail names the login
    }
    SiteSoftphones::ScreenPopJson json;
    auto pop = pops.lookUp(call_id, caller, asker);
    if (!pop) {
      spdlog::warn("screen pop: none for call {}: {}", call_id, pop.error().message);
      return json;
    }
    json.customer.clear();
    api::JsonWriter customer(json.customer);
    api::writeJson(customer, pop->customer);
    json.history.clear();
    api::JsonWriter history(json.history);
    history.beginArray();
    for (const auto& past : pop->history) {
      api::writeJson(history, past);
    }
    history.endArray();
    return json;
  };
}

}  // namespace kefu::server
