#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/time_source.h"
#include "sip/digest.h"
#include "sip/registration.h"

namespace kefu::sip {

/** Extension → SIP password. The site builds a new map whenever agents change and swaps it whole.
 */
using CredentialMap = std::map<std::string, std::string, std::less<>>;
using CredentialMapPtr = std::shared_ptr<const CredentialMap>;

/** How the registrar behaves; see docs/sip.md. */
struct RegistrarConfig {
  std::string realm = "kefu";
  std::chrono::seconds default_expiry{3600};  // when neither Expires nor expires= is given
  std::chrono::seconds min_expiry{60};        // below: 423 Interval Too Brief
  std::chrono::seconds max_expiry{7200};      // above: shortened to this
  std::chrono::seconds nonce_lifetime{300};   // older nonces: 401 with stale=true
  int max_failures = 5;                       // wrong answers within failure_window: 403
  std::chrono::seconds failure_window{60};
  std::size_t max_contacts_per_aor = 10;
  std::size_t max_aors = 100000;  // a bound on memory whatever REGISTERs arrive
};

/** One Contact of a REGISTER, as the SIP adapter read it. */
struct RegisterContact {
  bool wildcard = false;           // `Contact: *`
  std::string uri;                 // the contact URI, printed
  std::string scheme;              // "sip", "sips", ... (lowercase)
  std::optional<int64_t> expires;  // the expires= contact parameter, when valid
  bool bad_expires = false;        // an expires= that is not a number
};

/** A REGISTER request in value types: what the registrar needs, nothing from sofia. */
struct RegisterRequest {
  std::string to_scheme;  // scheme of the To URI (the address-of-record)
  std::string to_user;    // the extension
  std::string to_host;
  std::string call_id;
  uint32_t cseq = 0;
  std::vector<RegisterContact> contacts;
  std::optional<int64_t> expires_header;
  bool bad_expires_header = false;
  std::optional<std::string> authorization;  // the raw Authorization header value
  std::string source;                        // the peer's address, for failure counting
  std::string transport;                     // "udp", "tcp", "tls"
  std::string user_agent;
};

/** What to answer. */
struct RegisterResponse {
  int status = 500;
  std::string reason;
  std::string www_authenticate;        // for 401
  std::optional<int64_t> min_expires;  // for 423
  std::vector<std::string> contacts;   // for 200: every current binding with ;expires=
};

/** What a REGISTER or the expiry timer changed, for the stack's listener. */
struct BindingChange {
  std::string extension;
  std::string contact;
  bool added = false;  // false: removed or expired
};

/** Counters for /metrics; any thread. */
struct RegistrarCounters {
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> challenged{0};
  std::atomic<uint64_t> refused{0};  // 403 and every other non-200, non-401 answer
  std::atomic<uint64_t> active{0};   // bindings now
};

/**
 * The registrar (RFC 3261 section 10.3) with digest authentication (RFC 2617, MD5, qop=auth).
 * Bindings live on the SIP thread: handle(), expire() and contactsOf() run there. registrations()
 * and counters() may be called from any thread: they read a snapshot published after each change.
 */
class Registrar {
 public:
  /** `time` outlives this; `nonce_secret` must be random (see NonceIssuer). */
  Registrar(RegistrarConfig config, const TimeSource& time, std::string nonce_secret);

  /** Replaces the credentials (any thread); later REGISTERs use the new map. */
  void setCredentials(CredentialMapPtr credentials);

  /** Handles one REGISTER; @return the answer, and appends what changed to `changes`. SIP thread.
   */
  RegisterResponse handle(const RegisterRequest& request, std::vector<BindingChange>& changes);

  /** Removes bindings whose time is up; @return what it removed. SIP thread. */
  std::vector<BindingChange> expire();

  /** @return the contact URIs registered for `extension`, newest registration first. SIP
   *  thread. */
  std::vector<std::string> contactsOf(std::string_view extension) const;

  /** @return every binding now (a copy). Any thread. */
  std::vector<Registration> registrations() const;

  /** @return the counters. Any thread. */
  const RegistrarCounters& counters() const { return counters_; }

 private:
  struct Binding {
    std::string contact;
    std::string call_id;
    uint32_t cseq = 0;
    MonotonicTime expires_at;
    SystemTime registered_at;
    std::string source;
    std::string transport;
    std::string user_agent;
  };
  struct Failures {
    int count = 0;
    MonotonicTime window_start;
  };

  RegisterResponse challenge(bool stale);
  RegisterResponse refuse(int status, std::string reason);
  std::optional<RegisterResponse> authenticate(const RegisterRequest& request);
  RegisterResponse okResponse(const std::string& aor);
  void publish();

  // Not owned, outlive this.
  const TimeSource& time_;

  // Owned.
  const RegistrarConfig config_;
  const NonceIssuer nonces_;
  mutable std::mutex credentials_mutex_;
  CredentialMapPtr credentials_;
  std::map<std::string, std::vector<Binding>, std::less<>> bindings_;  // SIP thread
  std::map<std::string, Failures, std::less<>> failures_;              // SIP thread
  mutable std::mutex snapshot_mutex_;
  std::shared_ptr<const std::vector<Registration>> snapshot_;
  RegistrarCounters counters_;
};

}  // namespace kefu::sip
