// Kefu's own INVITEs and what happens inside the dialogs, against baresip phones on loopback
// (driven through ctrl_tcp): answered calls hung up by BYE, ringing calls cancelled, refused and
// unreachable calls, hold by re-INVITE in both directions, a blind transfer by REFER.

#include <gtest/gtest.h>

#include <filesystem>

#include "sip/sip_stack.h"
#include "support/sip/baresip_agent.h"
#include "support/sip/baresip_phone.h"
#include "support/sip/call_recorder.h"
#include "support/sip/sip_socket.h"

namespace kefu::sip {
namespace {

using namespace std::chrono_literals;
using Kind = DialogEvent::Kind;
using testing::BaresipPhone;
using testing::CallRecorder;

class NullListener : public SipStackListener {
 public:
  void onRegistration(const BindingChange&) override {}
};

std::string offer(uint16_t rtp_port, const char* direction = "sendrecv", int version = 1) {
  return "v=0\r\no=kefu 1 " + std::to_string(version) +
         " IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio " +
         std::to_string(rtp_port) + " RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\na=" + direction +
         "\r\n";
}

class OutgoingCallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::makeTempDir("kefu-sip-call-");
    ASSERT_FALSE(dir_.empty());
    port_ = testing::freeSipPort();
    SipConfig config;
    config.sip = {"127.0.0.1", port_};
    auto started = startSipStack(config, listener_, time_);
    ASSERT_TRUE(started.ok()) << started.error().message;
    stack_ = std::move(*started);
    stack_->setCallListener(&calls_);
  }
  void TearDown() override {
    if (stack_) {
      stack_->setCallListener(nullptr);
    }
    stack_.reset();
    phones_.clear();
    std::filesystem::remove_all(dir_);
  }

  BaresipPhone& phone(const std::string& user, bool auto_answer) {
    const std::string dir = dir_ + "/" + user;
    std::filesystem::create_directories(dir);
    phones_.push_back(std::make_unique<BaresipPhone>(dir, user, auto_answer));
    return *phones_.back();
  }

  OutgoingInvite inviteTo(const std::string& uri) {
    OutgoingInvite invite;
    invite.request_uri = uri;
    invite.from_uri = "sip:4000@127.0.0.1:" + std::to_string(port_);
    invite.from_display = "Kefu \"Queue\"";
    invite.sdp = offer(40000);
    invite.headers = {"X-Kefu-Call: test-1"};
    return invite;
  }

  // Waits until the stack holds no dialog (the counter drops just before Terminated is sent).
  bool noDialogLeft() {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (stack_->counters().dialogs_active.load() != 0 &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);
    }
    return stack_->counters().dialogs_active.load() == 0;
  }

  // Places a call to an auto-answering phone and waits until both ends have it established.
  DialogId establish(BaresipPhone& callee) {
    const DialogId id = stack_->invite(inviteTo(callee.uri()));
    auto answered = calls_.waitEvent(Kind::Answered, id, 10s);
    EXPECT_TRUE(answered.has_value()) << callee.log();
    EXPECT_TRUE(callee.waitEvent("CALL_ESTABLISHED", 5s).has_value()) << callee.log();
    return id;
  }

  std::string dir_;
  uint16_t port_ = 0;
  NullListener listener_;
  RealTimeSource time_;
  CallRecorder calls_;
  SipStackPtr stack_;
  std::vector<std::unique_ptr<BaresipPhone>> phones_;
};

TEST_F(OutgoingCallTest, AnsweredCallCarriesSdpAndHangUpSendsBye) {
  BaresipPhone& agent = phone("agent", true);
  ASSERT_TRUE(agent.running()) << agent.log();
  const DialogId id = stack_->invite(inviteTo(agent.uri()));
  EXPECT_NE(id, 0u);
  auto answered = calls_.waitEvent(Kind::Answered, id, 10s);
  ASSERT_TRUE(answered.has_value()) << agent.log();
  EXPECT_EQ(answered->status, 200);
  EXPECT_NE(answered->sdp.find("m=audio "), std::string::npos) << answered->sdp;
  EXPECT_NE(answered->sdp.find("PCMU"), std::string::npos) << answered->sdp;
  auto incoming = agent.waitEvent("CALL_ESTABLISHED", 5s);
  ASSERT_TRUE(incoming.has_value()) << agent.log();
  EXPECT_EQ(stack_->counters().invites_sent.load(), 1u);
  EXPECT_EQ(stack_->counters().dialogs_active.load(), 1u);

  stack_->hangUp(id);
  EXPECT_TRUE(agent.waitEvent("CALL_CLOSED", 5s).has_value()) << agent.log();
  auto terminated = calls_.waitEvent(Kind::Terminated, id, 5s);
  ASSERT_TRUE(terminated.has_value());
  EXPECT_EQ(calls_.count(Kind::Failed), 0u);
  EXPECT_TRUE(noDialogLeft());
}

