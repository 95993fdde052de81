#pragma once

// Fakes of call control's collaborators: a SIP stack that records commands and tracks which
// dialogs are still open, a media engine that tracks sessions, bridges, plays and recordings,
// a router and an agent directory that record what call control tells them.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "call/agent_directory.h"
#include "call/router.h"
#include "media/engine.h"
#include "sip/sip_stack.h"

namespace kefu::call::test {

/** An SDP offer a phone could send. */
inline std::string phoneSdp(std::string_view direction = "sendrecv",
                            std::string_view address = "10.0.0.9") {
  return "v=0\r\no=- 1 1 IN IP4 " + std::string(address) + "\r\ns=-\r\nc=IN IP4 " +
         std::string(address) +
         "\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=" + std::string(direction) + "\r\n";
}

class FakeSipStack final : public sip::SipStack {
 public:
  struct Command {
    std::string kind;  // answer, reject, challenge, hangup, reinvite, answer_reinvite, notify
    sip::DialogId dialog = 0;
    int status = 0;
    std::string text;  // reason or SDP
    int retry_after_s = 0;
  };

  /** @return a new incoming dialog, counted as open until it is rejected or ended. */
  sip::DialogId newIncoming() {
    auto id = next_dialog_++;
    open_.insert(id);
    return id;
  }

  /** Records that the peer ended `dialog` (BYE, CANCEL, a failure) as the real stack would. */
  void peerEnded(sip::DialogId dialog) { open_.erase(dialog); }

  void addRegistration(const std::string& extension, const std::string& contact,
                       const std::string& source) {
    sip::Registration r;
    r.extension = extension;
    r.contact = contact;
    r.source = source;
    r.transport = "udp";
    registrations_.insert(registrations_.begin(), r);
  }

  const std::set<sip::DialogId>& openDialogs() const { return open_; }
  const std::vector<Command>& commands() const { return commands_; }
  /** @return the last command of `kind` on `dialog`, if any. */
  std::optional<Command> last(std::string_view kind, sip::DialogId dialog) const {
    for (auto it = commands_.rbegin(); it != commands_.rend(); ++it) {
      if (it->kind == kind && it->dialog == dialog) {
        return *it;
      }
    }
    return std::nullopt;
  }
  /** @return the statuses sent on an incoming dialog, in order. */
  std::vector<int> statusesOf(sip::DialogId dialog) const {
    std::vector<int> out;
    for (const auto& c : commands_) {
      if ((c.kind == "answer" || c.kind == "reject" || c.kind == "challenge") &&
          c.dialog == dialog) {
        out.push_back(c.status);
      }
    }
    return out;
  }
  bool hungUp(sip::DialogId dialog) const { return last("hangup", dialog).has_value(); }
  const std::vector<std::pair<sip::DialogId, sip::OutgoingInvite>>& invites() const {
    return invites_;
  }

  // sip::SipStack
  void setCredentials(sip::CredentialMapPtr) override {}
  void setCallListener(sip::SipCallListener*) override {}
  void answerInvite(sip::DialogId dialog, int status, std::string reason,
                    std::string sdp) override {
    commands_.push_back({"answer", dialog, status, status >= 200 ? sdp : reason, 0});
  }
  void rejectInvite(sip::DialogId dialog, int status, std::string reason,
                    int retry_after_s) override {
    commands_.push_back({"reject", dialog, status, std::move(reason), retry_after_s});
    open_.erase(dialog);
  }
  void challengeInvite(sip::DialogId dialog, std::string proxy_authenticate) override {
    commands_.push_back({"challenge", dialog, 407, std::move(proxy_authenticate), 0});
    open_.erase(dialog);
  }
  void hangUp(sip::DialogId dialog) override {
    commands_.push_back({"hangup", dialog, 0, {}, 0});
    open_.erase(dialog);
  }
  sip::DialogId invite(sip::OutgoingInvite invite) override {
    auto id = next_dialog_++;
    open_.insert(id);
    invites_.emplace_back(id, std::move(invite));
    return id;
  }
  void reinvite(sip::DialogId dialog, std::string sdp) override {
    commands_.push_back({"reinvite", dialog, 0, std::move(sdp), 0});
  }
  void answerReinvite(sip::DialogId dialog, int status, std::string sdp) override {
    commands_.push_back({"answer_reinvite", dialog, status, std::move(sdp), 0});
  }
  void notifyReferProgress(sip::DialogId dialog, int status, std::string reason) override {
    commands_.push_back({"notify", dialog, status, std::move(reason), 0});
  }
  std::vector<sip::Registration> registrations() const override { return registrations_; }
  std::vector<std::string> contactsOf(std::string_view extension) const override {
    std::vector<std::string> out;
    for (const auto& r : registrations_) {
      if (r.extension == extension) {
        out.push_back(r.contact);
      }
    }
    return out;
  }
  const sip::SipCounters& counters() const override { return counters_; }
  const sip::RegistrarCounters& registrarCounters() const override { return registrar_; }

