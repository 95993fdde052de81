#pragma once

#include "store/store.h"
#include "sync/site_link.h"

namespace kefu::server {

/**
 * The site link's view of the store: the outbox it publishes and the inbox it applies. Changes from
 * the peer must come from the site that owns their entity type (customers: the core site);
 * anything else is refused as a forged or misrouted change. Thread-safe.
 */
class LinkStore final : public sync::LinkStore {
 public:
  LinkStore(store::Replication& replication, std::string peer, bool peer_owns_customers)
      : replication_(replication),
        peer_(std::move(peer)),
        peer_owns_customers_(peer_owns_customers) {}

  Result<std::vector<sync::LinkMessage>> pending(std::int64_t after_seq,
                                                 std::size_t limit) override;
  Result<std::int64_t> ackedThrough() override;
  Result<void> retire(std::int64_t up_to_seq) override;
  Result<bool> apply(const sync::LinkMessage& message) override;

 private:
  // Not owned, outlives this.
  store::Replication& replication_;
  std::string peer_;
  bool peer_owns_customers_;
};

}  // namespace kefu::server
