#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace kefu::ivr {

/** One saved version of a flow document: its YAML text as written, and who saved it when. */
struct FlowDocument {
  std::string id;    // the flow's `name`, what entry points' `flow` targets name
  int version = 0;   // 1 for the first save, one more for each later save
  std::string yaml;  // the document as saved (comments and layout kept)
  std::string saved_by;
  std::int64_t saved_at_ms = 0;
};

/**
 * The flows' saved versions. Every save appends a version, so a flow's history is kept and a
 * running call's version can always be read back; deleting a flow hides it from current() and
 * list() but keeps its versions. Thread-safe; every call blocks on the database.
 */
class FlowDocumentRepository {
 public:
  virtual ~FlowDocumentRepository() = default;
  /** Appends a version of `id` (its number one above the last, deleted or not) and undeletes
   *  it. @return the saved version. */
  virtual Result<FlowDocument> save(std::string_view id, std::string_view yaml,
                                    std::string_view saved_by, std::int64_t saved_at_ms) = 0;
  /** @return the newest version of a flow that is not deleted; NotFound otherwise. */
  virtual Result<FlowDocument> current(std::string_view id) = 0;
  /** @return one version (deleted flows too); NotFound when it does not exist. */
  virtual Result<FlowDocument> version(std::string_view id, int version) = 0;
  /** @return the newest version of every flow that is not deleted, by id. */
  virtual Result<std::vector<FlowDocument>> list() = 0;
  /** @return every version of a flow, oldest first; NotFound when it has none. */
  virtual Result<std::vector<FlowDocument>> versions(std::string_view id) = 0;
  /** @return when the flow was last saved or deleted (ms since the epoch), 0 when never. */
  virtual Result<std::int64_t> lastChangeAt(std::string_view id) = 0;
  /** Marks the flow deleted; NotFound when it is not there (or deleted already). */
  virtual Result<void> remove(std::string_view id, std::string_view removed_by,
                              std::int64_t removed_at_ms) = 0;
};

}  // namespace kefu::ivr
