#include "ivr/jsgf_grammar.h"

#include <fmt/format.h>

#include <array>
#include <optional>
#include <set>
#include <sstream>

namespace kefu::ivr {
namespace {

// "oh" is left out on purpose: it is easily heard in the onset of other digits, and callers of a
// telephone line are asked for digits, which they say as the ten words (see docs/ivr.md).
constexpr std::array<std::string_view, 10> DigitWords{"zero", "one", "two",   "three", "four",
                                                      "five", "six", "seven", "eight", "nine"};

/** @return `phrase` in lower case with single spaces, or nullopt when it holds anything but
 *  ASCII letters, apostrophes and blanks (JSGF tokens must not carry grammar syntax). */
std::optional<std::string> cleanPhrase(std::string_view phrase) {
  std::string out;
  bool blank = false;
  for (char c : phrase) {
    if (c == ' ' || c == '\t') {
      blank = !out.empty();
      continue;
    }
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '\'';
    if (!letter) {
      return std::nullopt;
    }
    if (blank) {
      out += ' ';
      blank = false;
    }
    out += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  }
  if (out.empty()) {
    return std::nullopt;
  }
  return out;
}

std::string alternatives(const std::set<std::string>& phrases) {
  std::string out;
  for (const auto& phrase : phrases) {
    if (!out.empty()) {
      out += " | ";
    }
    out += phrase;
  }
  return out;
}

}  // namespace

Result<JsgfGrammar> buildJsgfGrammar(const RecognitionRequest& request) {
  JsgfGrammar grammar;
  if (request.grammar == "digits") {
    grammar.kind = GrammarKind::Digits;
    grammar.key = "digits";
    std::set<std::string> words(DigitWords.begin(), DigitWords.end());
    grammar.text =
        fmt::format("#JSGF V1.0;\ngrammar digits;\npublic <utterance> = <digit>+;\n<digit> = {};\n",
                    alternatives(words));
    return grammar;
  }
  if (request.grammar == "yes_no") {
    grammar.kind = GrammarKind::YesNo;
    grammar.key = "yes_no";
    grammar.text =
        "#JSGF V1.0;\ngrammar yes_no;\npublic <utterance> = <yes> | <no>;\n"
        "<yes> = yes | yeah | yep | correct | right;\n<no> = no | nope | wrong;\n";
    return grammar;
  }
  if (request.grammar == "words") {
    grammar.kind = GrammarKind::Words;
    std::set<std::string> phrases;
    for (const auto& word : request.words) {
      auto clean = cleanPhrase(word);
      if (!clean) {
        return Error::invalid(
            "words",
            fmt::format("`{}` is not a phrase of English words the grammar can hold", word));
      }
      phrases.insert(*clean);
    }
    if (phrases.empty()) {
      return Error::invalid("words", "the words grammar needs at least one word");
    }
    // The key is the sorted phrase list itself, so two menus with the same words share a search.
    grammar.key = "words:" + alternatives(phrases);
    grammar.text = fmt::format("#JSGF V1.0;\ngrammar words;\npublic <utterance> = {};\n",
                               alternatives(phrases));
    return grammar;
  }
  return Error::invalid("grammar",
                        fmt::format("pocketsphinx serves the digits, yes_no and words grammars, "
                                    "not `{}`",
                                    request.grammar));
}

std::string normalizeHypothesis(GrammarKind kind, std::string_view hypothesis) {
  std::istringstream in{std::string(hypothesis)};
  std::string word;
  std::string out;
  while (in >> word) {
    switch (kind) {
      case GrammarKind::Digits:
        for (std::size_t d = 0; d < DigitWords.size(); ++d) {
          if (word == DigitWords[d]) {
            out += static_cast<char>('0' + d);
          }
        }
        break;
      case GrammarKind::YesNo:
        if (word == "yes" || word == "yeah" || word == "yep" || word == "correct" ||
            word == "right") {
          return "yes";
        }
        if (word == "no" || word == "nope" || word == "wrong") {
          return "no";
        }
        break;
      case GrammarKind::Words:
        if (!out.empty()) {
          out += ' ';
        }
        out += word;
        break;
    }
  }
  return out;
}

}  // namespace kefu::ivr
