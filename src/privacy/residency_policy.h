#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "privacy/data_class.h"

namespace kefu::privacy {

/** Which kind of site a policy guards (mirrors `site.role`). */
enum class SiteKind { All, Core, Edge };

/** A configured data class for one entity (`customers`) or one field (`customers.name`). */
struct ClassOverride {
  std::string table;
  std::string column;  // empty: every column of the table
  DataClass data_class = DataClass::Core;
  bool operator==(const ClassOverride&) const = default;
};

/**
 * Where each stored value may live (ARCHITECTURE.md section 3): a column's class is the one the
 * schema declares unless configuration overrides it per entity or per field; an edge site never
 * stores a core-class value in clear (only sealed, or not at all); core and all-in-one sites may.
 * Immutable; safe to share between threads.
 */
class ResidencyPolicy {
 public:
  ResidencyPolicy() = default;
  ResidencyPolicy(SiteKind site, std::vector<ClassOverride> overrides)
      : site_(site), overrides_(std::move(overrides)) {}

  /**
   * @return the overrides in `text`: comma-separated `table=class` or `table.column=class`
   * (`customers.accounts=core,transcripts=content`); InvalidArgument naming the bad item.
   */
  static Result<std::vector<ClassOverride>> parseOverrides(std::string_view text);
  /** @return `overrides` as text `parseOverrides` reads back. */
  static std::string formatOverrides(const std::vector<ClassOverride>& overrides);

  /** @return the class of table.column: a field override, else a table override, else `declared`.
   */
  DataClass classOf(std::string_view table, std::string_view column, DataClass declared) const;
  /** @return true when this site may store a value of class `c` in clear. */
  bool mayStoreInClear(DataClass c) const {
    return !(site_ == SiteKind::Edge && c == DataClass::Core);
  }

  SiteKind site() const { return site_; }
  const std::vector<ClassOverride>& overrides() const { return overrides_; }

 private:
  SiteKind site_ = SiteKind::All;
  std::vector<ClassOverride> overrides_;
};

}  // namespace kefu::privacy
