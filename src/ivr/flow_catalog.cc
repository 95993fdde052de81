#include "ivr/flow_catalog.h"

namespace kefu::ivr {

void FlowCatalog::install(const std::string& name, FlowPtr flow) {
  if (!flow) {
    flows_.erase(name);
    return;
  }
  flows_[name] = std::move(flow);
}

void FlowCatalog::remove(const std::string& name) { flows_.erase(name); }

FlowPtr FlowCatalog::find(std::string_view name) const {
  auto it = flows_.find(name);
  return it == flows_.end() ? nullptr : it->second;
}

std::vector<std::string> FlowCatalog::names() const {
  std::vector<std::string> out;
  for (const auto& [name, flow] : flows_) {
    out.push_back(name);
  }
  return out;
}

}  // namespace kefu::ivr
