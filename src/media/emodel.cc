#include "media/emodel.h"

#include <algorithm>
#include <cmath>

namespace kefu::media {
namespace {

// G.107 default values (Table 3) for the factors we do not measure.
constexpr double Slr = 8;              // send loudness rating, dB
constexpr double Rlr = 2;              // receive loudness rating, dB
constexpr double Stmr = 15;            // sidetone masking rating, dB
constexpr double Lstr = 18;            // listener sidetone rating, dB
constexpr double Ds = 3;               // D-value of telephone, send side
constexpr double Telr = 65;            // talker echo loudness rating, dB
constexpr double Wepl = 110;           // weighted echo path loss, dB
constexpr double Qdu = 1;              // quantizing distortion units
constexpr double Nc = -70;             // circuit noise, dBm0p
constexpr double Nfor = -64;           // noise floor at the receive side, dBmp
constexpr double Ps = 35;              // room noise at the send side, dB(A)
constexpr double Pr = 35;              // room noise at the receive side, dB(A)
constexpr double AdvantageFactor = 0;  // advantage factor
constexpr double Mt = 100;             // Idd: delay below which it is 0, ms
constexpr double St = 1;               // Idd: sensitivity to delay

double pow10(double x) { return std::pow(10.0, x); }

struct Basic {
  double ro;
  double no;
};

// Section 3.3: the basic signal-to-noise ratio Ro.
Basic basicRatio() {
  const double olr = Slr + Rlr;
  const double nos = Ps - Slr - Ds - 100 + 0.004 * std::pow(Ps - olr - Ds - 14, 2);
  const double pre = Pr + 10 * std::log10(1 + pow10((10 - Lstr) / 10));
  const double nor = Rlr - 121 + pre + 0.008 * std::pow(pre - 35, 2);
  const double nfo = Nfor + Rlr;
  const double no =
      10 * std::log10(pow10(Nc / 10) + pow10(nos / 10) + pow10(nor / 10) + pow10(nfo / 10));
  return {15 - 1.5 * (Slr + no), no};
}

// Section 3.4: the simultaneous impairment factor Is = Iolr + Ist + Iq.
double simultaneousImpairment(double ro, double no, double t) {
  const double olr = Slr + Rlr;
  const double xolr = olr + 0.2 * (64 + no - Rlr);
  const double iolr = 20 * (std::pow(1 + std::pow(xolr / 8, 8), 1.0 / 8) - xolr / 8);
  const double stmro = -10 * std::log10(pow10(-Stmr / 10) + std::exp(-t / 4) * pow10(-Telr / 10));
  const double ist = 12 * std::pow(1 + std::pow((stmro - 13) / 6, 8), 1.0 / 8) -
                     28 * std::pow(1 + std::pow((stmro + 1) / 19.4, 35), 1.0 / 35) -
                     13 * std::pow(1 + std::pow((stmro - 3) / 33, 13), 1.0 / 13) + 29;
  const double q = 37 - 15 * std::log10(Qdu);
  const double g = 1.07 + 0.258 * q + 0.0602 * q * q;
  const double y = (ro - 100) / 15 + 46 / 8.4 - g / 9;
  const double z = 46.0 / 30 - g / 40;
  const double iq = 15 * std::log10(1 + pow10(y) + pow10(z));
  return iolr + ist + iq;
}

// Section 3.5: the delay impairment factor Id = Idte + Idle + Idd.
double delayImpairment(double ro, double no, double t, double tr, double ta) {
  const double terv =
      Telr - 40 * std::log10((1 + t / 10) / (1 + t / 150)) + 6 * std::exp(-0.3 * t * t);
  const double roe = -1.5 * (no - Rlr);
  const double re = 80 + 2.5 * (terv - 14);
  const double idte =
      ((roe - re) / 2 + std::sqrt(std::pow(roe - re, 2) / 4 + 100) - 1) * (1 - std::exp(-t));
  const double rle = 10.5 * (Wepl + 7) * std::pow(tr + 1, -0.25);
  const double idle = (ro - rle) / 2 + std::sqrt(std::pow(ro - rle, 2) / 4 + 169);
  double idd = 0;
  if (ta > Mt) {
    const double x = std::log10(ta / Mt) / std::log10(2.0);
    idd = 25 * (std::pow(1 + std::pow(x, 6 * St), 1 / (6 * St)) -
                3 * std::pow(1 + std::pow(x / 3, 6 * St), 1 / (6 * St)) + 2);
  }
  return idte + idle + idd;
}

}  // namespace

EModelInput codecDefaults(CodecId codec) {
  EModelInput input;
  switch (codec) {
    case CodecId::Pcmu:
    case CodecId::Pcma:
    case CodecId::G722:
      input.ie = 0;
      input.bpl = 25.1;
      break;
    case CodecId::Opus:
      input.ie = 6;
      input.bpl = 20;
      break;
  }
  return input;
}

double rFactor(const EModelInput& input) {
  const double t = std::max(0.0, input.one_way_delay_ms);
  const double ta = t;
  const double tr = 2 * t;
  const Basic basic = basicRatio();
  const double is = simultaneousImpairment(basic.ro, basic.no, t);
  const double id = delayImpairment(basic.ro, basic.no, t, tr, ta);
  // Section 3.6: Ie,eff = Ie + (95 - Ie) * Ppl / (Ppl / BurstR + Bpl).
  const double ppl = std::clamp(input.packet_loss_percent, 0.0, 100.0);
  const double burst = std::max(1.0, input.burst_ratio);
  const double ie_eff = input.ie + (95 - input.ie) * ppl / (ppl / burst + input.bpl);
  return basic.ro - is - id - ie_eff + AdvantageFactor;
}

double mosFromR(double r) {
  if (r <= 0) {
    return 1.0;
  }
  if (r >= 100) {
    return 4.5;
  }
  // The cubic dips a hair below 1 for R under about 6.5; MOS is 1 at worst.
  return std::max(1.0, 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6);
}

}  // namespace kefu::media
