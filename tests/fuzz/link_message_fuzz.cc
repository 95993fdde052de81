// Fuzz target: a message from the site link, as the far site's applier decodes it. A decoded
// message must encode and decode back to itself.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sync/link_message.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kefu;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto message = sync::decodeLinkMessage(bytes);
  if (!message) {
    return 0;
  }
  auto again = sync::decodeLinkMessage(sync::encodeLinkMessage(*message));
  if (!again || !(*again == *message)) {
    std::abort();
  }
  return 0;
}
