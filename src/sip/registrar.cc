#include "sip/registrar.h"

#include <algorithm>

#include "core/assert.h"

namespace kefu::sip {
namespace {

using std::chrono::seconds;

bool isSipScheme(std::string_view scheme) { return scheme == "sip" || scheme == "sips"; }

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

Registrar::Registrar(RegistrarConfig config, const TimeSource& time, std::string nonce_secret)
    : time_(time),
      config_(std::move(config)),
      nonces_(std::move(nonce_secret), time, config_.nonce_lifetime),
      credentials_(std::make_shared<const CredentialMap>()),
      snapshot_(std::make_shared<const std::vector<Registration>>()) {}

void Registrar::setCredentials(CredentialMapPtr credentials) {
  if (!credentials) {
    credentials = std::make_shared<const CredentialMap>();
  }
  const std::lock_guard lock(credentials_mutex_);
  credentials_ = std::move(credentials);
}

RegisterResponse Registrar::challenge(bool stale) {
  ++counters_.challenged;
  RegisterResponse r;
  r.status = 401;
  r.reason = "Unauthorized";
  r.www_authenticate = "Digest realm=\"" + config_.realm + "\", nonce=\"" + nonces_.issue() +
                       "\", algorithm=MD5, qop=\"auth\"";
  if (stale) {
    r.www_authenticate += ", stale=true";
  }
  return r;
}

RegisterResponse Registrar::refuse(int status, std::string reason) {
  ++counters_.refused;
  RegisterResponse r;
  r.status = status;
  r.reason = std::move(reason);
  return r;
}

// @return nullopt when the request carries valid credentials for its address-of-record, else
// the answer to send (401 with a challenge, or 403).
std::optional<RegisterResponse> Registrar::authenticate(const RegisterRequest& request) {
  if (!request.authorization) {
    return challenge(false);
  }
  auto credentials = parseDigestCredentials(*request.authorization);
  if (!credentials) {
    // Another scheme is not our business (RFC 4475 3.3.7): challenge for Digest. Only a Digest
    // header we cannot read is a bad request.
    std::string_view value = *request.authorization;
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
      value.remove_prefix(1);
    }
    const bool digest = value.size() > 6 && equalsIgnoreCase(value.substr(0, 6), "Digest") &&
                        (value[6] == ' ' || value[6] == '\t');
    return digest ? refuse(400, "Malformed Authorization") : challenge(false);
  }
  if (credentials->realm != config_.realm ||
      (!credentials->algorithm.empty() && !equalsIgnoreCase(credentials->algorithm, "MD5")) ||
      (!credentials->qop.empty() && credentials->qop != "auth")) {
    return challenge(false);  // an answer to someone else's challenge: ask again
  }
  const NonceState nonce = nonces_.check(credentials->nonce);
  if (nonce == NonceState::Invalid) {
    return challenge(false);
  }

  const MonotonicTime now = time_.monotonicTime();
  const std::string failure_key = credentials->username + "|" + request.source;
  auto failures = failures_.find(failure_key);
  if (failures != failures_.end() && now - failures->second.window_start > config_.failure_window) {
    failures_.erase(failures);
    failures = failures_.end();
  }
  if (failures != failures_.end() && failures->second.count >= config_.max_failures) {
    return refuse(403, "Forbidden");  // locked out until the window passes, even if right now
  }

