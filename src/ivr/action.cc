#include "ivr/action.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace kefu::ivr {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
// clang 14 (the fuzz build) does not deduce an aggregate's template arguments by itself.
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

std::string describeTarget(const TransferTarget& target) {
  return fmt::format("{} {}", toString(target.kind), target.id);
}

}  // namespace

std::string describe(const Action& action) {
  return std::visit(
      Overloaded{
          [](const PlayPrompt& a) {
            return a.file.empty() ? fmt::format("play #{} tts {}/{} \"{}\"{}", a.id, a.language,
                                                a.voice, a.text, a.barge_in ? "" : " (no barge-in)")
                                  : fmt::format("play #{} file {}{}", a.id, a.file,
                                                a.barge_in ? "" : " (no barge-in)");
          },
          [](const StopPrompt& a) { return fmt::format("stop prompt #{}", a.id); },
          [](const StartListening& a) {
            return fmt::format("listen #{} grammar {}{}{}", a.id, a.grammar,
                               a.words.empty() ? "" : " words ", fmt::join(a.words, "|"));
          },
          [](const StopListening& a) { return fmt::format("stop listening #{}", a.id); },
          [](const StartTimer& a) { return fmt::format("timer #{} {} ms", a.id, a.after.count()); },
          [](const CancelTimer& a) { return fmt::format("cancel timer #{}", a.id); },
          [](const HttpRequest& a) {
            return fmt::format("http #{} {} {} (timeout {} ms)", a.id, a.method, a.url,
                               a.timeout.count());
          },
          [](const CancelHttp& a) { return fmt::format("cancel http #{}", a.id); },
          [](const ClassifyIntent& a) { return fmt::format("classify #{} \"{}\"", a.id, a.text); },
          [](const Transfer& a) {
            return a.reason.empty() ? fmt::format("transfer to {}", describeTarget(a.target))
                                    : fmt::format("transfer to {} (because: {})",
                                                  describeTarget(a.target), a.reason);
          },
          [](const Voicemail& a) { return fmt::format("voicemail box {}", a.mailbox); },
          [](const Callback& a) {
            return fmt::format("callback {} from queue {}", a.number, a.queue);
          },
          [](const Hangup&) { return std::string("hang up"); },
      },
      action);
}

}  // namespace kefu::ivr
