#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace kefu {

/** Something that happened to a domain entity, as published to subscribers and the event stream. */
struct DomainEvent {
  std::uint64_t sequence = 0;  // set by the bus: strictly increasing within one process
  std::string type;            // "agent.created", "queue.deleted", …
  std::string entity_id;
  std::int64_t at_ms = 0;    // Unix milliseconds
  std::string payload_json;  // the entity as the API shows it (or {"id":…} for a deletion)
};
using DomainEventPtr = std::shared_ptr<const DomainEvent>;

/**
 * The in-process event bus. publish() hands each event to every subscriber on the publishing
 * thread, in sequence order; subscribers must not block (they copy into their own queue).
 */
class EventBus {
 public:
  using Subscriber = std::function<void(const DomainEventPtr&)>;
  using SubscriptionId = std::uint64_t;

  /** @return an id for unsubscribe(). Any thread. */
  SubscriptionId subscribe(Subscriber subscriber);
  /** After it returns, the subscriber is not called again. Any thread, but not from inside it. */
  void unsubscribe(SubscriptionId id);
  /** Stamps the sequence number and delivers. Any thread. */
  void publish(DomainEvent event);
  std::size_t subscriberCount() const;

 private:
  struct Entry {
    SubscriptionId id;
    Subscriber subscriber;
  };
  mutable std::mutex mutex_;
  std::vector<Entry> subscribers_;
  SubscriptionId next_id_ = 1;
  std::uint64_t sequence_ = 0;
};

}  // namespace kefu
