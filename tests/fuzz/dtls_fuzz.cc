// Fuzz target: what the media security code reads from the network. The first byte picks:
//   0: datagrams for a DTLS server waiting for a ClientHello,
//   1: datagrams for a DTLS client that sent its ClientHello (then its timers run),
//   2: SRTP and SRTCP packets to unprotect,
//   3: a=crypto key parameters (SDES).
// For 0 and 1 the rest is datagrams, each prefixed by its 2-byte big-endian length; the corpus
// holds real flights captured from the unit tests' handshakes.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "media/dtls.h"
#include "media/sdes.h"
#include "media/srtp.h"

namespace {

using kefu::media::DtlsCertificate;
using kefu::media::DtlsCertificatePtr;
using kefu::media::DtlsTransport;

const DtlsCertificatePtr& certificate() {
  static const DtlsCertificatePtr value = DtlsCertificate::generate().value();
  return value;
}

void drain(DtlsTransport& transport) {
  std::vector<uint8_t> datagram;
  while (transport.popOutgoing(datagram)) {
  }
}

void fuzzDtls(DtlsTransport::Role role, std::span<const uint8_t> input) {
  // The peer's fingerprint is our own: a handshake replayed from the corpus never matches it,
  // but everything up to the certificate check runs.
  DtlsTransport transport(certificate(), role, "sha-256",
                          std::string(certificate()->fingerprint()));
  int64_t now_ms = 0;
  transport.start(now_ms);
  drain(transport);
  while (input.size() >= 2) {
    std::size_t length = (std::size_t{input[0]} << 8) | input[1];
    input = input.subspan(2);
    length = std::min(length, input.size());
    transport.onDatagram(input.first(length), now_ms);
    input = input.subspan(length);
    drain(transport);
    now_ms += 700;
    transport.onTimer(now_ms);
    drain(transport);
  }
  (void)transport.srtpKeys();
  transport.close();
  drain(transport);
}

void fuzzSrtp(std::span<const uint8_t> input) {
  using namespace kefu::media;
  static const auto keys = [] {
    SrtpKeyMaterial material;
    material.size = srtpKeyAndSaltSize(material.suite);
    for (std::size_t i = 0; i < material.size; ++i) {
      material.key_and_salt[i] = static_cast<uint8_t>(i);
    }
    return material;
  }();
  auto session = SrtpSession::create(keys, keys);
  if (!session) {
    return;
  }
  std::vector<uint8_t> buffer(input.begin(), input.end());
  buffer.resize(input.size() + SrtpMaxOverhead);
  (void)(*session)->unprotectRtp(buffer, input.size());
  std::copy(input.begin(), input.end(), buffer.begin());
  (void)(*session)->unprotectRtcp(buffer, input.size());
  std::copy(input.begin(), input.end(), buffer.begin());
  (void)(*session)->protectRtp(buffer, input.size());
  std::copy(input.begin(), input.end(), buffer.begin());
  (void)(*session)->protectRtcp(buffer, input.size());
}

void fuzzSdes(std::span<const uint8_t> input) {
  std::string_view text(reinterpret_cast<const char*>(input.data()), input.size());
  std::size_t space = text.find(' ');
  std::string_view suite =
      space == std::string_view::npos ? "AES_CM_128_HMAC_SHA1_80" : text.substr(0, space);
  std::string_view params = space == std::string_view::npos ? text : text.substr(space + 1);
  auto keys = kefu::media::parseSdesKeyParams(suite, params);
  if (keys) {
    (void)kefu::media::sdesKeyParams(*keys);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  std::span<const uint8_t> input(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      fuzzDtls(DtlsTransport::Role::Server, input);
      break;
    case 1:
      fuzzDtls(DtlsTransport::Role::Client, input);
      break;
    case 2:
      fuzzSrtp(input);
      break;
    default:
      fuzzSdes(input);
      break;
  }
  return 0;
}
