// The media tap that hands one session's frames to the recognition in progress.

#include "ivr/recognizer_tap.h"

#include <gtest/gtest.h>

namespace kefu::ivr {
namespace {

/** Records what it was fed; `cancelled` outlives it. */
class FakeStream final : public RecognitionStream {
 public:
  FakeStream(std::vector<std::int16_t>& fed, bool& cancelled) : fed_(fed), cancelled_(cancelled) {}
  void feed(const std::int16_t* samples, std::size_t count, int rate) override {
    EXPECT_EQ(rate, media::InternalRate);
    EXPECT_EQ(count, media::FrameSamples);
    fed_.push_back(samples[0]);
  }
  void cancel() override { cancelled_ = true; }

 private:
  std::vector<std::int16_t>& fed_;
  bool& cancelled_;
};

media::AudioFrame frameTagged(std::int16_t tag) {
  media::AudioFrame frame;
  frame.samples.fill(tag);
  return frame;
}

TEST(RecognizerTapTest, FeedsItsSessionsFramesToTheAttachedStream) {
  RecognizerTap tap(7);
  std::vector<std::int16_t> fed;
  bool cancelled = false;
  tap.onAudio(7, frameTagged(1));  // nothing attached yet: dropped
  tap.attach(std::make_unique<FakeStream>(fed, cancelled));
  tap.onAudio(7, frameTagged(2));
  tap.onAudio(8, frameTagged(3));  // another session
  tap.onAudio(7, frameTagged(4));
  EXPECT_EQ(fed, (std::vector<std::int16_t>{2, 4}));
  EXPECT_EQ(tap.framesFed(), 2U);
  EXPECT_FALSE(cancelled);
}

TEST(RecognizerTapTest, AttachingANewStreamCancelsTheOldOneAndDetachStopsFeeding) {
  RecognizerTap tap(7);
  std::vector<std::int16_t> first_fed;
  std::vector<std::int16_t> second_fed;
  bool first_cancelled = false;
  bool second_cancelled = false;
  tap.attach(std::make_unique<FakeStream>(first_fed, first_cancelled));
  tap.onAudio(7, frameTagged(1));
  tap.attach(std::make_unique<FakeStream>(second_fed, second_cancelled));
  EXPECT_TRUE(first_cancelled);
  tap.onAudio(7, frameTagged(2));
  tap.detach();
  EXPECT_TRUE(second_cancelled);
  tap.onAudio(7, frameTagged(3));
  EXPECT_EQ(first_fed, (std::vector<std::int16_t>{1}));
  EXPECT_EQ(second_fed, (std::vector<std::int16_t>{2}));
}

}  // namespace
}  // namespace kefu::ivr
