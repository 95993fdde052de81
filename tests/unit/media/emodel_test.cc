#include "media/emodel.h"

#include <gtest/gtest.h>

namespace kefu::media {
namespace {

// Hand arithmetic with G.107's default values (SLR 8, RLR 2, STMR 15, LSTR 18, Ds 3, TELR 65,
// WEPL 110, qdu 1, Nc -70, Nfor -64, Ps = Pr = 35, A 0):
//   Nos = 35 - 8 - 3 - 100 + 0.004 (35 - 10 - 3 - 14)^2           = -75.744
//   Pre = 35 + 10 log10(1 + 10^-0.8)                               =  35.677
//   Nor = 2 - 121 + 35.677 + 0.008 (0.677)^2                       = -83.319
//   Nfo = -64 + 2                                                  = -62
//   No  = 10 log10(10^-7 + 10^-7.5744 + 10^-8.3319 + 10^-6.2)      = -61.18
//   Ro  = 15 - 1.5 (8 - 61.18)                                     =  94.77
//   Is  = Iolr 0.0037 + Ist 0.0 (STMRo 15) + Iq 1.41                =   1.41
//   Idle = (94.77 - 1228.5)/2 + sqrt(566.87^2 + 169) (Rle 10.5 x 117) = 0.15; Idte = Idd = 0
//   R   = 94.77 - 1.41 - 0.15                                      =  93.2
constexpr double DefaultR = 93.2;

TEST(EModelTest, NoImpairmentGivesTheG107DefaultRating) {
  EXPECT_NEAR(rFactor(EModelInput{.ie = 0, .bpl = 1}), DefaultR, 0.05);
  EXPECT_NEAR(rFactor(codecDefaults(CodecId::Pcmu)), DefaultR, 0.05);
}

TEST(EModelTest, RandomLossFollowsTheIeEffFormula) {
  // G.711 with PLC at 2 % random loss: Ie,eff = 0 + 95 x 2 / (2 / 1 + 25.1) = 7.011.
  EModelInput input = codecDefaults(CodecId::Pcma);
  input.packet_loss_percent = 2;
  EXPECT_NEAR(rFactor(input), DefaultR - 7.011, 0.05);
  // Bursty: BurstR 2 at 5 %: Ie,eff = 95 x 5 / (5 / 2 + 25.1) = 17.210.
  input.packet_loss_percent = 5;
  input.burst_ratio = 2;
  EXPECT_NEAR(rFactor(input), DefaultR - 17.210, 0.05);
  // A codec's own impairment adds: Ie 11, Bpl 19 (G.729A) at 1 %:
  // Ie,eff = 11 + 84 x 1 / (1 + 19) = 15.2.
  EXPECT_NEAR(rFactor({.ie = 11, .bpl = 19, .packet_loss_percent = 1}), DefaultR - 15.2, 0.05);
}

TEST(EModelTest, DelayFollowsTheIdFormulas) {
  // One-way delay 400 ms, so T = Ta = 400 and Tr = 800:
  //   TERV = 65 - 40 log10((1 + 40) / (1 + 2.667)) + 6 e^(-48000)  = 23.06
  //   Re = 80 + 2.5 (23.06 - 14) = 102.65;  Roe = -1.5 (-61.18 - 2)  = 94.77
  //   Idte = (-3.94 + sqrt(3.94^2 + 100) - 1) (1 - e^-400)           =  5.81
  //   Rle = 1228.5 x 801^-0.25 = 230.92;  Idle = -68.08 + sqrt(68.08^2 + 169) = 1.23
  //   X = log2(400 / 100) = 2;  Idd = 25 (65^(1/6) - 3 (1 + (2/3)^6)^(1/6) + 2) = 24.07
  //   Id = 31.11, against 0.15 (Idle alone) in the default rating.
  EXPECT_NEAR(rFactor({.one_way_delay_ms = 400}), DefaultR + 0.15 - 31.11, 0.05);
  // Below 100 ms Idd is 0 and the echo terms stay small.
  EXPECT_GT(rFactor({.one_way_delay_ms = 50}), DefaultR - 2);
}

TEST(EModelTest, MosCurveEndpointsAndAKnownPoint) {
  EXPECT_EQ(mosFromR(-5), 1.0);
  EXPECT_EQ(mosFromR(0), 1.0);
  EXPECT_EQ(mosFromR(100), 4.5);
  EXPECT_EQ(mosFromR(120), 4.5);
  // 1 + 0.035 x 93.2 + 93.2 x 33.2 x 6.8 x 7e-6 = 1 + 3.262 + 0.1473 = 4.409.
  EXPECT_NEAR(mosFromR(93.2), 4.409, 0.001);
  // 1 + 1.75 + 50 x (-10) x 50 x 7e-6 = 2.575.
  EXPECT_NEAR(mosFromR(50), 2.575, 0.001);
}

TEST(EModelTest, MosFallsWithLossAndWithDelay) {
  for (CodecId codec : {CodecId::Pcmu, CodecId::G722, CodecId::Opus}) {
    double previous = 5;
    for (double loss = 0; loss <= 30; loss += 0.5) {
      EModelInput input = codecDefaults(codec);
      input.packet_loss_percent = loss;
      double mos = mosFromR(rFactor(input));
      EXPECT_LT(mos, previous) << loss;
      previous = mos;
    }
  }
  double previous = 5;
  for (double delay = 0; delay <= 800; delay += 25) {
    double mos = mosFromR(rFactor({.one_way_delay_ms = delay}));
    EXPECT_LE(mos, previous) << delay;
    previous = mos;
  }
  EXPECT_LT(mosFromR(rFactor({.one_way_delay_ms = 500})), 3.8);
}

TEST(EModelTest, CodecDefaultsAreTheChosenG113Values) {
  EXPECT_EQ(codecDefaults(CodecId::Pcmu).ie, 0);
  EXPECT_EQ(codecDefaults(CodecId::Pcmu).bpl, 25.1);
  EXPECT_GT(codecDefaults(CodecId::Opus).ie, 0);
  EXPECT_LT(rFactor(codecDefaults(CodecId::Opus)), DefaultR);
}

}  // namespace
}  // namespace kefu::media
