#include "store/internal/sql_flow_repository.h"

#include <optional>
#include <string>

namespace kefu::store::internal {
namespace {

constexpr std::string_view Columns = "flow_id, version, document, saved_by, saved_at_ms, deleted";

/** @return the document of a row selected with `Columns`. */
ivr::FlowDocument documentOf(const SqlRow& row) {
  return ivr::FlowDocument{row.text(0), static_cast<int>(row.int64(1)), row.text(2), row.text(3),
                           row.int64(4)};
}

bool isDeletion(const SqlRow& row) { return row.int64(5) != 0; }

Error noFlow(std::string_view id) { return Error::notFound("no flow " + std::string(id)); }

}  // namespace

Result<int> SqlFlowRepository::append(std::string_view id, std::string_view yaml, bool deleted,
                                      std::string_view by, std::int64_t at_ms) {
  int saved = 0;
  auto done = database_.transact([&](SqlSession& session) -> Result<void> {
    auto last =
        session.query("SELECT COALESCE(MAX(version), 0) FROM flow_versions WHERE flow_id = $1",
                      {std::string(id)});
    if (!last.ok()) {
      return last.error();
    }
    saved = static_cast<int>(last->at(0).int64(0)) + 1;
    auto inserted = session.exec(
        "INSERT INTO flow_versions (flow_id, version, document, deleted, saved_by, saved_at_ms) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        {std::string(id), std::int64_t{saved}, std::string(yaml), std::int64_t{deleted ? 1 : 0},
         std::string(by), at_ms});
    if (!inserted.ok()) {
      return inserted.error();
    }
    return {};
  });
  if (!done.ok()) {
    if (done.error().code == ErrorCode::AlreadyExists) {
      // Two saves of one flow raced for the same number; the later one asks its caller to retry.
      return Error{ErrorCode::Conflict, "flow " + std::string(id) + " was saved at the same time",
                   "version"};
    }
    return done.error();
  }
  return saved;
}

Result<ivr::FlowDocument> SqlFlowRepository::save(std::string_view id, std::string_view yaml,
                                                  std::string_view saved_by,
                                                  std::int64_t saved_at_ms) {
  auto version = append(id, yaml, false, saved_by, saved_at_ms);
  if (!version.ok()) {
    return version.error();
  }
  return ivr::FlowDocument{std::string(id), *version, std::string(yaml), std::string(saved_by),
                           saved_at_ms};
}

Result<std::optional<ivr::FlowDocument>> SqlFlowRepository::savedVersion(std::string_view id,
                                                                         int version) {
  std::optional<ivr::FlowDocument> found;
  auto read = database_.read([&](SqlSession& session) -> Result<void> {
    // Version 0: the newest row, which is a deletion when the flow was deleted last.
    auto rows = version == 0
                    ? session.query("SELECT " + std::string(Columns) +
                                        " FROM flow_versions WHERE flow_id = $1 "
                                        "ORDER BY version DESC LIMIT 1",
                                    {std::string(id)})
                    : session.query("SELECT " + std::string(Columns) +
                                        " FROM flow_versions WHERE flow_id = $1 AND version = $2",
                                    {std::string(id), std::int64_t{version}});
    if (!rows.ok()) {
      return rows.error();
    }
    if (!rows->empty() && !isDeletion(rows->front())) {
      found = documentOf(rows->front());
    }
    return {};
  });
  if (!read.ok()) {
    return read.error();
  }
  return found;
}

Result<ivr::FlowDocument> SqlFlowRepository::current(std::string_view id) {
  auto found = savedVersion(id, 0);
  if (!found) {
    return found.error();
  }
  if (!*found) {
    return noFlow(id);
  }
  return std::move(**found);
}

Result<ivr::FlowDocument> SqlFlowRepository::version(std::string_view id, int version) {
  auto found = savedVersion(id, version);
  if (!found) {
    return found.error();
  }
  if (!*found) {
    return Error::notFound("flow " + std::string(id) + " has no version " +
                           std::to_string(version));
  }
  return std::move(**found);
}

Result<std::vector<ivr::FlowDocument>> SqlFlowRepository::list() {
  std::vector<ivr::FlowDocument> flows;
  KEFU_TRY(database_.read([&](SqlSession& session) -> Result<void> {
    auto rows = session.query("SELECT " + std::string(Columns) +
                              " FROM flow_versions v WHERE version = "
                              "(SELECT MAX(version) FROM flow_versions w WHERE w.flow_id = "
                              "v.flow_id) ORDER BY flow_id");
    if (!rows.ok()) {
      return rows.error();
    }
    for (const SqlRow& row : *rows) {
      if (!isDeletion(row)) {
        flows.push_back(documentOf(row));
      }
    }
    return {};
  }));
  return flows;
}

Result<std::vector<ivr::FlowDocument>> SqlFlowRepository::versions(std::string_view id) {
  std::vector<ivr::FlowDocument> found;
  KEFU_TRY(database_.read([&](SqlSession& session) -> Result<void> {
    auto rows = session.query("SELECT " + std::string(Columns) +
                                  " FROM flow_versions WHERE flow_id = $1 ORDER BY version",
                              {std::string(id)});
    if (!rows.ok()) {
      return rows.error();
    }
    for (const SqlRow& row : *rows) {
      if (!isDeletion(row)) {
        found.push_back(documentOf(row));
      }
    }
    return {};
  }));
  if (found.empty()) {
    return noFlow(id);
  }
  return found;
}

Result<std::int64_t> SqlFlowRepository::lastChangeAt(std::string_view id) {
  std::int64_t at = 0;
  KEFU_TRY(database_.read([&](SqlSession& session) -> Result<void> {
    auto rows =
        session.query("SELECT COALESCE(MAX(saved_at_ms), 0) FROM flow_versions WHERE flow_id = $1",
                      {std::string(id)});
    if (!rows.ok()) {
      return rows.error();
    }
    at = rows->at(0).int64(0);
    return {};
  }));
  return at;
}

Result<void> SqlFlowRepository::remove(std::string_view id, std::string_view removed_by,
                                       std::int64_t removed_at_ms) {
  KEFU_TRY(current(id));
  KEFU_TRY(append(id, "", true, removed_by, removed_at_ms));
  return {};
}

}  // namespace kefu::store::internal
