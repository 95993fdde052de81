#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "media/srtp.h"

namespace kefu::media {

// SDES (RFC 4568): the key parameters of a=crypto:<tag> <suite> inline:<base64 key||salt>
// [|lifetime][|MKI:length]. The SDP parser splits the line; these functions handle the suite and
// key parameters. Pure functions, any thread.

/** @return the suite of an SDES crypto-suite name (AES_CM_128_HMAC_SHA1_80, ..._32,
 *  AEAD_AES_128_GCM), or nullopt when we do not support it. */
std::optional<SrtpSuite> srtpSuiteByName(std::string_view name);
/** @return the SDES crypto-suite name of a suite. */
std::string_view srtpSuiteName(SrtpSuite suite);
/** @return the key material of "inline:..." key parameters, or an error naming what is wrong
 *  (unknown suite, bad base64, wrong key length, bad lifetime or MKI, several keys). */
Result<SrtpKeyMaterial> parseSdesKeyParams(std::string_view suite, std::string_view key_params);
/** @return fresh random key material (OpenSSL RAND_bytes) for our a=crypto line. */
SrtpKeyMaterial randomKeyMaterial(SrtpSuite suite);
/** @return the "inline:<base64>[|MKI:len]" key parameters of `keys` for our a=crypto line. */
std::string sdesKeyParams(const SrtpKeyMaterial& keys);

}  // namespace kefu::media
