#pragma once

namespace kefu::privacy {

/** Initializes libsodium once; safe to call from any thread, any number of times. */
void ensureSodium();

}  // namespace kefu::privacy
