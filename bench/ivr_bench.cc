// The IVR's figures: TTS latency (espeak-ng, a 20-character prompt, cold and cached) and how many
// flow steps the interpreter runs per second on one core.
//
// usage: kefu_ivr_bench [PREFIX]   prints the figures whose names start with PREFIX (all when
// empty) as `bench: NAME VALUE UNIT`
//
// tts_ms_{zh,en}_cold: the first rendering of a prompt (engine + resampling to 8 kHz), the median
// of 20 distinct prompts of 20 characters; tts_ms_{zh,en}_cached: the same prompts asked again
// (the cache's answer). ivr_flow_steps_per_sec: the demo flow (deploy/flows/bank.yaml) driven
// through a balance inquiry (8 nodes: language, hours, menu, collect of 6 digits, HTTP dip,
// balance, menu, goodbye) by a host that answers every action at once, for about 2 s.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "core/time_source.h"
#include "ivr/flow_loader.h"
#include "ivr/flow_session.h"
#include "ivr/tts.h"

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
  ok = stepFigure(prefix) && ok;
  return ok ? 0 : 1;
}