TEST_F(OutgoingCallTest, PhoneHangingUpIsByeReceivedThenTerminated) {
  BaresipPhone& agent = phone("agent", true);
  ASSERT_TRUE(agent.running()) << agent.log();
  const DialogId id = establish(agent);
  ASSERT_TRUE(agent.command("hangup"));
  EXPECT_TRUE(calls_.waitEvent(Kind::ByeReceived, id, 5s).has_value()) << agent.log();
  EXPECT_TRUE(calls_.waitEvent(Kind::Terminated, id, 5s).has_value());
  EXPECT_TRUE(noDialogLeft());
}

TEST_F(OutgoingCallTest, RingingCallIsCancelledByHangUp) {
  BaresipPhone& agent = phone("agent", false);
  ASSERT_TRUE(agent.running()) << agent.log();
  const DialogId id = stack_->invite(inviteTo(agent.uri()));
  ASSERT_TRUE(agent.waitEvent("CALL_INCOMING", 10s).has_value()) << agent.log();
  auto ringing = calls_.waitEvent(Kind::Progress, id, 5s);
  ASSERT_TRUE(ringing.has_value()) << agent.log();
  EXPECT_EQ(ringing->status, 180);

  stack_->hangUp(id);
  EXPECT_TRUE(agent.waitEvent("CALL_CLOSED", 5s).has_value()) << agent.log();
  auto failed = calls_.waitEvent(Kind::Failed, id, 5s);
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->status, 487);
  EXPECT_TRUE(calls_.waitEvent(Kind::Terminated, id, 5s).has_value());
  EXPECT_EQ(calls_.count(Kind::Answered), 0u);
  EXPECT_TRUE(noDialogLeft());
}

TEST_F(OutgoingCallTest, PhoneRejectingTheCallIsFailed) {
  BaresipPhone& agent = phone("agent", false);
  ASSERT_TRUE(agent.running()) << agent.log();
  const DialogId id = stack_->invite(inviteTo(agent.uri()));
  ASSERT_TRUE(agent.waitEvent("CALL_INCOMING", 10s).has_value()) << agent.log();
  ASSERT_TRUE(agent.command("hangup"));  // baresip refuses a call it has not answered
  auto failed = calls_.waitEvent(Kind::Failed, id, 5s);
  ASSERT_TRUE(failed.has_value()) << agent.log();
  EXPECT_GE(failed->status, 400);
  EXPECT_TRUE(calls_.waitEvent(Kind::Terminated, id, 5s).has_value());
  EXPECT_TRUE(noDialogLeft());
}

TEST_F(OutgoingCallTest, InviteToAPortNobodyListensOnFails) {
  const uint16_t nobody = testing::freeSipPort();
  const DialogId id =
      stack_->invite(inviteTo("sip:agent@127.0.0.1:" + std::to_string(nobody) + ";transport=tcp"));
  auto failed = calls_.waitEvent(Kind::Failed, id, 10s);
  ASSERT_TRUE(failed.has_value());
  EXPECT_GE(failed->status, 500);
  EXPECT_TRUE(calls_.waitEvent(Kind::Terminated, id, 5s).has_value());
  EXPECT_TRUE(noDialogLeft());
}

TEST_F(OutgoingCallTest, HangUpBeforeAnyResponseEndsTheCallPromptly) {
  // A UDP socket that takes the INVITE and never answers (no ICMP error either).
  testing::SipSocket silent(testing::SipSocket::Transport::Udp, port_);
  const DialogId id = stack_->invite(
      inviteTo("sip:agent@127.0.0.1:" + std::to_string(silent.localPort()) + ";transport=udp"));
  stack_->hangUp(id);
  // Without a provisional response no CANCEL may go out yet (RFC 3261 9.1): call control is
  // released at once rather than after the INVITE's 32 s timeout.
  auto failed = calls_.waitEvent(Kind::Failed, id, 2s);
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->status, 487);
  EXPECT_TRUE(calls_.waitEvent(Kind::Terminated, id, 2s).has_value());
  EXPECT_EQ(calls_.count(Kind::Answered), 0u);
  EXPECT_TRUE(noDialogLeft());
}

TEST_F(OutgoingCallTest, InviteToAnUnusableUriFailsAndLeavesNoDialog) {
  const DialogId first = stack_->invite(inviteTo("this is not a uri"));
  const DialogId second = stack_->invite(inviteTo("sip:"));
  EXPECT_NE(first, second);
  for (const DialogId id : {first, second}) {
    auto failed = calls_.waitEvent(Kind::Failed, id, 5s);
    ASSERT_TRUE(failed.has_value());
    EXPECT_GE(failed->status, 400);
    EXPECT_TRUE(calls_.waitEvent(Kind::Terminated, id, 5s).has_value());
  }
  EXPECT_TRUE(noDialogLeft());
}

