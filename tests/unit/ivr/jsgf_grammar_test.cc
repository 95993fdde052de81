// The JSGF grammars the pocketsphinx recognizer builds from a listen node's request, and how its
// hypotheses are turned into the text a flow matches.

#include "ivr/jsgf_grammar.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kefu::ivr {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

RecognitionRequest request(std::string grammar, std::vector<std::string> words = {}) {
  RecognitionRequest r;
  r.grammar = std::move(grammar);
  r.words = std::move(words);
  r.language = "en";
  return r;
}

TEST(JsgfGrammarTest, DigitsAreOneOrMoreOfTheTenDigitWords) {
  auto grammar = buildJsgfGrammar(request("digits"));
  ASSERT_TRUE(grammar.ok());
  EXPECT_EQ(grammar->kind, GrammarKind::Digits);
  EXPECT_THAT(grammar->text, HasSubstr("#JSGF V1.0;"));
  EXPECT_THAT(grammar->text, HasSubstr("public <utterance> = <digit>+;"));
  for (const char* word :
       {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}) {
    EXPECT_THAT(grammar->text, HasSubstr(word)) << word;
  }
  EXPECT_THAT(grammar->text, Not(HasSubstr(" oh")));
}

TEST(JsgfGrammarTest, YesNoHoldsBothAnswers) {
  auto grammar = buildJsgfGrammar(request("yes_no"));
  ASSERT_TRUE(grammar.ok());
  EXPECT_EQ(grammar->kind, GrammarKind::YesNo);
  EXPECT_THAT(grammar->text, HasSubstr("yes"));
  EXPECT_THAT(grammar->text, HasSubstr("no"));
  EXPECT_NE(grammar->key, buildJsgfGrammar(request("digits"))->key);
}

TEST(JsgfGrammarTest, WordsAreCleanedAndTheSameSetSharesAKey) {
  auto a = buildJsgfGrammar(request("words", {"Balance", "  lost   card ", "loans"}));
  auto b = buildJsgfGrammar(request("words", {"loans", "lost card", "balance"}));
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->kind, GrammarKind::Words);
  EXPECT_THAT(a->text, HasSubstr("public <utterance> = balance | loans | lost card;"));
  EXPECT_EQ(a->key, b->key);
  auto other = buildJsgfGrammar(request("words", {"balance"}));
  ASSERT_TRUE(other.ok());
  EXPECT_NE(a->key, other->key);
}

TEST(JsgfGrammarTest, RejectsWhatAGrammarCannotHold) {
  // JSGF syntax inside a word would change the grammar; digits and Chinese are not English words
  // of the model's dictionary.
  for (const char* word : {"yes | no", "<digit>", "one;", "2", "余额", ""}) {
    auto grammar = buildJsgfGrammar(request("words", {word}));
    ASSERT_FALSE(grammar.ok()) << word;
    EXPECT_EQ(grammar.error().field, "words");
  }
  EXPECT_FALSE(buildJsgfGrammar(request("words")).ok());
  auto free = buildJsgfGrammar(request("free"));
  ASSERT_FALSE(free.ok());
  EXPECT_THAT(free.error().message, HasSubstr("free"));
}

TEST(JsgfGrammarTest, HypothesesAreNormalizedForTheFlow) {
  EXPECT_EQ(normalizeHypothesis(GrammarKind::Digits, "one two three"), "123");
  EXPECT_EQ(normalizeHypothesis(GrammarKind::Digits, "zero  nine"), "09");
  EXPECT_EQ(normalizeHypothesis(GrammarKind::Digits, ""), "");
  EXPECT_EQ(normalizeHypothesis(GrammarKind::YesNo, "yeah"), "yes");
  EXPECT_EQ(normalizeHypothesis(GrammarKind::YesNo, "nope"), "no");
  EXPECT_EQ(normalizeHypothesis(GrammarKind::Words, "lost  card"), "lost card");
}

}  // namespace
}  // namespace kefu::ivr
