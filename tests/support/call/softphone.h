#pragma once

#include <string>

#include "support/sip/baresip_phone.h"

namespace kefu::test {

/** The phones of the call tests: baresip, registered as an agent's phone or calling as a
 *  customer (see sip::testing::BaresipPhone). */
using Softphone = sip::testing::BaresipPhone;
using SoftphoneOptions = sip::testing::BaresipPhoneOptions;

/** Writes a WAV (8 kHz mono 16-bit) of a `hz` sine lasting `seconds`; @return its path, empty
 *  when it cannot be written. */
std::string writeToneWav(const std::string& path, double hz, double seconds);

}  // namespace kefu::test
