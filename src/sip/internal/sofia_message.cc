#include "sip/internal/sofia_message.h"

#include <sofia-sip/msg_header.h>
#include <sofia-sip/msg_types.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_alloc.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <memory>

namespace kefu::sip::internal {
namespace {

struct HomeDeleter {
  void operator()(su_home_t* home) const { su_home_unref(home); }
};
using HomePtr = std::unique_ptr<su_home_t, HomeDeleter>;

HomePtr makeHome() { return HomePtr(static_cast<su_home_t*>(su_home_new(sizeof(su_home_t)))); }

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// @return the non-negative decimal `text`, or nullopt when it is not one (or overflows).
std::optional<int64_t> parseDelta(std::string_view text) {
  int64_t value = 0;
  if (text.empty()) {
    return std::nullopt;
  }
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range && ptr == text.data() + text.size()) {
    return int64_t{1} << 32;  // RFC 3261 allows huge deltas; the registrar clamps them
  }
  if (ec != std::errc{} || ptr != text.data() + text.size() || value < 0) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

std::string unquote(std::string_view text) {
  if (text.size() < 2 || text.front() != '"' || text.back() != '"') {
    return std::string(text);
  }
  std::string out;
  for (std::size_t i = 1; i + 1 < text.size(); ++i) {
    if (text[i] == '\\' && i + 2 < text.size()) {
      ++i;
    }
    out.push_back(text[i]);
  }
  return out;
}

std::string urlToString(const url_t* url) {
  if (url == nullptr) {
    return {};
  }
  auto home = makeHome();
  char* text = url_as_string(home.get(), url);
  return text != nullptr ? std::string(text) : std::string();
}

std::string urlScheme(const url_t* url) {
  if (url == nullptr) {
    return {};
  }
  switch (url->url_type) {
    case url_sip:
      return "sip";
    case url_sips:
      return "sips";
    case url_tel:
      return "tel";
    case url_any:
      return "*";
    default:
      return url->url_scheme != nullptr ? lower(url->url_scheme) : std::string();
  }
}

std::string headerValue(const sip_header_t* header) {
  if (header == nullptr) {
    return {};
  }
  auto home = makeHome();
  char* text = sip_header_as_string(home.get(), header);
  return text != nullptr ? std::string(text) : std::string();
}

std::string credentialsValue(const msg_auth_t* auth) {
  if (auth == nullptr) {
    return {};
  }
  // Rebuilt from the parsed parameters: sofia's printer of this header drops the last parameter
  // when the encoded length estimate is short (seen with baresip's `nc=`).
  std::string value = auth->au_scheme != nullptr ? auth->au_scheme : "";
  const char* const* params = auth->au_params;
  for (std::size_t i = 0; params != nullptr && params[i] != nullptr; ++i) {
    value += (i == 0 ? " " : ", ");
    value += params[i];
  }
  return value;
}

bool acceptsSdp(const sip_t& sip) {
  bool any = false;
  for (const sip_accept_t* a = sip.sip_accept; a != nullptr; a = a->ac_next) {
    if (a->ac_type == nullptr) {
      continue;
    }
    any = true;
    const std::string type = lower(a->ac_type);
    if (type == "application/sdp" || type == "application/*" || type == "*/*") {
      return true;
    }
  }
  return !any;
}

std::string hostOfSource(std::string_view source) {
  const auto colon = source.rfind(':');
  return std::string(colon == std::string_view::npos ? source : source.substr(0, colon));
}

std::string viaTransport(const sip_t& sip) {
  if (sip.sip_via == nullptr || sip.sip_via->v_protocol == nullptr) {
    return {};
  }
  std::string_view protocol = sip.sip_via->v_protocol;  // "SIP/2.0/UDP"
  const auto slash = protocol.rfind('/');
  return lower(slash == std::string_view::npos ? protocol : protocol.substr(slash + 1));
}

RegisterRequest readRegister(const sip_t& sip, std::string source, std::string transport) {
  RegisterRequest r;
  if (sip.sip_to != nullptr) {
    r.to_scheme = urlScheme(sip.sip_to->a_url);
    if (sip.sip_to->a_url->url_user != nullptr) {
      r.to_user = sip.sip_to->a_url->url_user;
    }
    if (sip.sip_to->a_url->url_host != nullptr) {
      r.to_host = sip.sip_to->a_url->url_host;
    }
  }
  if (sip.sip_call_id != nullptr && sip.sip_call_id->i_id != nullptr) {
    r.call_id = sip.sip_call_id->i_id;
  }
  if (sip.sip_cseq != nullptr) {
    r.cseq = sip.sip_cseq->cs_seq;
  }
  if (sip.sip_expires != nullptr) {
    r.expires_header = static_cast<int64_t>(sip.sip_expires->ex_delta);
  }
  for (const sip_contact_t* m = sip.sip_contact; m != nullptr; m = m->m_next) {
    RegisterContact contact;
    const std::string scheme = urlScheme(m->m_url);
    if (scheme == "*" || (m->m_url->url_scheme == nullptr && m->m_url->url_host != nullptr &&
                          std::string_view(m->m_url->url_host) == "*")) {
      contact.wildcard = true;
    } else {
      contact.uri = urlToString(m->m_url);
      contact.scheme = scheme;
    }
    if (m->m_expires != nullptr) {
      contact.expires = parseDelta(m->m_expires);
      contact.bad_expires = !contact.expires.has_value();
    }
    r.contacts.push_back(std::move(contact));
  }
  if (sip.sip_authorization != nullptr) {
    r.authorization = credentialsValue(sip.sip_authorization);
  }
  if (sip.sip_user_agent != nullptr && sip.sip_user_agent->g_string != nullptr) {
    r.user_agent = sip.sip_user_agent->g_string;
  }
  r.source = std::move(source);
  r.transport = std::move(transport);
  return r;
}

std::optional<std::string> badEssentialHeader(const sip_t& sip) {
  static constexpr std::array<std::string_view, 20> Essential{"to",
                                                              "t",
                                                              "from",
                                                              "f",
                                                              "call-id",
                                                              "i",
                                                              "cseq",
                                                              "via",
                                                              "v",
                                                              "contact",
                                                              "m",
                                                              "content-length",
                                                              "l",
                                                              "content-type",
                                                              "c",
                                                              "expires",
                                                              "max-forwards",
                                                              "authorization",
                                                              "route",
                                                              "record-route"};
  // The error list holds both unparsable headers (msg_error_class, named by er_name) and
  // surplus copies of single-value headers (their own class): each is named by its class.
  for (const msg_header_t* h = reinterpret_cast<const msg_header_t*>(sip.sip_error); h != nullptr;
       h = h->sh_next) {
    const msg_hclass_t* cls = h->sh_class;
    const char* raw_name = nullptr;
    if (cls == msg_error_class) {
      raw_name = h->sh_error->er_name;
    } else if (cls != nullptr) {
      raw_name = cls->hc_name;
    }
    if (raw_name == nullptr) {
      continue;
    }
    const std::string name = lower(raw_name);
    if (std::find(Essential.begin(), Essential.end(), name) != Essential.end()) {
      return std::string(raw_name);
    }
  }
  return std::nullopt;
}

}  // namespace kefu::sip::internal
