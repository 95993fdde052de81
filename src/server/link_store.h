#pragma once

#include "crm/customer.h"
#include "store/store.h"
#include "sync/site_link.h"

namespace kefu::server {

/**
 * The site link's view of the store: the outbox it publishes and the inbox it applies. Changes from
 * the peer must come from the site that owns their entity type (customers: the core site; call
 * events of calls taken on the edge: the edge site); anything else is refused as a forged or
 * misrouted change. Thread-safe.
 */
class LinkStore final : public sync::LinkStore {
 public:
  /** `peer_is_core`: this is the edge site and its peer the core (which owns customers). */
  LinkStore(store::Replication& replication, std::string peer, bool peer_is_core)
      : replication_(replication), peer_(std::move(peer)), peer_is_core_(peer_is_core) {}

  Result<std::vector<sync::LinkMessage>> pending(std::int64_t after_seq,
                                                 std::size_t limit) override;
  Result<std::int64_t> ackedThrough() override;
  Result<void> retire(std::int64_t up_to_seq) override;
  Result<bool> apply(const sync::LinkMessage& message) override;

 private:
  // Not owned, outlives this.
  store::Replication& replication_;
  std::string peer_;
  bool peer_is_core_;
};

/**
 * The owner's side of identity requests over the link: decodes `body` (never throws, whatever the
 * bytes), asks `desk` with the asking site set to `peer` (the only site that can reach this
 * subject, whatever the message claims) and @return the encoded answer, an error answer included.
 * Runs on the link's request thread.
 */
std::string answerIdentityRequest(crm::IdentityService& desk, const std::string& peer,
                                  std::string_view body);

/**
 * An edge site's identity service: each call is a request to the core over the site link, so
 * clear values exist on the edge only in the answer to the API client, never in its storage.
 * Unavailable ("core site unreachable") within the link's request timeout when the core cannot be
 * reached. Thread-safe.
 */
class LinkIdentityClient final : public crm::IdentityService {
 public:
  /** `link` outlives this. */
  explicit LinkIdentityClient(sync::SiteLink& link) : link_(link) {}

  Result<bool> verifyIdentity(const crm::VerifyIdentityRequest& request) override;
  Result<crm::RevealedField> reveal(const crm::RevealRequest& request) override;
  Result<std::int64_t> updateCustomer(const crm::IdentityAsker& asker,
                                      const crm::Customer& change) override;
  Result<crm::Customer> createCustomer(const crm::IdentityAsker& asker,
                                       const crm::Customer& customer) override;
  Result<void> deleteCustomer(const crm::IdentityAsker& asker, std::string_view id) override;

 private:
  sync::SiteLink& link_;
};

}  // namespace kefu::server
