// The stack against SIPp scenarios (Debian's sip-tester): a gateway that wants digest
// authentication, a caller sending DTMF as SIP INFO, and a caller using 100rel (PRACK) and a
// session timer.

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "sip/sip_stack.h"
#include "support/sip/baresip_agent.h"
#include "support/sip/call_recorder.h"
#include "support/sip/sip_socket.h"
#include "support/sip/sipp_process.h"

namespace kefu::sip {
namespace {

using namespace std::chrono_literals;
using Kind = DialogEvent::Kind;
using testing::CallRecorder;
using testing::SippProcess;
using testing::sippScenario;

class NullListener : public SipStackListener {
 public:
  void onRegistration(const BindingChange&) override {}
};

constexpr const char* OurSdp =
    "v=0\r\no=kefu 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

class SippFeaturesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::makeTempDir("kefu-sip-sipp-");
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
    std::filesystem::remove_all(dir_);
  }

  OutgoingInvite inviteTo(uint16_t port, std::string user, std::string password) {
    OutgoingInvite invite;
    invite.request_uri = "sip:5551234@127.0.0.1:" + std::to_string(port);
    invite.from_uri = "sip:4000@127.0.0.1:" + std::to_string(port_);
    invite.sdp = OurSdp;
    invite.auth_user = std::move(user);
    invite.auth_password = std::move(password);
    invite.from_display = "Caller 5551234";
    invite.headers = {"X-Kefu-Call: call-42", "X-Kefu-Queue: sales"};
    return invite;
  }

  bool noDialogLeft() {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (stack_->counters().dialogs_active.load() != 0 &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);
    }
    return stack_->counters().dialogs_active.load() == 0;
  }

  std::string dir_;
  uint16_t port_ = 0;
  NullListener listener_;
  RealTimeSource time_;
  CallRecorder calls_;
  SipStackPtr stack_;
};

TEST_F(SippFeaturesTest, GatewayChallengeIsAnsweredWithTheInvitesCredentials) {
  SippProcess gateway(dir_, sippScenario("sipp_uas_digest.xml"), "");
  ASSERT_TRUE(gateway.waitListening(5s)) << gateway.log();
  const DialogId id = stack_->invite(inviteTo(gateway.port(), "trunkuser", "trunkpass"));
  auto answered = calls_.waitEvent(Kind::Answered, id, 10s);
  ASSERT_TRUE(answered.has_value()) << gateway.log();
  EXPECT_EQ(answered->status, 200);
  EXPECT_NE(answered->sdp.find("m=audio"), std::string::npos);
  EXPECT_EQ(calls_.count(Kind::Failed), 0u);
  stack_->hangUp(id);
  EXPECT_EQ(gateway.waitExit(10s), 0) << gateway.log();
  EXPECT_TRUE(calls_.waitEvent(Kind::Terminated, id, 5s).has_value());
  EXPECT_TRUE(noDialogLeft());
}

TEST_F(SippFeaturesTest, WrongPasswordIsRefusedByTheGatewayAndFails) {
  SippProcess gateway(dir_, sippScenario("sipp_uas_digest.xml"), "");
  ASSERT_TRUE(gateway.waitListening(5s)) << gateway.log();
  const DialogId id = stack_->invite(inviteTo(gateway.port(), "trunkuser", "wrong"));
  auto failed = calls_.waitEvent(Kind::Failed, id, 10s);
  ASSERT_TRUE(failed.has_value()) << gateway.log();
  EXPECT_EQ(failed->status, 403);
  EXPECT_TRUE(calls_.waitEvent(Kind::Terminated, id, 5s).has_value());
  EXPECT_EQ(calls_.count(Kind::Answered), 0u);
  EXPECT_TRUE(noDialogLeft());
}

TEST_F(SippFeaturesTest, SecondChallengeFailsWithoutAThirdAttempt) {
  SippProcess gateway(dir_, sippScenario("sipp_uas_digest_twice.xml"), "");
  ASSERT_TRUE(gateway.waitListening(5s)) << gateway.log();
  const DialogId id = stack_->invite(inviteTo(gateway.port(), "trunkuser", "trunkpass"));
  auto failed = calls_.waitEvent(Kind::Failed, id, 10s);
  ASSERT_TRUE(failed.has_value()) << gateway.log();
  EXPECT_EQ(failed->status, 401);
  EXPECT_TRUE(calls_.waitEvent(Kind::Terminated, id, 5s).has_value());
  EXPECT_EQ(gateway.waitExit(10s), 0) << gateway.log();
  EXPECT_TRUE(noDialogLeft());
}

