#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "ivr/recognizer.h"

namespace kefu::ivr {

/** The kinds of grammar the pocketsphinx recognizer serves. */
enum class GrammarKind { Digits, YesNo, Words };

/** A JSGF grammar built from a recognition request. A plain value; any thread. */
struct JsgfGrammar {
  GrammarKind kind = GrammarKind::Digits;
  /** Identifies the grammar: equal keys mean equal text, so a decoder compiles each key once. */
  std::string key;
  /** The grammar in JSGF V1.0, its public rule named `<utterance>`. */
  std::string text;
};

/**
 * @return the JSGF grammar for `request` (digits: one or more digit words; yes_no; words: one of
 * the menu's keywords or phrases), or InvalidArgument naming the grammar or the word that cannot
 * be expressed. Pure; any thread.
 */
Result<JsgfGrammar> buildJsgfGrammar(const RecognitionRequest& request);

/**
 * @return the decoder's hypothesis as the flow expects it: digits as "123", yes / no as "yes" or
 * "no", words as heard (lower case, single spaces). Pure; any thread.
 */
std::string normalizeHypothesis(GrammarKind kind, std::string_view hypothesis);

}  // namespace kefu::ivr
