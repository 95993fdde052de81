#include "privacy/sodium_init.h"

#include <sodium.h>

#include "core/assert.h"

namespace kefu::privacy {

void ensureSodium() {
  // sodium_init() is itself thread-safe and idempotent; the static only saves the repeated call.
  static const int result = sodium_init();
  if (result < 0) {
    KEFU_BUG("libsodium failed to initialize");
  }
}

}  // namespace kefu::privacy
