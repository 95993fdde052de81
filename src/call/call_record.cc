#include "call/call_record.h"

namespace kefu::call {

std::string_view toString(CallEventType type) {
  switch (type) {
    case CallEventType::Created:
      return "created";
    case CallEventType::Ringing:
      return "ringing";
    case CallEventType::Answered:
      return "answered";
    case CallEventType::Held:
      return "held";
    case CallEventType::Resumed:
      return "resumed";
    case CallEventType::Transferred:
      return "transferred";
    case CallEventType::ConsultStarted:
      return "consult_started";
    case CallEventType::Conferenced:
      return "conferenced";
    case CallEventType::RecordingStarted:
      return "recording_started";
    case CallEventType::RecordingStopped:
      return "recording_stopped";
    case CallEventType::Dtmf:
      return "dtmf";
    case CallEventType::Ended:
      return "ended";
    case CallEventType::CallbackRequested:
      return "callback_requested";
  }
  return "unknown";
}

std::optional<CallEventType> parseCallEventType(std::string_view text) {
  // The enum counts up from Created with no gaps; past its end toString() says "unknown".
  for (int i = 0; i < 256; ++i) {
    const auto type = static_cast<CallEventType>(i);
    const std::string_view name = toString(type);
    if (name == "unknown") {
      break;
    }
    if (name == text) {
      return type;
    }
  }
  return std::nullopt;
}

}  // namespace kefu::call