 private:
  sip::DialogId next_dialog_ = 1000;
  std::set<sip::DialogId> open_;
  std::vector<Command> commands_;
  std::vector<std::pair<sip::DialogId, sip::OutgoingInvite>> invites_;
  std::vector<sip::Registration> registrations_;
  sip::SipCounters counters_;
  sip::RegistrarCounters registrar_;
};

class FakeMediaEngine final : public media::MediaEngine {
 public:
  struct Session {
    std::uint64_t affinity = 0;
    bool answered = false;  // an answer session, or an offer whose answer was accepted
    std::string remote_sdp;
    bool in_band_dtmf = true;
  };
  struct Play {
    std::uint64_t play_id = 0;
    bool loop = false;
    media::PromptPtr prompt;
  };
  struct Recording {
    media::SessionId right = 0;
    std::string path;
    bool paused = false;
  };

  /** Where destroy() sends the final quality report (as the engine does, on its thread). */
  media::MediaEngineListener* listener = nullptr;
  bool fail_offer = false;
  bool fail_recording = false;

  const std::map<media::SessionId, Session>& sessions() const { return sessions_; }
  std::optional<media::SessionId> partnerOf(media::SessionId id) const {
    auto it = bridges_.find(id);
    return it == bridges_.end() ? std::nullopt : std::optional(it->second);
  }
  const Play* playing(media::SessionId id) const {
    auto it = plays_.find(id);
    return it == plays_.end() ? nullptr : &it->second;
  }
  const std::map<media::SessionId, Recording>& recordings() const { return recordings_; }
  const std::map<media::SessionId, media::ConferenceId>& conferences() const {
    return conferences_;
  }
  const std::vector<media::SessionId>& destroyed() const { return destroyed_; }

  Result<media::SessionSdp> answer(std::string_view offer_sdp,
                                   const media::SessionOptions& options) override {
    if (offer_sdp.find("m=audio") == std::string_view::npos) {
      return Error::invalid("sdp", "no audio");
    }
    auto id = next_session_++;
    sessions_[id] = Session{options.affinity, true, std::string(offer_sdp), options.in_band_dtmf};
    return media::SessionSdp{id, "answer-of-session-" + std::to_string(id)};
  }
  Result<media::SessionSdp> offer(const media::SessionOptions& options) override {
    if (fail_offer) {
      return Error{ErrorCode::Unavailable, "no ports", {}};
    }
    auto id = next_session_++;
    sessions_[id] = Session{options.affinity, false, {}, options.in_band_dtmf};
    return media::SessionSdp{id, "offer-of-session-" + std::to_string(id)};
  }
  Result<void> acceptAnswer(media::SessionId id, std::string_view answer_sdp) override {
    auto it = sessions_.find(id);
    if (it == sessions_.end() || answer_sdp.find("m=audio") == std::string_view::npos) {
      return Error::invalid("sdp", "bad answer");
    }
    if (it->second.answered) {
      return Error{ErrorCode::Conflict, "the media session has no offer to answer", {}};
    }
    it->second.answered = true;
    it->second.remote_sdp = std::string(answer_sdp);
    return {};
  }
  Result<std::string> reanswer(media::SessionId id, std::string_view offer_sdp) override {
    if (!sessions_.contains(id) || offer_sdp.find("m=audio") == std::string_view::npos) {
      return Error::invalid("sdp", "bad offer");
    }
    return "reanswer-of-session-" + std::to_string(id);
  }
  Result<void> bridge(media::SessionId a, media::SessionId b) override {
    auto ia = sessions_.find(a);
    auto ib = sessions_.find(b);
    if (ia == sessions_.end() || ib == sessions_.end() ||
        ia->second.affinity != ib->second.affinity) {
      return Error::invalid("session", "cannot bridge");
    }
    unbridge(a);
    unbridge(b);
    bridges_[a] = b;
    bridges_[b] = a;
    return {};
  }
  void unbridge(media::SessionId id) override {
    auto it = bridges_.find(id);
    if (it != bridges_.end()) {
      bridges_.erase(it->second);
      bridges_.erase(it);
    }
  }
  void play(media::SessionId id, media::PromptPtr prompt, bool loop, uint64_t play_id) override {
    if (sessions_.contains(id)) {
      plays_[id] = Play{play_id, loop, std::move(prompt)};
    }
  }
  void stopPlay(media::SessionId id) override { plays_.erase(id); }
  void sendDtmf(media::SessionId, char, int) override {}
  Result<void> startRecording(media::SessionId left, media::SessionId right,
                              const std::string& path) override {
    if (fail_recording || !sessions_.contains(left)) {
      return Error::invalid("path", "cannot write " + path);
    }
    recordings_[left] = Recording{right, path, false};
    return {};
  }
  void pauseRecording(media::SessionId left, bool paused) override {
    if (auto it = recordings_.find(left); it != recordings_.end()) {
      it->second.paused = paused;
    }
  }
  void stopRecording(media::SessionId left) override { recordings_.erase(left); }
  Result<void> joinConference(media::ConferenceId conference, media::SessionId id,
                              media::Mixer::Role, media::SessionId) override {
    if (!sessions_.contains(id)) {
      return Error::notFound("session");
    }
    unbridge(id);
    conferences_[id] = conference;
    return {};
  }
  void setConferenceMuted(media::SessionId, bool) override {}
  void leaveConference(media::SessionId id) override { conferences_.erase(id); }
  void setTap(media::SessionId, std::shared_ptr<media::AudioTap>) override {}
  void destroy(media::SessionId id) override {
    if (sessions_.erase(id) == 0) {
      return;
    }
    destroyed_.push_back(id);
    unbridge(id);
    plays_.erase(id);
    recordings_.erase(id);
    conferences_.erase(id);
    if (listener != nullptr) {
      media::QualityReport report;
      report.final = true;
      report.mos = 4.2;
      report.loss_percent = 0.5;
      report.jitter_ms = 3;
      listener->onQuality(id, report);
    }
  }
  media::EngineCounters counters() const override { return {}; }
  const std::string& advertisedAddress() const override { return address_; }