TEST_F(SippFeaturesTest, InviteWithoutCredentialsReportsTheChallengeAsFailed) {
  SippProcess gateway(dir_, sippScenario("sipp_uas_digest_twice.xml"), "");
  ASSERT_TRUE(gateway.waitListening(5s)) << gateway.log();
  const DialogId id = stack_->invite(inviteTo(gateway.port(), "", ""));
  auto failed = calls_.waitEvent(Kind::Failed, id, 10s);
  ASSERT_TRUE(failed.has_value()) << gateway.log();
  EXPECT_EQ(failed->status, 401);
  EXPECT_TRUE(calls_.waitEvent(Kind::Terminated, id, 5s).has_value());
  EXPECT_TRUE(noDialogLeft());
}

TEST_F(SippFeaturesTest, ReliableEarlyMediaFromTheCalleeIsPrackedAndReported) {
  SippProcess callee(dir_, sippScenario("sipp_uas_100rel.xml"), "");
  ASSERT_TRUE(callee.waitListening(5s)) << callee.log();
  const DialogId id = stack_->invite(inviteTo(callee.port(), "", ""));
  auto progress = calls_.waitEvent(Kind::Progress, id, 10s);
  ASSERT_TRUE(progress.has_value()) << callee.log();
  EXPECT_EQ(progress->status, 183);
  EXPECT_NE(progress->sdp.find("m=audio"), std::string::npos) << progress->sdp;
  // The callee answers only after our PRACK (it checks the RAck).
  auto answered = calls_.waitEvent(Kind::Answered, id, 10s);
  ASSERT_TRUE(answered.has_value()) << callee.log();
  stack_->hangUp(id);
  EXPECT_EQ(callee.waitExit(10s), 0) << callee.log();
  EXPECT_TRUE(calls_.waitEvent(Kind::Terminated, id, 5s).has_value());
  EXPECT_TRUE(noDialogLeft());
}

TEST_F(SippFeaturesTest, AttendedTransferReferCarriesReplacesAndOurNotifyEndsTheSubscription) {
  calls_.onInvite([this](const IncomingInvite& invite) {
    stack_->answerInvite(invite.dialog, 200, "", OurSdp);
  });
  SippProcess phone(dir_, sippScenario("sipp_uac_refer.xml"), "127.0.0.1:" + std::to_string(port_),
                    {"-s", "1001"});
  auto invite = calls_.waitInvite(10s);
  ASSERT_TRUE(invite.has_value()) << phone.log();
  auto refer = calls_.waitEvent(Kind::ReferReceived, invite->dialog, 10s);
  ASSERT_TRUE(refer.has_value()) << phone.log();
  EXPECT_EQ(refer->refer_to, "sip:2002@127.0.0.1");
  EXPECT_EQ(refer->replaces_call_id, "consult-1@127.0.0.1");
  EXPECT_EQ(refer->replaces_to_tag, "tt1");
  EXPECT_EQ(refer->replaces_from_tag, "ff2");
  stack_->notifyReferProgress(invite->dialog, 200, "OK");
  // The phone checks both NOTIFYs (100 Trying active, then 200 OK terminated) and hangs up.
  EXPECT_EQ(phone.waitExit(10s), 0) << phone.log();
  EXPECT_TRUE(calls_.waitEvent(Kind::Terminated, invite->dialog, 5s).has_value());
  EXPECT_TRUE(noDialogLeft());
}

TEST_F(SippFeaturesTest, ReferWithoutAUsableTargetFailsAtOnceAndNeverReachesCallControl) {
  calls_.onInvite([this](const IncomingInvite& invite) {
    stack_->answerInvite(invite.dialog, 200, "", OurSdp);
  });
  SippProcess phone(dir_, sippScenario("sipp_uac_refer_bad.xml"),
                    "127.0.0.1:" + std::to_string(port_), {"-s", "1001"});
  // The phone checks the NOTIFY with the 400 sipfrag and hangs up.
  EXPECT_EQ(phone.waitExit(10s), 0) << phone.log();
  EXPECT_TRUE(calls_.waitEvent(Kind::ByeReceived, 0, 5s).has_value());
  EXPECT_EQ(calls_.count(Kind::ReferReceived), 0u);
  EXPECT_EQ(stack_->counters().malformed.load(), 1u);
  EXPECT_TRUE(noDialogLeft());
}

