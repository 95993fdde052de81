#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "media/engine.h"

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
  /** @return the media session of the browser softphone connected for `agent_id` (an agent id,
   *  or a supervisor's user id), or nullopt when none is; calls ring it instead of SIP phones. */
  virtual std::optional<media::SessionId> softphoneOf(std::string_view /*agent_id*/) const {
    return std::nullopt;
  }
};

}  // namespace kefu::call
