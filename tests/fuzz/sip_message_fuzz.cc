// Fuzz target: a whole SIP message as it arrives on a socket. sofia-sip's parser (msg_make) reads
// it; then Kefu's own reading of the parsed request runs on whatever came out: the essential-header
// check, the REGISTER fields and the registrar's handling (digest included).

#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/time_source.h"
#include "sip/internal/sofia_message.h"
#include "sip/registrar.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kefu::sip;
  static kefu::SimulatedTime time;
  static Registrar& registrar = *[] {
    auto* r = new Registrar(RegistrarConfig{}, time, "fuzz-secret-fuzz-secret-fuzz-sec");
    r->setCredentials(std::make_shared<const CredentialMap>(CredentialMap{{"1001", "pw"}}));
    return r;
  }();

  msg_t* msg = msg_make(sip_default_mclass(), 0, data, static_cast<ssize_t>(size));
  if (msg == nullptr) {
    return 0;
  }
  const sip_t* sip = sip_object(msg);
  if (sip != nullptr && sip->sip_request != nullptr) {
    (void)internal::badEssentialHeader(*sip);
    (void)internal::viaTransport(*sip);
    (void)internal::urlToString(sip->sip_request->rq_url);
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