TEST_F(OutgoingCallTest, HoldFromThePhoneIsAReinviteWeAnswer) {
  BaresipPhone& agent = phone("agent", true);
  ASSERT_TRUE(agent.running()) << agent.log();
  const DialogId id = establish(agent);

  ASSERT_TRUE(agent.command("hold"));
  auto reinvite = calls_.waitEvent(Kind::ReinviteReceived, id, 5s);
  ASSERT_TRUE(reinvite.has_value()) << agent.log();
  EXPECT_NE(reinvite->sdp.find("a=sendonly"), std::string::npos) << reinvite->sdp;
  stack_->answerReinvite(id, 200, offer(40000, "recvonly", 2));

  // The phone took our answer: the call goes on, and our own re-INVITE (resume) is answered.
  stack_->reinvite(id, offer(40000, "sendrecv", 3));
  auto answered = calls_.waitEvent(Kind::ReinviteAnswered, id, 5s);
  ASSERT_TRUE(answered.has_value()) << agent.log();
  EXPECT_EQ(answered->status, 200);
  EXPECT_NE(answered->sdp.find("m=audio "), std::string::npos) << answered->sdp;
  EXPECT_EQ(stack_->counters().reinvites_sent.load(), 1u);
  EXPECT_EQ(calls_.count(Kind::Terminated), 0u) << agent.log();

  stack_->hangUp(id);
  EXPECT_TRUE(agent.waitEvent("CALL_CLOSED", 5s).has_value()) << agent.log();
  EXPECT_TRUE(noDialogLeft());
}

TEST_F(OutgoingCallTest, PhoneCallingUsPutsTheCallOnHoldAndWeResumeIt) {
  calls_.onInvite([this](const IncomingInvite& invite) {
    stack_->answerInvite(invite.dialog, 200, "", offer(40000));
  });
  BaresipPhone& caller = phone("caller", false);
  ASSERT_TRUE(caller.running()) << caller.log();
  ASSERT_TRUE(caller.command("dial", "sip:1001@127.0.0.1:" + std::to_string(port_)));
  auto invite = calls_.waitInvite(10s);
  ASSERT_TRUE(invite.has_value()) << caller.log();
  EXPECT_EQ(invite->source_host, "127.0.0.1");
  const DialogId id = invite->dialog;
  ASSERT_TRUE(caller.waitEvent("CALL_ESTABLISHED", 5s).has_value()) << caller.log();
  EXPECT_TRUE(calls_.waitEvent(Kind::Acked, id, 5s).has_value());

  ASSERT_TRUE(caller.command("hold"));
  auto hold = calls_.waitEvent(Kind::ReinviteReceived, id, 5s);
  ASSERT_TRUE(hold.has_value()) << caller.log();
  EXPECT_NE(hold->sdp.find("a=sendonly"), std::string::npos) << hold->sdp;
  stack_->answerReinvite(id, 200, offer(40000, "recvonly", 2));
  stack_->reinvite(id, offer(40000, "sendrecv", 3));
  auto resumed = calls_.waitEvent(Kind::ReinviteAnswered, id, 5s);
  ASSERT_TRUE(resumed.has_value()) << caller.log();
  EXPECT_EQ(resumed->status, 200);
  EXPECT_EQ(calls_.count(Kind::Acked), 1u);  // the re-INVITEs' ACKs are not reported again

  ASSERT_TRUE(caller.command("hangup"));
  EXPECT_TRUE(calls_.waitEvent(Kind::ByeReceived, id, 5s).has_value()) << caller.log();
  EXPECT_TRUE(calls_.waitEvent(Kind::Terminated, id, 5s).has_value());
  EXPECT_TRUE(noDialogLeft());
}

TEST_F(OutgoingCallTest, BlindTransferFromThePhoneIsReferReceivedAndOurNotifyIsAnswered) {
  BaresipPhone& agent = phone("agent", true);
  ASSERT_TRUE(agent.running()) << agent.log();
  const DialogId id = establish(agent);

  ASSERT_TRUE(agent.command("transfer", "sip:2002@127.0.0.1"));
  auto refer = calls_.waitEvent(Kind::ReferReceived, id, 5s);
  ASSERT_TRUE(refer.has_value()) << agent.log();
  EXPECT_EQ(refer->refer_to, "sip:2002@127.0.0.1");
  EXPECT_TRUE(refer->replaces_call_id.empty());

  stack_->notifyReferProgress(id, 200, "OK");
  // baresip ends the transferred call once the NOTIFY reports success.
  EXPECT_TRUE(calls_.waitEvent(Kind::ByeReceived, id, 5s).has_value()) << agent.log();
  EXPECT_TRUE(calls_.waitEvent(Kind::Terminated, id, 5s).has_value());
  EXPECT_TRUE(noDialogLeft());
}

}  // namespace
}  // namespace kefu::sip
