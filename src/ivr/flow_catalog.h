#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ivr/flow.h"

namespace kefu::ivr {

/**
 * The current version of each flow, by name. A new call takes the version current when it starts
 * (find()) and keeps it to its end; install() changes what later calls get, without a restart.
 * Lives on the control loop; load and validate flows elsewhere (loadFlowFile blocks) and install
 * only valid ones.
 */
class FlowCatalog {
 public:
  /** Makes `flow` the version new calls to `name` get. On the control loop. */
  void install(const std::string& name, FlowPtr flow);
  /** Removes `name`; calls already running keep their version. On the control loop. */
  void remove(const std::string& name);
  /** @return the current version of `name`, or null. On the control loop. */
  FlowPtr find(std::string_view name) const;
  /** @return the names installed, sorted. On the control loop. */
  std::vector<std::string> names() const;

 private:
  std::map<std::string, FlowPtr, std::less<>> flows_;
};

}  // namespace kefu::ivr
