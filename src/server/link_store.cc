#include "server/link_store.h"

namespace kefu::server {

Result<std::vector<sync::LinkMessage>> LinkStore::pending(std::int64_t after_seq,
                                                          std::size_t limit) {
  auto entries = replication_.pendingOutbox(after_seq, limit);
  if (!entries) {
    return entries.error();
  }
  std::vector<sync::LinkMessage> out;
  out.reserve(entries->size());
  for (auto& e : *entries) {
    out.push_back({{},
                   e.seq,
                   std::move(e.entity_type),
                   std::move(e.entity_id),
                   std::move(e.op),
                   std::move(e.payload),
                   e.at_ms,
                   0});
  }
  return out;
}

Result<std::int64_t> LinkStore::ackedThrough() {
  auto stats = replication_.outboxStats();
  if (!stats) {
    return stats.error();
  }
  return stats->acked_through;
}

Result<void> LinkStore::retire(std::int64_t up_to_seq) {
  auto retired = replication_.retireOutbox(up_to_seq);
  if (!retired) {
    return retired.error();
  }
  return {};
}

Result<bool> LinkStore::apply(const sync::LinkMessage& message) {
  // One owner per entity type: a change to customers is accepted only from the site that owns
  // them (the core site); an edge site cannot rewrite the core's customers through the link.
  if (message.origin != peer_ || (message.entity_type == "customer" && !peer_owns_customers_)) {
    return Error::invalid(
        "origin", message.origin + " does not own " + message.entity_type + " on this link");
  }
  return replication_.applyInbound({message.origin, message.seq, message.entity_type,
                                    message.entity_id, message.op, message.payload});
}

}  // namespace kefu::server
