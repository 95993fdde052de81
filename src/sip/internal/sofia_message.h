#pragma once

// Reading sofia's parsed messages into Kefu's value types. Only the SIP thread's code includes
// this: it is the one place that knows sofia's structures.

#include <sofia-sip/sip.h>
#include <sofia-sip/url.h>

#include <optional>
#include <string>
#include <string_view>

#include "sip/registrar.h"

namespace kefu::sip::internal {

/** @return the URL printed (empty for none). */
std::string urlToString(const url_t* url);
/** @return the URL's scheme in lowercase ("sip", "sips", "tel", or what it says). */
std::string urlScheme(const url_t* url);
/** @return the value of a header printed without its name (empty for none). */
std::string headerValue(const sip_header_t* header);
/** @return an Authorization or Proxy-Authorization header's value rebuilt from its parsed scheme
 *  and parameters ("Digest username=…, …"); empty for nullptr. */
std::string credentialsValue(const msg_auth_t* auth);

/** @return a display name or parameter without its quotes and backslash escapes (as is when not
 *  quoted). */
std::string unquote(std::string_view text);

/** @return the REGISTER's fields the registrar needs. */
RegisterRequest readRegister(const sip_t& sip, std::string source, std::string transport);

/** @return false when the request has an Accept header that admits no SDP (no application/sdp,
 *  application/ * or * / *), so no answer with SDP may be sent. */
bool acceptsSdp(const sip_t& sip);

/** @return the host of a "host:port" source address ("127.0.0.1", "::1"); as is without a port. */
std::string hostOfSource(std::string_view source);

/** @return the lowercase transport of the top Via ("udp", "tcp", "tls"), or "" when unknown. */
std::string viaTransport(const sip_t& sip);

/** @return the name of a header sofia could not parse that a UAS needs to act on the request
 *  (To, From, Call-ID, CSeq, Via, Contact, Content-Length, Content-Type, Expires, Max-Forwards),
 *  or nullopt when they all parsed. Other bad headers are ignored, as RFC 3261 8.2 allows. */
std::optional<std::string> badEssentialHeader(const sip_t& sip);

}  // namespace kefu::sip::internal
