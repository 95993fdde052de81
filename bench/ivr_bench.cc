// The IVR's figures: TTS latency (espeak-ng, a 20-character prompt, cold and cached; flite cold),
// how many flow steps the interpreter runs per second on one core, and speech recognition through
// the IVR audio path.
//
// usage: kefu_ivr_bench [PREFIX]   prints the figures whose names start with PREFIX (all when
// empty) as `bench: NAME VALUE UNIT`
//
// tts_ms_{zh,en}_cold: the first rendering of a prompt (engine + resampling to 8 kHz), the median
// of 20 distinct prompts of 20 characters; tts_ms_{zh,en}_cached: the same prompts asked again
// (the cache's answer). ivr_flow_steps_per_sec: the demo flow (deploy/flows/bank.yaml) driven
// through a balance inquiry (8 nodes: language, hours, menu, collect of 6 digits, HTTP dip,
// balance, menu, goodbye) by a host that answers every action at once, for about 2 s.
//
// tts_ms_en_flite_cold: the English prompts' first rendering with flite's slt voice, to 8 kHz.
// ivr_spoken_digit_accuracy_pct: every WAV of ../shared/data/speech/digits (300 files, 8 kHz; or
// $KEFU_SPEECH_DATA/digits) sent as a caller's audio reaches the IVR: 300 ms of silence, the
// recording and 300 ms of silence are encoded to G.711 mu-law in 20 ms packets, decoded by the
// media engine's PCMU decoder (to its 16 kHz frames) and handed frame by frame to a
// RecognizerTap feeding a pocketsphinx digits-grammar recognition; the line then stays silent
// (as a call's does) until the recognizer answers. A file counts when the digits heard equal its
// transcript's digit exactly. ivr_asr_rtf: the wall time from the first frame to the answer over
// the audio time fed, summed over the files (feeding is instant, so it is the decoding's).
#include <sndfile.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "core/time_source.h"
#include "ivr/flite_synthesizer.h"
#include "ivr/flow_loader.h"
#include "ivr/flow_session.h"
#include "ivr/pocketsphinx_recognizer.h"
#include "ivr/recognizer_tap.h"
#include "ivr/tts.h"
#include "media/codec.h"
#include "media/g711.h"

