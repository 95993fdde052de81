#pragma once

#include <optional>
#include <string>

#include "core/result.h"
#include "core/time_source.h"
#include "store/store.h"

namespace kefu::server {

/**
 * Adds the demo site's users, skills, agents and queues (a small bilingual bank contact center)
 * unless they are there already: running it twice changes nothing. Blocks on storage.
 */
Result<void> seedDemoData(store::Store& store, const TimeSource& time);

/** @return the demo logins as lines to print at start-up. */
std::string demoLoginsText(const std::optional<std::string>& admin_password);

}  // namespace kefu::server
