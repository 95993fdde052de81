// Fuzz target: a whole SIP message as it arrives on a socket. sofia-sip's parser (msg_make) reads
// it; then Kefu's own reading of the parsed request runs on whatever came out: the essential-header
// check, the REGISTER fields and the registrar's handling (digest included), and Kefu's parsers of
// Refer-To (with its embedded Replaces) and Replaces, both on the parsed headers and on the raw
// bytes. What they accept must have the parts they promise.

#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "core/time_source.h"
#include "sip/internal/sofia_message.h"
#include "sip/refer_to.h"
#include "sip/registrar.h"

namespace {

void checkReferTo(std::string_view value) {
  auto target = kefu::sip::parseReferTo(value);
  if (!target) {
    return;
  }
  if (target->uri.empty() || target->uri.find('?') != std::string::npos ||
      target->uri.find(':') == std::string::npos) {
    std::abort();  // an accepted Refer-To must give a URI with a scheme and without headers
  }
  if (target->replaces && (target->replaces->call_id.empty() || target->replaces->to_tag.empty() ||
                           target->replaces->from_tag.empty())) {
    std::abort();
  }
}

void checkReplaces(std::string_view value) {
  auto replaces = kefu::sip::parseReplaces(value);
  if (replaces &&
      (replaces->call_id.empty() || replaces->to_tag.empty() || replaces->from_tag.empty())) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kefu::sip;
  static kefu::SimulatedTime time;
  static Registrar& registrar = *[] {
    auto* r = new Registrar(RegistrarConfig{}, time, "fuzz-secret-fuzz-secret-fuzz-sec");
    r->setCredentials(std::make_shared<const CredentialMap>(CredentialMap{{"1001", "pw"}}));
    return r;
  }();

  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  checkReferTo(raw);
  checkReplaces(raw);

  msg_t* msg = msg_make(sip_default_mclass(), 0, data, static_cast<ssize_t>(size));
  if (msg == nullptr) {
    return 0;
  }
  const sip_t* sip = sip_object(msg);
  if (sip != nullptr && sip->sip_request != nullptr) {
    (void)internal::badEssentialHeader(*sip);
    (void)internal::viaTransport(*sip);
    (void)internal::urlToString(sip->sip_request->rq_url);
    if (sip->sip_refer_to != nullptr) {
      checkReferTo(internal::headerValue(reinterpret_cast<const sip_header_t*>(sip->sip_refer_to)));
    }
    if (sip->sip_request->rq_method == sip_method_register) {
      const RegisterRequest request = internal::readRegister(*sip, "127.0.0.1:5062", "udp");
      std::vector<BindingChange> changes;
      (void)registrar.handle(request, changes);
      time.advance(std::chrono::seconds(1));
      (void)registrar.expire();
    }
  }
  msg_destroy(msg);
  return 0;
}
