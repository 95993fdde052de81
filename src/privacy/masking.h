#pragma once

#include <string>
#include <string_view>

namespace kefu::privacy {

// Display masking: what a screen shows of a personal value when the viewer has no need for all of
// it. Each keeps a few characters so a person can tell two values apart on the phone.

/** @return the first 3 and last 4 digits with `*` between: `138****5678`; all `*` when short. */
std::string maskPhone(std::string_view phone);
/** @return the first 3 and last 4 characters of an ID number: `110***********1234`. */
std::string maskIdNumber(std::string_view id_number);
/** @return the first character (UTF-8 aware) and `*` for every further one: `张**`. */
std::string maskName(std::string_view name);
/** @return `*` and the last 4 characters of an account: `****6789`. */
std::string maskAccount(std::string_view account);

}  // namespace kefu::privacy
