#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "call/call_control.h"
#include "core/event_loop.h"
#include "core/time_source.h"
#include "fakes.h"

namespace kefu::call::test {

using Kind = sip::DialogEvent::Kind;

/**
 * Call control with fake SIP, media, router and agents on a loop driven by the test with
 * simulated time. Entry points: 100 → queue "support" (greeting "hello.wav"), 101 → queue
 * "sales", 200 → extension 301, 300 → number 5551234, 400 → announcement "bye.wav", 500 →
 * disabled. Agents: ag_1 at extension 301 (phone at 10.0.0.31), ag_2 at 302 (10.0.0.32),
 * ag_3 at 303 (no phone registered). Trunk: 192.0.2.1.
 */
class CallControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config.trunks = {TrunkConfig{"carrier", {"192.0.2.1"}}};
    config.gateway = GatewayConfig{"gw.example.net:5060", "kefu", "secret"};
    config.music_on_hold = "moh.wav";
    config.recording_dir = "/rec";
    config.prompt_loader = [](const std::string& path) -> Result<media::PromptPtr> {
      if (path == "missing.wav") {
        return Error::notFound(path);
      }
      auto prompt = std::make_shared<media::Prompt>();
      prompt->samples.assign(path.size() * 10, 0);
      return media::PromptPtr(prompt);
    };
    agents.extension_of = {{"ag_1", "301"}, {"ag_2", "302"}, {"ag_3", "303"}};
    sip.addRegistration("301", "sip:301@10.0.0.31:5060", "10.0.0.31:5060");
    sip.addRegistration("302", "sip:302@10.0.0.32:5060", "10.0.0.32:5060");
    entry_points = {
        entry("ep_support", "100", {TargetKind::Queue, "support"}, "hello.wav"),
        entry("ep_sales", "101", {TargetKind::Queue, "sales"}),
        entry("ep_ext", "200", {TargetKind::Extension, "301"}),
        entry("ep_out", "300", {TargetKind::Number, "5551234"}),
        entry("ep_info", "400", {TargetKind::Announcement, "bye.wav"}),
        entry("ep_off", "500", {TargetKind::Queue, "support"}),
    };
    entry_points.back().enabled = false;
  }

  void TearDown() override {
    if (control) {
      sip.setCallListener(nullptr);
      loop.stop();
    }
  }

  static EntryPoint entry(std::string id, std::string number, Target target,
                          std::string greeting = {}) {
    EntryPoint e;
    e.id = std::move(id);
    e.number = std::move(number);
    e.name = e.id;
    e.target = std::move(target);
    e.greeting = std::move(greeting);
    e.priority = 2;
    return e;
  }

  /** Builds call control with `config` and the entry points. */
  void start() {
    loop.runReadyForTest();  // makes this thread the loop's
    control = std::make_unique<CallControl>(
        loop, time, sip, media, router, agents, [this](const CallEvent& e) { events.push_back(e); },
        config);
    media.listener = control.get();
    control->setEntryPoints(entry_points);
  }

  void run() { loop.runReadyForTest(); }

  /** An INVITE from `source_host` to `user`; @return its dialog. */
  sip::DialogId callIn(const std::string& user, const std::string& source_host = "192.0.2.1",
                       std::string sdp = phoneSdp()) {
    sip::IncomingInvite invite;
    invite.dialog = sip.newIncoming();
    invite.request_uri = "sip:" + user + "@kefu.example.com";
    invite.from_uri = "sip:+4930123@carrier.example";
    invite.to_uri = invite.request_uri;
    invite.call_id = "cid-" + std::to_string(invite.dialog);
    invite.sdp = std::move(sdp);
    invite.content_type = invite.sdp.empty() ? "" : "application/sdp";
    invite.source = "udp:" + source_host + ":5060";
    invite.source_host = source_host;
    invite.proxy_authorization = std::exchange(proxy_authorization, {});
    control->onIncomingInvite(invite);
    run();
    return invite.dialog;
  }

  /** Delivers a dialog event as the SIP thread would. */
  void dialogEvent(sip::DialogId dialog, Kind kind, int status = 0, std::string sdp = {}) {
    sip::DialogEvent event;
    event.dialog = dialog;
    event.kind = kind;
    event.status = status;
    event.sdp = std::move(sdp);
    if (kind == Kind::ByeReceived || kind == Kind::Cancelled || kind == Kind::Failed ||
        kind == Kind::Terminated) {
      sip.peerEnded(dialog);
    }
    control->onDialogEvent(event);
    run();
  }

  /** The peer ends an established dialog (BYE, then the dialog is gone). */
  void bye(sip::DialogId dialog) {
    dialogEvent(dialog, Kind::ByeReceived);
    dialogEvent(dialog, Kind::Terminated);
  }

  /** An outgoing INVITE fails with `status`. */
  void fail(sip::DialogId dialog, int status) {
    dialogEvent(dialog, Kind::Failed, status);
    dialogEvent(dialog, Kind::Terminated, status);
  }

  void answer(sip::DialogId dialog) { dialogEvent(dialog, Kind::Answered, 200, phoneSdp()); }

  /** @return the newest outgoing INVITE's dialog. */
  sip::DialogId lastInvite() const {
    EXPECT_FALSE(sip.invites().empty());
    return sip.invites().empty() ? 0 : sip.invites().back().first;
  }
  const sip::OutgoingInvite& lastInviteRequest() const { return sip.invites().back().second; }

  /** @return the only call's id (fails the test when there is not exactly one). */
  std::string onlyCall() const {
    auto calls = control->calls();
    EXPECT_EQ(calls.size(), 1u);
    return calls.empty() ? std::string() : calls.front().id;
  }
  CallSnapshot snapshot(const std::string& id) const {
    auto s = control->call(id);
    EXPECT_TRUE(s.ok());
    return s.ok() ? *s : CallSnapshot{};
  }
  /** @return the caller's media session of call `id`. */
  media::SessionId callerSession(const std::string& id) const {
    for (const auto& leg : snapshot(id).legs) {
      if (leg.role == "caller") {
        return leg.session;
      }
    }
    return 0;
  }
  media::SessionId legSession(const std::string& id, const std::string& role) const {
    for (const auto& leg : snapshot(id).legs) {
      if (leg.role == role) {
        return leg.session;
      }
    }
    return 0;
  }

  sip::DialogId legDialog(const std::string& id, const std::string& role) const {
    for (const auto& leg : snapshot(id).legs) {
      if (leg.role == role) {
        return leg.dialog;
      }
    }
    return 0;
  }

  /** A trunk call to queue "sales" answered by `agent`; @return the call id. */
  std::string talkingToAgent(const std::string& agent = "ag_1") {
    callIn("101");
    auto id = onlyCall();
    control->ringAgent(id, agent, false);
    run();
    answer(lastInvite());
    return id;
  }

  std::vector<CallEventType> eventTypes() const {
    std::vector<CallEventType> out;
    for (const auto& e : events) {
      out.push_back(e.type);
    }
    return out;
  }
  const CallEvent* lastEvent(CallEventType type) const {
    for (auto it = events.rbegin(); it != events.rend(); ++it) {
      if (it->type == type) {
        return &*it;
      }
    }
    return nullptr;
  }
  /** @return the last event of `type`, or an empty one (call_id "<none>") when there is none. */
  CallEvent event(CallEventType type) const {
    const auto* e = lastEvent(type);
    return e == nullptr ? CallEvent{.call_id = "<none>"} : *e;
  }
  /** @return the last Ended event's cause, or "<none>". */
  std::string endedCause() const {
    const auto* e = lastEvent(CallEventType::Ended);
    return e == nullptr ? "<none>" : e->cause;
  }
  std::uint64_t ended(EndCause cause) const {
    return control->counters().ended[static_cast<std::size_t>(cause)].load();
  }

  /** Nothing is left: no call, no open dialog, no media session, gauges back at zero. */
  void expectNothingLeft() {
    run();
    EXPECT_TRUE(control->calls().empty());
    EXPECT_TRUE(sip.openDialogs().empty()) << "open dialogs: " << sip.openDialogs().size();
    EXPECT_TRUE(media.sessions().empty()) << "media sessions: " << media.sessions().size();
    EXPECT_EQ(control->counters().calls_active.load(), 0);
    EXPECT_EQ(control->counters().legs_active.load(), 0);
    EXPECT_EQ(control->counters().media_sessions_active.load(), 0);
  }

  SimulatedTime time;
  std::string proxy_authorization;  // the next callIn()'s Proxy-Authorization (then cleared)
  EventLoop loop{time};
  FakeSipStack sip;
  FakeMediaEngine media;
  FakeRouter router;
  FakeAgentDirectory agents;
  CallControlConfig config;
  std::vector<EntryPoint> entry_points;
  std::vector<CallEvent> events;
  std::unique_ptr<CallControl> control;
};

}  // namespace kefu::call::test
