#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time_source.h"
#include "sync/link_message.h"

namespace kefu::sync {

/** What the link needs from the site's storage (server/ adapts the store to it). Thread-safe. */
class LinkStore {
 public:
  virtual ~LinkStore() = default;
  /** @return up to `limit` outbox changes numbered after `after_seq`, in order (origin unset). */
  virtual Result<std::vector<LinkMessage>> pending(std::int64_t after_seq, std::size_t limit) = 0;
  /** @return the number up to which the outbox is acknowledged (everything below is retired). */
  virtual Result<std::int64_t> ackedThrough() = 0;
  /** Retires the outbox up to `up_to_seq`, acknowledged end to end. */
  virtual Result<void> retire(std::int64_t up_to_seq) = 0;
  /** Applies a change from the far site, idempotently; @return whether it changed anything;
   * InvalidArgument when it can never be applied; Conflict when it must wait for an earlier
   * change of its entity (it is delivered again later). */
  virtual Result<bool> apply(const LinkMessage& message) = 0;
};

struct SiteLinkOptions {
  std::string site;      // this site's name: its JetStream domain and its subjects
  std::string peer;      // the far site's name
  std::string nats_url;  // this site's own nats-server (a leafnode of, or hub for, the peer's)
  std::chrono::milliseconds resend_after{3000};  // republish what the peer has not acknowledged
  std::chrono::milliseconds poll{20};            // how often the relay looks at the outbox
  /**
   * Answers a request from the far site (see SiteLink::request): gets its body, returns the reply.
   * Runs on cnats's thread for the request subscription, one request at a time, and may block on
   * storage. Without it this site answers no requests (the far site sees it as unreachable).
   */
  std::function<std::string(std::string_view body)> on_request;
  /** How long SiteLink::request waits for the far site's answer. */
  std::chrono::milliseconds request_timeout{2000};
};

/** The link's state, for metrics, the API and `kefu sync status`. */
struct LinkStatus {
  bool connected = false;       // to this site's nats-server
  bool peer_reachable = false;  // the far site's link answered a ping within the last 3 s
  std::int64_t published_seq = 0;
  std::int64_t acked_seq = 0;   // retired up to here
  std::int64_t applied = 0;     // changes from the far site applied here
  std::int64_t duplicates = 0;  // … received again and skipped
  std::int64_t rejected = 0;    // … that could never be applied (malformed, forged, foreign)
  std::int64_t early = 0;  // … that came before an earlier change of their entity, so came again
  std::int64_t last_lag_ms = 0;  // age of the last change applied here when it was applied
};

/**
 * The site link over NATS JetStream. This site publishes its outbox to the stream
 * KEFU_OUT_<site> (each message's Nats-Msg-Id is its event id); the far site's stream
 * KEFU_IN_<site> sources it across the leafnode by JetStream domain, a durable pull consumer there
 * applies each change and the far link then acknowledges, cumulatively, on `kefu.ack.<origin>`;
 * only that retires the outbox. A change the far side never confirms is published again after
 * `resend_after`. Runs two threads of its own (relay and applier); keeps serving and retrying
 * while the link or the nats-server is down. Requests from one site to the other (not
 * replicated, not stored: request/reply) travel on `kefu.req.<to>.<from>`.
 */
class SiteLink {
 public:
  /** Starts the link; the nats-server need not be up yet. */
  static Result<std::unique_ptr<SiteLink>> start(SiteLinkOptions options, LinkStore& store,
                                                 const TimeSource& time);
  ~SiteLink();
  /** Stops both threads and closes the connection; idempotent. Any thread. */
  void stop();
  /** @return the current state; any thread. */
  LinkStatus status() const;
  /**
   * Sends `body` to the far site's `on_request` over the link (NATS request/reply on
   * `kefu.req.<peer>.<site>`, across the same mutual-TLS leafnode) and waits for its reply at most
   * `request_timeout`. @return the reply; Unavailable ("<peer> site unreachable") when this
   * site's nats-server, the leafnode or the far site is down, at once when that is known, never
   * later than the timeout. Blocks; any thread.
   */
  Result<std::string> request(std::string_view body);

  struct State;

 private:
  explicit SiteLink(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace kefu::sync