 private:
  media::SessionId next_session_ = 1;
  std::map<media::SessionId, Session> sessions_;
  std::map<media::SessionId, media::SessionId> bridges_;
  std::map<media::SessionId, Play> plays_;
  std::map<media::SessionId, Recording> recordings_;
  std::map<media::SessionId, media::ConferenceId> conferences_;
  std::vector<media::SessionId> destroyed_;
  std::string address_ = "127.0.0.1";
};

/** Records every call as "method call_id [args]". */
class FakeRouter final : public Router {
 public:
  std::vector<std::string> log;
  std::optional<Error> enqueue_error;
  std::optional<Error> transfer_error;
  std::optional<Error> callback_error;

  bool saw(const std::string& line) const {
    for (const auto& l : log) {
      if (l == line) {
        return true;
      }
    }
    return false;
  }

  Result<void> enqueue(const QueuedCall& call) override {
    log.push_back("enqueue " + call.call_id + " " + call.queue_id + " " +
                  std::to_string(call.priority));
    if (enqueue_error) {
      return *enqueue_error;
    }
    return {};
  }
  void agentAnswered(std::string_view call_id, std::string_view agent_id) override {
    log.push_back("answered " + std::string(call_id) + " " + std::string(agent_id));
  }
  void agentDeclined(std::string_view call_id, std::string_view agent_id,
                     std::string_view reason) override {
    log.push_back("declined " + std::string(call_id) + " " + std::string(agent_id) + " " +
                  std::string(reason));
  }
  void callerLeft(std::string_view call_id) override {
    log.push_back("callerLeft " + std::string(call_id));
  }
  void talkEnded(std::string_view call_id) override {
    log.push_back("talkEnded " + std::string(call_id));
  }
  void holdChanged(std::string_view call_id, bool held) override {
    log.push_back("hold " + std::string(call_id) + (held ? " on" : " off"));
  }
  Result<void> transferToQueue(std::string_view call_id, std::string_view queue_id) override {
    log.push_back("transferToQueue " + std::string(call_id) + " " + std::string(queue_id));
    if (transfer_error) {
      return *transfer_error;
    }
    return {};
  }
  void transferredAway(std::string_view call_id, std::string_view target) override {
    log.push_back("transferredAway " + std::string(call_id) + " " + std::string(target));
  }
  Result<void> consultQueue(std::string_view call_id, std::string_view queue_id) override {
    log.push_back("consultQueue " + std::string(call_id) + " " + std::string(queue_id));
    return {};
  }
  void consultCompleted(std::string_view call_id) override {
    log.push_back("consultCompleted " + std::string(call_id));
  }
  void consultCancelled(std::string_view call_id) override {
    log.push_back("consultCancelled " + std::string(call_id));
  }
  Result<void> requestCallback(std::string_view call_id) override {
    log.push_back("requestCallback " + std::string(call_id));
    if (callback_error) {
      return *callback_error;
    }
    return {};
  }
  void callbackConnected(std::string_view call_id) override {
    log.push_back("callbackConnected " + std::string(call_id));
  }
  void callbackFailed(std::string_view call_id) override {
    log.push_back("callbackFailed " + std::string(call_id));
  }
};

class FakeAgentDirectory final : public AgentDirectory {
 public:
  std::map<std::string, std::string, std::less<>> extension_of;  // agent → extension

  std::optional<std::string> extensionOf(std::string_view agent_id) const override {
    auto it = extension_of.find(agent_id);
    return it == extension_of.end() ? std::nullopt : std::optional(it->second);
  }
  std::optional<std::string> agentOfExtension(std::string_view extension) const override {
    for (const auto& [agent, ext] : extension_of) {
      if (ext == extension) {
        return agent;
      }
    }
    return std::nullopt;
  }
};

}  // namespace kefu::call::test
