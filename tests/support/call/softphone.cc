#include "support/call/softphone.h"

#include <sndfile.h>

#include <cmath>
#include <cstddef>
#include <vector>

namespace kefu::test {

std::string writeToneWav(const std::string& path, double hz, double seconds) {
  SF_INFO info{};
  info.samplerate = 8000;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  SNDFILE* file = sf_open(path.c_str(), SFM_WRITE, &info);
  if (file == nullptr) {
    return {};
  }
  const auto samples = static_cast<std::size_t>(seconds * 8000);
  std::vector<short> pcm(samples);
  for (std::size_t n = 0; n < samples; ++n) {
    pcm[n] = static_cast<short>(std::lround(0.4 * 32767 * std::sin(2 * M_PI * hz * n / 8000.0)));
  }
  sf_write_short(file, pcm.data(), static_cast<sf_count_t>(pcm.size()));
  sf_close(file);
  return path;
}

}  // namespace kefu::test