TEST_F(SippFeaturesTest, InfoInADialogIsAnsweredAndReported) {
  calls_.onInvite([this](const IncomingInvite& invite) {
    stack_->answerInvite(invite.dialog, 200, "", OurSdp);
  });
  SippProcess caller(dir_, sippScenario("sipp_uac_info.xml"), "127.0.0.1:" + std::to_string(port_),
                     {"-s", "1001"});
  auto invite = calls_.waitInvite(10s);
  ASSERT_TRUE(invite.has_value()) << caller.log();
  EXPECT_EQ(invite->source_host, "127.0.0.1");
  auto info = calls_.waitEvent(Kind::InfoReceived, invite->dialog, 10s);
  ASSERT_TRUE(info.has_value()) << caller.log();
  EXPECT_EQ(info->content_type, "application/dtmf-relay");
  EXPECT_NE(info->body.find("Signal=5"), std::string::npos) << info->body;
  EXPECT_EQ(caller.waitExit(10s), 0) << caller.log();  // the INFO and the BYE got their 200
  EXPECT_TRUE(calls_.waitEvent(Kind::ByeReceived, invite->dialog, 5s).has_value());
  EXPECT_TRUE(noDialogLeft());
}

TEST_F(SippFeaturesTest, ReliableProvisionalIsPrackedAndTheSessionTimerNegotiated) {
  calls_.onInvite([this](const IncomingInvite& invite) {
    stack_->answerInvite(invite.dialog, 183, "", OurSdp);
  });
  SippProcess caller(dir_, sippScenario("sipp_uac_prack_timer.xml"),
                     "127.0.0.1:" + std::to_string(port_), {"-s", "1001"});
  auto invite = calls_.waitInvite(10s);
  ASSERT_TRUE(invite.has_value()) << caller.log();
  // nua answers the PRACK itself and reports it; only then does the INVITE get its 200, so the
  // caller sees the two 200s in a fixed order.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (stack_->counters().requests_other.load() == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(stack_->counters().requests_other.load(), 1u) << caller.log();
  stack_->answerInvite(invite->dialog, 200, "", OurSdp);
  EXPECT_EQ(caller.waitExit(10s), 0) << caller.log();
  EXPECT_TRUE(calls_.waitEvent(Kind::Terminated, invite->dialog, 5s).has_value());
  EXPECT_TRUE(noDialogLeft());
}

TEST_F(SippFeaturesTest, UpdateWithAnOfferWaitsForOurAnswerAndARefreshIsAnsweredAtOnce) {
  calls_.onInvite([this](const IncomingInvite& invite) {
    stack_->answerInvite(invite.dialog, 200, "", OurSdp);
  });
  SippProcess caller(dir_, sippScenario("sipp_uac_update.xml"),
                     "127.0.0.1:" + std::to_string(port_), {"-s", "1001"});
  auto invite = calls_.waitInvite(10s);
  ASSERT_TRUE(invite.has_value()) << caller.log();
  auto update = calls_.waitEvent(Kind::ReinviteReceived, invite->dialog, 10s);
  ASSERT_TRUE(update.has_value()) << caller.log();
  EXPECT_NE(update->sdp.find("a=sendonly"), std::string::npos) << update->sdp;
  stack_->answerReinvite(invite->dialog, 200, std::string(OurSdp) + "a=recvonly\r\n");
  // The caller checks our answer's a=recvonly and that the UPDATE without a body got its 200.
  EXPECT_EQ(caller.waitExit(10s), 0) << caller.log();
  EXPECT_EQ(calls_.count(Kind::ReinviteReceived), 1u);
  EXPECT_TRUE(calls_.waitEvent(Kind::Terminated, invite->dialog, 5s).has_value());
  EXPECT_TRUE(noDialogLeft());
}

}  // namespace
}  // namespace kefu::sip
