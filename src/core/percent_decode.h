#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kefu {

/** @return `text` with its %XX escapes decoded (RFC 3986 2.1), or nullopt for a broken escape (a
 *  '%' not followed by two hex digits). Decoded bytes are not checked: a caller that cannot carry
 *  some of them (a NUL in a path) refuses them itself. */
std::optional<std::string> percentDecode(std::string_view text);

}  // namespace kefu
