// Fuzz target: the Authorization header value Kefu parses itself (digest parameters) and the
// nonces it checks. What parses must carry the required parameters and parse back to the same
// credentials once written out again; no input may crash the parser or the nonce check.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/time_source.h"
#include "sip/digest.h"

namespace {

std::string quote(const std::string& value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  return out + "\"";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kefu::sip;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  static kefu::SimulatedTime time;
  static const NonceIssuer issuer("fuzz-secret-fuzz-secret-fuzz-sec", time,
                                  std::chrono::seconds(300));
  (void)issuer.check(text);

  auto parsed = parseDigestCredentials(text);
  if (!parsed) {
    return 0;
  }
  if (parsed->username.empty() || parsed->realm.empty() || parsed->nonce.empty() ||
      parsed->uri.empty() || parsed->response.empty()) {
    std::abort();  // a header without the required parameters was accepted
  }
  std::string written = "Digest username=" + quote(parsed->username) +
                        ", realm=" + quote(parsed->realm) + ", nonce=" + quote(parsed->nonce) +
                        ", uri=" + quote(parsed->uri) + ", response=" + quote(parsed->response);
  const std::pair<const char*, const std::string*> optional[] = {{"algorithm", &parsed->algorithm},
                                                                 {"cnonce", &parsed->cnonce},
                                                                 {"opaque", &parsed->opaque},
                                                                 {"qop", &parsed->qop},
                                                                 {"nc", &parsed->nc}};
  for (const auto& [name, value] : optional) {
    if (!value->empty()) {
      written += std::string(", ") + name + "=" + quote(*value);
    }
  }
  if (written.size() <= MaxAuthorizationSize) {
    auto again = parseDigestCredentials(written);
    if (!again || !(*again == *parsed)) {
      std::abort();  // writing and reading back changed the credentials
    }
  }
  (void)digestResponse(*parsed, "password", "REGISTER");
  (void)issuer.check(parsed->nonce);
  return 0;
}
