#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kefu::call::internal {

/** @return the user part of a SIP URI ("sip:4000@host;x" → "4000"), or "" when it has none.
 *  Never throws. */
std::string uriUser(std::string_view uri);

/** @return the digit a SIP INFO body carries (application/dtmf-relay "Signal=5", application/dtmf
 *  "5"), or nullopt for anything else. Never throws. */
std::optional<char> infoDigit(std::string_view content_type, std::string_view body);

/** @return whether an SDP offer puts us on hold (sendonly or inactive audio, or c=0.0.0.0);
 *  nullopt when it cannot be parsed. */
std::optional<bool> offerHolds(std::string_view sdp);

}  // namespace kefu::call::internal
