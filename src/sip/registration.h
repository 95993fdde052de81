#pragma once

#include <string>

#include "core/time_source.h"

namespace kefu::sip {

/** One registered contact of an extension, as /api/v1/registrations shows it. */
struct Registration {
  std::string extension;
  std::string contact;  // where calls for the extension go
  SystemTime registered_at;
  SystemTime expires_at;
  std::string source;      // the address the REGISTER came from
  std::string transport;   // "udp", "tcp" or "tls"
  std::string user_agent;  // the phone's User-Agent header, when it sent one

  bool operator==(const Registration&) const = default;
};

}  // namespace kefu::sip