namespace {

using Clock = std::chrono::steady_clock;
using kefu::ivr::Action;

bool wanted(std::string_view name, std::string_view prefix) {
  return name.substr(0, prefix.size()) == prefix;
}

double millisSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

/** Measures one language; @return false when the engine is missing. */
bool ttsFigures(std::string_view language, const std::string& voice,
                const std::vector<std::string>& prompts, std::string_view prefix) {
  std::string cold_name = "tts_ms_" + std::string(language) + "_cold";
  std::string cached_name = "tts_ms_" + std::string(language) + "_cached";
  if (!wanted(cold_name, prefix) && !wanted(cached_name, prefix)) {
    return true;
  }
  auto engine = kefu::ivr::makeEspeakSynthesizer(8000);
  if (!engine.ok()) {
    std::fprintf(stderr, "kefu_ivr_bench: %s\n", engine.error().message.c_str());
    return false;
  }
  kefu::ivr::CachedSynthesizer cache(**engine, 1000);
  (void)(*engine)->synthesize("warm up", voice);  // loads the voice's dictionary once
  std::vector<double> cold;
  std::vector<double> cached;
  for (const auto& text : prompts) {
    auto start = Clock::now();
    auto audio = cache.synthesize(text, voice);
    cold.push_back(millisSince(start));
    if (!audio.ok() || (*audio)->samples.empty()) {
      std::fprintf(stderr, "kefu_ivr_bench: no audio for %s\n", text.c_str());
      return false;
    }
  }
  for (const auto& text : prompts) {
    auto start = Clock::now();
    (void)cache.synthesize(text, voice);
    cached.push_back(millisSince(start));
  }
  // Where the cold time goes: the engine alone, at its own rate (no resampling).
  if (auto native = kefu::ivr::makeEspeakSynthesizer(22050); native.ok()) {
    std::vector<double> engine_only;
    double audio_s = 0;
    for (const auto& text : prompts) {
      auto start = Clock::now();
      auto audio = (*native)->synthesize(text, voice);
      engine_only.push_back(millisSince(start));
      audio_s += audio.ok() ? static_cast<double>((*audio)->samples.size()) / 22050.0 : 0;
    }
    std::fprintf(stderr,
                 "kefu_ivr_bench: %s: engine alone %.2f ms (median), %.1f s of speech per "
                 "prompt\n",
                 voice.c_str(), median(engine_only), audio_s / static_cast<double>(prompts.size()));
  }
  if (wanted(cold_name, prefix)) {
    std::printf("bench: %s %.2f ms\n", cold_name.c_str(), median(cold));
  }
  if (wanted(cached_name, prefix)) {
    std::printf("bench: %s %.4f ms\n", cached_name.c_str(), median(cached));
  }
  return true;
}

/** flite's cold rendering of the English prompts; @return false when flite is missing. */
bool fliteFigure(const std::vector<std::string>& prompts, std::string_view prefix) {
  if (!wanted("tts_ms_en_flite_cold", prefix)) {
    return true;
  }
  auto engine = kefu::ivr::makeFliteSynthesizer(8000);
  if (!engine.ok()) {
    std::fprintf(stderr, "kefu_ivr_bench: %s\n", engine.error().message.c_str());
    return false;
  }
  (void)(*engine)->synthesize("warm up", "slt");  // registers the voice once
  kefu::ivr::CachedSynthesizer cache(**engine, 1000);
  std::vector<double> cold;
  double audio_s = 0;
  for (const auto& text : prompts) {
    auto start = Clock::now();
    auto audio = cache.synthesize(text, "slt");
    cold.push_back(millisSince(start));
    if (!audio.ok() || (*audio)->samples.empty()) {
      std::fprintf(stderr, "kefu_ivr_bench: flite gave no audio for %s\n", text.c_str());
      return false;
    }
    audio_s += static_cast<double>((*audio)->samples.size()) / (*audio)->rate;
  }
  std::fprintf(stderr, "kefu_ivr_bench: flite slt: %.1f s of speech per prompt\n",
               audio_s / static_cast<double>(prompts.size()));
  std::printf("bench: tts_ms_en_flite_cold %.2f ms\n", median(cold));
  return true;
}

/** @return a mono 16-bit WAV's samples and rate, or nullopt. */
std::optional<std::pair<std::vector<std::int16_t>, int>> readWav(const std::string& path) {
  SF_INFO info{};
  SNDFILE* file = sf_open(path.c_str(), SFM_READ, &info);
  if (file == nullptr || info.channels != 1) {
    if (file != nullptr) {
      sf_close(file);
    }
    return std::nullopt;
  }
  std::vector<std::int16_t> samples(static_cast<std::size_t>(info.frames));
  samples.resize(static_cast<std::size_t>(sf_readf_short(file, samples.data(), info.frames)));
  sf_close(file);
  return std::pair{std::move(samples), info.samplerate};
}

/** Waits for one recognition's answer. */
struct Answer {
  std::mutex mutex;
  std::condition_variable ready;
  std::optional<kefu::ivr::RecognitionResult> result;
};

bool speechFigures(std::string_view prefix) {
  if (!wanted("ivr_spoken_digit_accuracy_pct", prefix) && !wanted("ivr_asr_rtf", prefix)) {
    return true;
  }
  const char* data_env = std::getenv("KEFU_SPEECH_DATA");
  const std::string data =
      data_env != nullptr ? data_env : KEFU_SOURCE_DIR "/../shared/data/speech";
  auto load_start = Clock::now();
  auto recognizer = kefu::ivr::makePocketsphinxRecognizer();
  if (!recognizer.ok()) {
    std::fprintf(stderr, "kefu_ivr_bench: %s\n", recognizer.error().message.c_str());
    return false;
  }
  std::fprintf(stderr, "kefu_ivr_bench: pocketsphinx model loaded in %.0f ms\n",
               millisSince(load_start));
  std::ifstream transcripts(data + "/transcripts.tsv");
  std::string line;
  std::getline(transcripts, line);          // the header
  constexpr std::size_t NarrowFrame = 160;  // 20 ms at 8 kHz
  constexpr int PaddingPackets = 15;        // 300 ms
  constexpr int EndSilencePackets = 26;     // 520 ms, just past the end-of-speech quiet
  constexpr int MaxTrailingPackets = 250;   // 5 s more of a silent line: past the no-input limit
  int files = 0;
  int correct = 0;
  double decode_s = 0;
  double audio_s = 0;
  std::map<std::string, int> confusions;
  while (std::getline(transcripts, line)) {
    std::istringstream fields(line);
    std::string file;
    std::string text;
    std::string digit;
    std::getline(fields, file, '\t');
    std::getline(fields, text, '\t');
    std::getline(fields, digit, '\t');
    if (file.rfind("digits/", 0) != 0) {
      continue;
    }
    std::string path = data;
    path += "/";
    path += file;
    auto wav = readWav(path);
    if (!wav || wav->second != 8000) {
      std::fprintf(stderr, "kefu_ivr_bench: %s is not an 8 kHz mono WAV\n", file.c_str());
      return false;
    }
    std::vector<std::int16_t> narrow(PaddingPackets * NarrowFrame, 0);
    narrow.insert(narrow.end(), wav->first.begin(), wav->first.end());
    narrow.resize((narrow.size() + NarrowFrame - 1) / NarrowFrame * NarrowFrame, 0);
    narrow.insert(narrow.end(), PaddingPackets * NarrowFrame, 0);

    auto answer = std::make_shared<Answer>();
    kefu::ivr::RecognitionRequest request;
    request.grammar = "digits";
    request.language = "en";
    auto stream = (*recognizer)->start(request, [answer](kefu::ivr::RecognitionResult result) {
      std::lock_guard lock(answer->mutex);
      answer->result = std::move(result);
      answer->ready.notify_one();
    });
    if (stream == nullptr) {
      std::fprintf(stderr, "kefu_ivr_bench: the recognizer refused the digits grammar\n");
      return false;
    }
    constexpr kefu::media::SessionId Session = 1;
    kefu::ivr::RecognizerTap tap(Session);
    tap.attach(std::move(stream));
    auto decoder = kefu::media::makeDecoder(kefu::media::CodecId::Pcmu);
    std::array<std::uint8_t, NarrowFrame> packet{};
    kefu::media::AudioFrame frame;
    auto send = [&](const std::int16_t* pcm) {
      for (std::size_t i = 0; i < NarrowFrame; ++i) {
        packet[i] = kefu::media::linearToUlaw(pcm[i]);
      }
      decoder->decode(packet, frame);
      tap.onAudio(Session, frame);
      audio_s += 0.02;
    };
    auto answered_within = [&](std::chrono::seconds limit) {
      std::unique_lock lock(answer->mutex);
      return answer->ready.wait_for(lock, limit, [&] { return answer->result.has_value(); });
    };
    // The end of speech is found after 500 ms of quiet (PocketsphinxOptions::end_silence): the
    // line stays silent that long past the padding, as a caller's line would.
    auto start = Clock::now();
    for (std::size_t at = 0; at < narrow.size(); at += NarrowFrame) {
      send(narrow.data() + at);
    }
    const std::array<std::int16_t, NarrowFrame> silence{};
    for (int i = 0; i < EndSilencePackets; ++i) {
      send(silence.data());
    }
    auto fed = Clock::now();
    if (answered_within(std::chrono::seconds(2))) {
      decode_s += std::chrono::duration<double>(Clock::now() - start).count();
    } else {
      // No speech was found yet: the recognizer waits for audio, so the line goes on being
      // silent until its no-input limit. The wait above is not the decoder's time.
      decode_s += std::chrono::duration<double>(fed - start).count();
      auto more = Clock::now();
      for (int i = 0; i < MaxTrailingPackets; ++i) {
        send(silence.data());
      }
      if (!answered_within(std::chrono::seconds(30))) {
        std::fprintf(stderr, "kefu_ivr_bench: no answer for %s\n", file.c_str());
        return false;
      }
      decode_s += std::chrono::duration<double>(Clock::now() - more).count();
    }
    tap.detach();
    ++files;
    const auto& result = *answer->result;
    if (result.ok && result.text == digit) {
      ++correct;
    } else {
      ++confusions[digit + " as " +
                   (result.ok ? (result.text.empty() ? "nothing" : result.text)
                              : "error: " + result.error)];
    }
  }
  if (files == 0) {
    std::fprintf(stderr, "kefu_ivr_bench: no digit recordings in %s\n", data.c_str());
    return false;
  }
  for (const auto& [what, count] : confusions) {
    std::fprintf(stderr, "kefu_ivr_bench: %s: %d\n", what.c_str(), count);
  }
  std::fprintf(stderr, "kefu_ivr_bench: %d of %d spoken digits recognized, %.1f s of audio\n",
               correct, files, audio_s);
  if (wanted("ivr_spoken_digit_accuracy_pct", prefix)) {
    std::printf("bench: ivr_spoken_digit_accuracy_pct %.1f %%\n", 100.0 * correct / files);
  }
  if (wanted("ivr_asr_rtf", prefix)) {
    std::printf("bench: ivr_asr_rtf %.4f ratio\n", decode_s / audio_s);
  }
  return true;
}

/** Remembers the ids a session waits for, so the bench can answer at once. */
class InstantHost final : public kefu::ivr::FlowHost {
 public:
  void perform(const Action& action) override {
    if (const auto* play = std::get_if<kefu::ivr::PlayPrompt>(&action)) {
      prompt = play->id;
    } else if (const auto* request = std::get_if<kefu::ivr::HttpRequest>(&action)) {
      http = request->id;
    }
  }
  std::uint64_t prompt = 0;
  std::uint64_t http = 0;
};

bool stepFigure(std::string_view prefix) {
  if (!wanted("ivr_flow_steps_per_sec", prefix)) {
    return true;
  }
  auto loaded = kefu::ivr::loadFlowFile(KEFU_SOURCE_DIR "/deploy/flows/bank.yaml");
  if (!loaded.flow) {
    std::fprintf(stderr, "kefu_ivr_bench: the demo flow does not load\n");
    return false;
  }
  kefu::SimulatedTime time;
  time.advance(std::chrono::seconds{1795489200} - time.systemTime().time_since_epoch());
  kefu::ivr::SystemTimeZones zones;
  const std::string balance = R"({"balance": "1024.50", "currency": "CNY"})";
  long steps = 0;
  long calls = 0;
  auto start = Clock::now();
  double elapsed_ms = 0;
  while (elapsed_ms < 2000) {
    for (int i = 0; i < 1000; ++i) {
      InstantHost host;
      kefu::ivr::FlowSession session(loaded.flow, host, time, zones, {.caller = "+8613900000000"});
      session.start();
      session.onDigit('1');  // English
      session.onDigit('1');  // balance
      for (char key : std::string_view("622848#")) {
        session.onDigit(key);
      }
      session.onHttpResult(host.http, 200, balance);
      session.onPromptFinished(host.prompt);  // the balance was read
      session.onDigit('9');                   // goodbye
      session.onPromptFinished(host.prompt);
      if (!session.finished() || session.steps() != 8) {
        std::fprintf(stderr, "kefu_ivr_bench: the call took %d steps, ended: %d\n", session.steps(),
                     session.finished() ? 1 : 0);
        return false;
      }
      steps += session.steps();
      ++calls;
    }
    elapsed_ms = millisSince(start);
  }
  std::printf("bench: ivr_flow_steps_per_sec %.0f steps/s\n", steps * 1000.0 / elapsed_ms);
  std::fprintf(stderr, "kefu_ivr_bench: %ld calls through the demo flow in %.0f ms\n", calls,
               elapsed_ms);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string_view prefix = argc > 1 ? argv[1] : "";
  // 20 characters each: Mandarin prompts of 20 Han characters, English prompts of 20 letters
  // and spaces.
  const std::vector<std::string> zh{
      "您好欢迎致电客服银行查询余额请按一号键谢", "您的账户余额为一千零二十四元五角请问还需",
      "挂失银行卡请按二号键贷款业务请按三号键谢", "我们的服务时间是周一至周五早上八点到晚上",
      "请输入您的账号并以井号键结束输入谢谢您的", "抱歉暂时无法查询余额正在为您转接人工服务",
      "感谢您致电客服银行祝您生活愉快再见再见再", "请在提示音后留言我们会尽快给您回电谢谢您",
      "您的来电对我们非常重要请稍候正在为您转接", "普通话服务请按二号键英文服务请按一号键谢"};
  const std::vector<std::string> en{"Welcome to Kefu Bank", "Your balance is high",
                                    "Press one to go back", "Enter your account n",
                                    "Please hold the line", "Lost card press two.",
                                    "Thank you, goodbye !", "We are closed today.",
                                    "Leave us a message !", "For loans press tree"};
  bool ok = ttsFigures("zh", "cmn", zh, prefix);
  ok = ttsFigures("en", "en", en, prefix) && ok;
  ok = fliteFigure(en, prefix) && ok;
  ok = stepFigure(prefix) && ok;
  ok = speechFigures(prefix) && ok;
  return ok ? 0 : 1;
}
