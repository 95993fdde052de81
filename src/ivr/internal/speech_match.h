#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace kefu::ivr::internal {

/** @return `text` with ASCII letters lower-cased (other bytes, such as UTF-8 Chinese, kept). */
std::string lowerAscii(std::string_view text);
/** @return `text` without leading and trailing blanks. */
std::string trim(std::string_view text);
/** @return the value of the word of `words` the caller said (the whole utterance first, then a
 *  word inside it), or null. */
const std::string* matchWord(const std::map<std::string, std::string>& words,
                             std::string_view heard);
/** @return "yes" or "no" for an English or Mandarin answer, nullopt for anything else. */
std::optional<std::string> yesNo(std::string_view heard);
/** @return spoken digits as the recognizer writes them ("1 2 3", "one two", "一二三") as "123". */
std::optional<std::string> spokenDigits(std::string_view heard);

}  // namespace kefu::ivr::internal
