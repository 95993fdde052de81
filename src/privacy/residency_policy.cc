#include "privacy/residency_policy.h"

#include <cctype>

namespace kefu::privacy {
namespace {

bool isIdentifier(std::string_view s) {
  if (s.empty() || s.size() > 63) {
    return false;
  }
  for (char c : s) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '_')) {
      return false;
    }
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') {
    s.remove_prefix(1);
  }
  while (!s.empty() && s.back() == ' ') {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

Result<std::vector<ClassOverride>> ResidencyPolicy::parseOverrides(std::string_view text) {
  std::vector<ClassOverride> out;
  while (!trim(text).empty()) {
    auto comma = text.find(',');
    std::string_view item = trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    auto equals = item.find('=');
    auto bad = [&](std::string why) {
      return Error::invalid("privacy.field_classes", "'" + std::string(item) + "': " + why);
    };
    if (equals == std::string_view::npos) {
      return bad("expected table=class or table.column=class");
    }
    std::string_view target = trim(item.substr(0, equals));
    auto data_class = parseDataClass(trim(item.substr(equals + 1)));
    if (!data_class) {
      return bad("the class must be core, operational or content");
    }
    auto dot = target.find('.');
    ClassOverride o{std::string(target.substr(0, dot)),
                    dot == std::string_view::npos ? "" : std::string(target.substr(dot + 1)),
                    *data_class};
    if (!isIdentifier(o.table) || (dot != std::string_view::npos && !isIdentifier(o.column))) {
      return bad("table and column names are lower-case letters, digits and _");
    }
    out.push_back(std::move(o));
  }
  return out;
}

std::string ResidencyPolicy::formatOverrides(const std::vector<ClassOverride>& overrides) {
  std::string out;
  for (const auto& o : overrides) {
    out += (out.empty() ? "" : ",") + o.table + (o.column.empty() ? "" : "." + o.column) + "=" +
           std::string(toString(o.data_class));
  }
  return out;
}

DataClass ResidencyPolicy::classOf(std::string_view table, std::string_view column,
                                   DataClass declared) const {
  const ClassOverride* table_wide = nullptr;
  for (const auto& o : overrides_) {
    if (o.table != table) {
      continue;
    }
    if (o.column == column) {
      return o.data_class;
    }
    if (o.column.empty()) {
      table_wide = &o;
    }
  }
  return table_wide != nullptr ? table_wide->data_class : declared;
}

}  // namespace kefu::privacy
