// Fuzz target: an SDP body from a SIP INVITE or a browser. What parses must write back to SDP
// that parses to the same description, and an offer must be answered or refused cleanly.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "media/sdp.h"
#include "media/sdp_negotiation.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kefu::media;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = parseSdp(text);
  if (!parsed.ok()) {
    if (parsed.error().field.rfind("sdp line ", 0) != 0) {
      std::abort();  // every error names its line
    }
    return 0;
  }
  // Writing adds rtpmap lines for static payload types, so a body near the size limit may
  // grow past it; below that, what was read must be written back to the same description.
  const std::string written = writeSdp(*parsed);
  auto again = parseSdp(written);
  if (written.size() <= MaxSdpSize && (!again.ok() || !(*again == *parsed))) {
    std::abort();
  }

  LocalMedia local;
  local.address = "192.0.2.10";
  local.port = 40000;
  local.codecs = {CodecId::Opus, CodecId::G722, CodecId::Pcma, CodecId::Pcmu};
  local.crypto = {
      {1, "AES_CM_128_HMAC_SHA1_80", "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"}};
  local.ice_ufrag = "kefuUfrag";
  local.ice_pwd = "kefuIcePasswordOf24Chars";
  local.fingerprint_algorithm = "sha-256";
  local.fingerprint = "01:02";
  auto answer = answerOffer(*parsed, local);
  if (answer.ok()) {
    auto written = parseSdp(writeSdp(answer->description));
    if (!written.ok()) {
      std::abort();  // our own answer must be valid SDP
    }
    // The offer, seen as our own offer, accepts our answer when it came back.
    (void)acceptAnswer(*parsed, answer->description);
  }
  (void)acceptAnswer(makeOffer(local), *parsed);
  return 0;
}
