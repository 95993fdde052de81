#pragma once

// ITU-T G.107 E-model: the transmission rating R of a call and the MOS it predicts.

#include "media/codec_id.h"

namespace kefu::media {

/** The factors of G.107 we measure; the others keep their G.107 default values. */
struct EModelInput {
  double ie = 0;                   // equipment impairment factor of the codec
  double bpl = 4.3;                // packet-loss robustness factor of the codec
  double packet_loss_percent = 0;  // Ppl
  double burst_ratio = 1;          // BurstR: 1 for random loss, > 1 for bursty loss
  double one_way_delay_ms = 0;     // mouth-to-ear: used as T and Ta, and Tr = 2 x T
};

/**
 * @return Ie and Bpl for a codec: G.711 with PLC per G.113 Appendix I (Ie 0, Bpl 25.1); G.722 the
 * same (the narrowband E-model gives no credit for wideband, and G.722 with PLC is at least as
 * robust as G.711); Opus, for which the ITU lists no values, Ie 6 and Bpl 20 (our estimate: better
 * than G.729A's Ie 11 at its bit rate, FEC and PLC close to G.711's robustness).
 */
EModelInput codecDefaults(CodecId codec);

/** @return R from G.107's formulas: Ro, Is and Id with default factors, Ie,eff from the input. */
double rFactor(const EModelInput& input);

/** @return the MOS (1..4.5) for a rating R, G.107 Annex B. */
double mosFromR(double r);

}  // namespace kefu::media