  std::optional<std::string> password;
  {
    const std::lock_guard lock(credentials_mutex_);
    if (auto it = credentials_->find(credentials->username); it != credentials_->end()) {
      password = it->second;
    }
  }
  const bool right =
      password && constantTimeEquals(digestResponse(*credentials, *password, "REGISTER"),
                                     credentials->response);
  if (!right) {
    if (failures == failures_.end()) {
      // Bounded: an attacker cycling usernames cannot grow the table without limit.
      if (failures_.size() >= config_.max_aors) {
        failures_.clear();
      }
      failures = failures_.emplace(failure_key, Failures{0, now}).first;
    }
    if (++failures->second.count >= config_.max_failures) {
      return refuse(403, "Forbidden");
    }
    return challenge(false);
  }
  if (nonce == NonceState::Stale) {
    return challenge(true);  // right password, old nonce: the phone retries silently
  }
  if (failures != failures_.end()) {
    failures_.erase(failures);
  }
  if (credentials->username != request.to_user) {
    return refuse(403, "Credentials Do Not Match The Address-Of-Record");
  }
  return std::nullopt;
}

RegisterResponse Registrar::handle(const RegisterRequest& request,
                                   std::vector<BindingChange>& changes) {
  // Syntax and scheme checks come before authentication: a request we could not act on even
  // with credentials is answered 400 at once (RFC 4475 3.3.4 expects that of a registrar).
  if (!isSipScheme(request.to_scheme) || request.to_user.empty()) {
    return refuse(400, "Unsupported Address-Of-Record");
  }
  if (request.bad_expires_header) {
    return refuse(400, "Bad Expires");
  }
  bool wildcard = false;
  for (const auto& contact : request.contacts) {
    if (contact.wildcard) {
      wildcard = true;
      continue;
    }
    if (contact.bad_expires) {
      return refuse(400, "Bad Contact Expires");
    }
    if (!isSipScheme(contact.scheme) && contact.scheme != "tel") {
      return refuse(400, "Unsupported Contact URI Scheme");
    }
  }
  if (wildcard && (request.contacts.size() != 1 || request.expires_header != 0)) {
    return refuse(400, "Wildcard Contact Needs Expires 0 And No Other Contact");
  }
  if (auto answer = authenticate(request)) {
    return std::move(*answer);
  }

  const std::string& aor = request.to_user;
  const MonotonicTime now = time_.monotonicTime();
  auto expiry_of = [&](const RegisterContact& contact) -> int64_t {
    int64_t value = contact.expires.value_or(
        request.expires_header.value_or(static_cast<int64_t>(config_.default_expiry.count())));
    return std::min<int64_t>(std::max<int64_t>(value, 0), config_.max_expiry.count());
  };
  for (const auto& contact : request.contacts) {
    const int64_t expiry = contact.wildcard ? 0 : expiry_of(contact);
    if (expiry != 0 && expiry < config_.min_expiry.count()) {
      RegisterResponse r = refuse(423, "Interval Too Brief");
      r.min_expires = config_.min_expiry.count();
      return r;
    }
  }

  auto existing = bindings_.find(aor);
  // RFC 3261 10.3 step 7: a request that is not newer than a binding it touches (same Call-ID,
  // CSeq not higher) is out of order and changes nothing.
  if (existing != bindings_.end()) {
    for (const auto& binding : existing->second) {
      const bool touched = wildcard || std::any_of(request.contacts.begin(), request.contacts.end(),
                                                   [&](const RegisterContact& c) {
                                                     return c.uri == binding.contact;
                                                   });
      if (touched && binding.call_id == request.call_id && request.cseq <= binding.cseq) {
        return refuse(500, "Out Of Order");
      }
    }
  }

  if (existing == bindings_.end() && !request.contacts.empty() && !wildcard) {
    if (bindings_.size() >= config_.max_aors) {
      return refuse(503, "Registrar Full");
    }
  }
  std::vector<Binding> updated =
      existing != bindings_.end() ? existing->second : std::vector<Binding>{};
  std::vector<BindingChange> pending;
  if (wildcard) {
    for (const auto& binding : updated) {
      pending.push_back({aor, binding.contact, false});
    }
    updated.clear();
  }
  for (const auto& contact : request.contacts) {
    if (contact.wildcard) {
      continue;
    }
    const int64_t expiry = expiry_of(contact);
    auto it = std::find_if(updated.begin(), updated.end(),
                           [&](const Binding& b) { return b.contact == contact.uri; });
    if (expiry == 0) {
      if (it != updated.end()) {
        pending.push_back({aor, it->contact, false});
        updated.erase(it);
      }
      continue;
    }
    Binding binding{contact.uri,        request.call_id, request.cseq,      now + seconds(expiry),
                    time_.systemTime(), request.source,  request.transport, request.user_agent};
    if (it != updated.end()) {
      *it = std::move(binding);
    } else {
      updated.push_back(std::move(binding));
      pending.push_back({aor, contact.uri, true});
    }
  }
  if (updated.size() > config_.max_contacts_per_aor) {
    return refuse(403, "Too Many Contacts");
  }

  if (updated.empty()) {
    if (existing != bindings_.end()) {
      bindings_.erase(existing);
    }
  } else {
    bindings_[aor] = std::move(updated);
  }
  changes.insert(changes.end(), pending.begin(), pending.end());
  if (!pending.empty() || !request.contacts.empty()) {
    publish();
  }
  ++counters_.accepted;
  return okResponse(aor);
}

RegisterResponse Registrar::okResponse(const std::string& aor) {
  RegisterResponse r;
  r.status = 200;
  r.reason = "OK";
  const MonotonicTime now = time_.monotonicTime();
  if (auto it = bindings_.find(aor); it != bindings_.end()) {
    for (const auto& binding : it->second) {
      const auto left = std::chrono::duration_cast<seconds>(binding.expires_at - now).count();
      r.contacts.push_back("<" + binding.contact +
                           ">;expires=" + std::to_string(std::max<int64_t>(left, 0)));
    }
  }
  return r;
}

std::vector<BindingChange> Registrar::expire() {
  const MonotonicTime now = time_.monotonicTime();
  std::vector<BindingChange> removed;
  for (auto it = bindings_.begin(); it != bindings_.end();) {
    auto& list = it->second;
    for (auto b = list.begin(); b != list.end();) {
      if (b->expires_at <= now) {
        removed.push_back({it->first, b->contact, false});
        b = list.erase(b);
      } else {
        ++b;
      }
    }
    it = list.empty() ? bindings_.erase(it) : std::next(it);
  }
  if (!removed.empty()) {
    publish();
  }
  return removed;
}

std::vector<std::string> Registrar::contactsOf(std::string_view extension) const {
  std::vector<std::string> out;
  auto it = bindings_.find(extension);
  if (it == bindings_.end()) {
    return out;
  }
  std::vector<const Binding*> sorted;
  for (const auto& b : it->second) {
    sorted.push_back(&b);
  }
  // The most recently registered contact first: a phone that re-registered is the live one.
  std::stable_sort(sorted.begin(), sorted.end(), [](const Binding* a, const Binding* b) {
    return a->registered_at > b->registered_at;
  });
  for (const Binding* b : sorted) {
    out.push_back(b->contact);
  }
  return out;
}

void Registrar::publish() {
  auto snapshot = std::make_shared<std::vector<Registration>>();
  const MonotonicTime now = time_.monotonicTime();
  const SystemTime wall = time_.systemTime();
  for (const auto& [aor, list] : bindings_) {
    for (const auto& b : list) {
      snapshot->push_back(
          Registration{aor, b.contact, b.registered_at,
                       wall + std::chrono::duration_cast<SystemTime::duration>(b.expires_at - now),
                       b.source, b.transport, b.user_agent});
    }
  }
  counters_.active = snapshot->size();
  const std::lock_guard lock(snapshot_mutex_);
  snapshot_ = std::move(snapshot);
}

std::vector<Registration> Registrar::registrations() const {
  std::shared_ptr<const std::vector<Registration>> snapshot;
  {
    const std::lock_guard lock(snapshot_mutex_);
    snapshot = snapshot_;
  }
  return *snapshot;
}

}  // namespace kefu::sip
