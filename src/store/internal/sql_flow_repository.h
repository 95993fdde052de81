#pragma once

#include <optional>

#include "ivr/flow_document.h"
#include "store/internal/sql_database.h"

namespace kefu::store::internal {

/** Flow documents in `flow_versions`, one row per saved version and one per deletion.
 *  Thread-safe; every call blocks on the database. */
class SqlFlowRepository final : public ivr::FlowDocumentRepository {
 public:
  explicit SqlFlowRepository(SqlDatabase& database) : database_(database) {}

  /** Conflict when another save of the same flow took the version number first. */
  Result<ivr::FlowDocument> save(std::string_view id, std::string_view yaml,
                                 std::string_view saved_by, std::int64_t saved_at_ms) override;
  Result<ivr::FlowDocument> current(std::string_view id) override;
  Result<ivr::FlowDocument> version(std::string_view id, int version) override;
  Result<std::vector<ivr::FlowDocument>> list() override;
  Result<std::vector<ivr::FlowDocument>> versions(std::string_view id) override;
  Result<std::int64_t> lastChangeAt(std::string_view id) override;
  Result<void> remove(std::string_view id, std::string_view removed_by,
                      std::int64_t removed_at_ms) override;

 private:
  /** @return version `version` of the flow (0: the newest), or nullopt when it is not there or
   *  is a deletion. */
  Result<std::optional<ivr::FlowDocument>> savedVersion(std::string_view id, int version);
  /** Appends a row numbered one above the flow's last; @return its number. */
  Result<int> append(std::string_view id, std::string_view yaml, bool deleted, std::string_view by,
                     std::int64_t at_ms);

  // Not owned, outlives this.
  SqlDatabase& database_;
};

}  // namespace kefu::store::internal
