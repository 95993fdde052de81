#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kefu::call {

/**
 * Which extension an agent's phones register with, and back. Call control asks it when the
 * router reserves an agent and when a phone calls or transfers to an extension. The site
 * implements it over the agent configuration. Control loop only.
 */
class AgentDirectory {
 public:
  virtual ~AgentDirectory() = default;
  /** @return the agent's extension, or nullopt for an unknown agent or one without a phone. */
  virtual std::optional<std::string> extensionOf(std::string_view agent_id) const = 0;
  /** @return the agent whose extension this is, or nullopt. */
  virtual std::optional<std::string> agentOfExtension(std::string_view extension) const = 0;
};

}  // namespace kefu::call
