#include "ivr/internal/speech_match.h"

#include <algorithm>
#include <cctype>
#include <utility>
#include <vector>

namespace kefu::ivr::internal {

std::string lowerAscii(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string trim(std::string_view text) {
  auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return {};
  }
  auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

/** @return the word of `words` the caller said: the whole utterance, else a word inside it. */
const std::string* matchWord(const std::map<std::string, std::string>& words,
                             std::string_view heard) {
  std::string said = lowerAscii(trim(heard));
  if (said.empty()) {
    return nullptr;
  }
  for (const auto& [word, target] : words) {
    if (lowerAscii(word) == said) {
      return &target;
    }
  }
  for (const auto& [word, target] : words) {
    if (said.find(lowerAscii(word)) != std::string::npos) {
      return &target;
    }
  }
  return nullptr;
}

std::optional<std::string> yesNo(std::string_view heard) {
  static const std::map<std::string, std::string> Words{
      {"yes", "yes"}, {"yeah", "yes"}, {"correct", "yes"}, {"是", "yes"}, {"对", "yes"},
      {"好", "yes"},  {"no", "no"},    {"nope", "no"},     {"不", "no"},  {"不是", "no"}};
  std::string said = lowerAscii(trim(heard));
  // "不是" contains "是": the longer word decides, so "no" words are looked at first.
  for (std::string_view word : {"不是", "不", "nope", "no"}) {
    if (said.find(word) != std::string::npos) {
      return "no";
    }
  }
  if (const auto* value = matchWord(Words, said)) {
    return *value;
  }
  return std::nullopt;
}

/** Spoken digits as the recognizer writes them ("1 2 3", "one two", "一二三") to "123". */
std::optional<std::string> spokenDigits(std::string_view heard) {
  static const std::vector<std::pair<std::string_view, char>> Words{
      {"zero", '0'}, {"oh", '0'},  {"one", '1'},   {"two", '2'},   {"three", '3'}, {"four", '4'},
      {"five", '5'}, {"six", '6'}, {"seven", '7'}, {"eight", '8'}, {"nine", '9'},  {"零", '0'},
      {"一", '1'},   {"二", '2'},  {"两", '2'},    {"三", '3'},    {"四", '4'},    {"五", '5'},
      {"六", '6'},   {"七", '7'},  {"八", '8'},    {"九", '9'}};
  std::string said = lowerAscii(heard);
  std::string out;
  std::size_t at = 0;
  while (at < said.size()) {
    char c = said[at];
    if (c == ' ' || c == ',' || c == '-') {
      ++at;
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) != 0) {
      out += c;
      ++at;
      continue;
    }
    bool matched = false;
    for (const auto& [word, digit] : Words) {
      if (said.compare(at, word.size(), word) == 0) {
        out += digit;
        at += word.size();
        matched = true;
        break;
      }
    }
    if (!matched) {
      return std::nullopt;
    }
  }
  if (out.empty()) {
    return std::nullopt;
  }
  return out;
}

}  // namespace kefu::ivr::internal
