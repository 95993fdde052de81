// Fuzz target: a STUN message on a WebRTC media port. Integrity is checked, and a request gets
// the responses ICE-lite would send, which must parse back.

#include <netinet/in.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>

#include "media/stun.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kefu::media;
  const std::span<const uint8_t> packet(data, size);
  StunError error{};
  auto message = parseStun(packet, &error);
  if (!message) {
    return 0;
  }
  // The username is a view into the packet: it must lie inside it.
  if (!message->username.empty() &&
      (reinterpret_cast<const uint8_t*>(message->username.data()) < data ||
       reinterpret_cast<const uint8_t*>(message->username.data()) + message->username.size() >
           data + size)) {
    std::abort();
  }
  (void)checkStunIntegrity(packet, "VOkJxbRl1RmTxUk/WvJxBt");

  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(5004);
  address.sin_addr.s_addr = htonl(0xc0000201);
  sockaddr_storage mapped{};
  std::memcpy(&mapped, &address, sizeof(address));
  std::array<uint8_t, 256> out{};
  const std::size_t success = writeBindingSuccess(*message, mapped, "kefuIcePassword", out);
  auto parsed = parseStun(std::span(out).first(success));
  if (success == 0 || !parsed || parsed->transaction_id != message->transaction_id ||
      !checkStunIntegrity(std::span(out).first(success), "kefuIcePassword")) {
    std::abort();
  }
  const std::size_t failure = writeBindingError(*message, 487, "Role Conflict", "", out);
  if (failure == 0 || !parseStun(std::span(out).first(failure))) {
    std::abort();
  }
  return 0;
}
