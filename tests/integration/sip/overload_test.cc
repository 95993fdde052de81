// Overload at the SIP edge: while the stack is overloaded a new INVITE gets 503 with Retry-After
// from the SIP thread and never reaches call control, while the requests of a call already
// established (re-INVITE, BYE) are served; once the overload passes new INVITEs are taken again.
// The same for the second signal, too many INVITEs waiting for call control's answer.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>

#include "sip/sip_stack.h"
#include "support/sip/sip_socket.h"

namespace kefu::sip {
namespace {

using namespace std::chrono_literals;
using testing::SipSocket;

class NullListener : public SipStackListener {
 public:
  void onRegistration(const BindingChange&) override {}
};

class RecordingCallListener : public SipCallListener {
 public:
  void onIncomingInvite(const IncomingInvite& invite) override {
    const std::lock_guard lock(mutex_);
    invites_.push_back(invite);
    changed_.notify_all();
  }
  void onDialogEvent(const DialogEvent& event) override {
    const std::lock_guard lock(mutex_);
    events_.push_back(event);
    changed_.notify_all();
  }
  // @return the `n`th INVITE (from 1) once it came, or nullopt after 5 s.
  std::optional<IncomingInvite> waitInvite(std::size_t n) {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, 5s, [&] { return invites_.size() >= n; })) {
      return std::nullopt;
    }
    return invites_[n - 1];
  }
  std::size_t inviteCount() {
    const std::lock_guard lock(mutex_);
    return invites_.size();
  }
  std::optional<DialogEvent> waitEvent(DialogId dialog, DialogEvent::Kind kind) {
    std::unique_lock lock(mutex_);
    std::optional<DialogEvent> found;
    changed_.wait_for(lock, 5s, [&] {
      auto it = std::find_if(events_.begin(), events_.end(), [&](const DialogEvent& e) {
        return e.dialog == dialog && e.kind == kind;
      });
      if (it != events_.end()) {
        found = *it;
      }
      return found.has_value();
    });
    return found;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<IncomingInvite> invites_;
  std::vector<DialogEvent> events_;
};

constexpr const char* Offer =
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 20000 RTP/AVP 0\r\n";
constexpr const char* HoldOffer =
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 20000 RTP/AVP 0\r\na=sendonly\r\n";
constexpr const char* AnswerSdp =
    "v=0\r\no=kefu 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 30000 RTP/AVP 0\r\n";

struct Request {
  std::string method;
  std::string call_id;
  int cseq = 1;
  std::string branch;
  std::string to_tag;
  std::string body;
};

std::string build(const Request& r, uint16_t port, uint16_t local_port) {
  const std::string lp = std::to_string(local_port);
  std::string out =
      r.method + " sip:1001@127.0.0.1:" + std::to_string(port) + " SIP/2.0\r\n" +
      "Via: SIP/2.0/TCP 127.0.0.1:" + lp + ";branch=z9hG4bK" + r.branch + "\r\n" +
      "Max-Forwards: 70\r\n" + "From: <sip:caller@127.0.0.1>;tag=f-" + r.call_id + "\r\n" +
      "To: <sip:1001@127.0.0.1>" + (r.to_tag.empty() ? "" : ";tag=" + r.to_tag) + "\r\n" +
      "Call-ID: " + r.call_id + "\r\n" + "CSeq: " + std::to_string(r.cseq) + " " + r.method +
      "\r\n" + "Contact: <sip:caller@127.0.0.1:" + lp + ";transport=tcp>\r\n";
  if (!r.body.empty()) {
    out += "Content-Type: application/sdp\r\n";
  }
  return out + "Content-Length: " + std::to_string(r.body.size()) + "\r\n\r\n" + r.body;
}

std::string toTag(const testing::SipReply& reply) {
  const std::string to = reply.header("To");
  const auto pos = to.find("tag=");
  return pos == std::string::npos ? std::string() : to.substr(pos + 4, to.find(';', pos) - pos - 4);
}

class OverloadTest : public ::testing::Test {
 protected:
  void start(SipConfig config) {
    port_ = testing::freeSipPort();
    config.sip = {"127.0.0.1", port_};
    auto started = startSipStack(config, listener_, time_);
    ASSERT_TRUE(started.ok()) << started.error().message;
    stack_ = std::move(started).value();
    stack_->setCallListener(&calls_);
  }
  void TearDown() override {
    if (stack_) {
      stack_->setCallListener(nullptr);
    }
  }
  // Sends a new INVITE on `socket`.
  bool sendInvite(SipSocket& socket, const std::string& call_id) {
    return socket.send(
        build({"INVITE", call_id, 1, "i-" + call_id, "", Offer}, port_, socket.localPort()));
  }
  // Acknowledges a final non-2xx response on `socket` (RFC 3261 17.1.1.3: same branch).
  void ackFailure(SipSocket& socket, const std::string& call_id, const testing::SipReply& reply) {
    ASSERT_TRUE(socket.send(
        build({"ACK", call_id, 1, "i-" + call_id, toTag(reply), ""}, port_, socket.localPort())));
  }

  uint16_t port_ = 0;
  NullListener listener_;
  RealTimeSource time_;
  RecordingCallListener calls_;
  SipStackPtr stack_;
};

TEST_F(OverloadTest, NewInvitesGet503WhileOverloadedAndEstablishedCallsAreServed) {
  auto overloaded = std::make_shared<std::atomic<bool>>(false);
  SipConfig config;
  config.overload_signal = [overloaded] { return overloaded->load(); };
  config.overload_retry_after_s = 7;
  ASSERT_NO_FATAL_FAILURE(start(config));

  // A call established before the overload.
  SipSocket caller(SipSocket::Transport::Tcp, port_);
  ASSERT_TRUE(sendInvite(caller, "held-1"));
  auto invite = calls_.waitInvite(1);
  ASSERT_TRUE(invite.has_value());
  stack_->answerInvite(invite->dialog, 200, "", AnswerSdp);
  auto ok = caller.receiveFinal(5s);
  ASSERT_TRUE(ok.has_value());
  ASSERT_EQ(ok->status, 200);
  const std::string tag = toTag(*ok);
  ASSERT_TRUE(caller.send(build({"ACK", "held-1", 1, "a1", tag, ""}, port_, caller.localPort())));
  ASSERT_TRUE(calls_.waitEvent(invite->dialog, DialogEvent::Kind::Acked).has_value());

  overloaded->store(true);

  // A new INVITE is refused by the SIP thread: 503 with Retry-After, call control never hears.
  SipSocket flood(SipSocket::Transport::Tcp, port_);
  ASSERT_TRUE(sendInvite(flood, "new-1"));
  auto refused = flood.receiveFinal(5s);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(refused->header("Retry-After"), "7");
  ASSERT_NO_FATAL_FAILURE(ackFailure(flood, "new-1", *refused));
  EXPECT_EQ(stack_->counters().invites_refused_cpu.load(), 1u);

  // The established call's re-INVITE (hold) still reaches call control and is answered.
  ASSERT_TRUE(
      caller.send(build({"INVITE", "held-1", 2, "r1", tag, HoldOffer}, port_, caller.localPort())));
  auto reinvite = calls_.waitEvent(invite->dialog, DialogEvent::Kind::ReinviteReceived);
  ASSERT_TRUE(reinvite.has_value());
  EXPECT_EQ(reinvite->sdp, HoldOffer);
  stack_->answerReinvite(invite->dialog, 200, AnswerSdp);
  auto reinvite_ok = caller.receiveFinal(5s);
  ASSERT_TRUE(reinvite_ok.has_value());
  EXPECT_EQ(reinvite_ok->status, 200);
  ASSERT_TRUE(caller.send(build({"ACK", "held-1", 2, "a2", tag, ""}, port_, caller.localPort())));

  // And its BYE is answered.
  ASSERT_TRUE(caller.send(build({"BYE", "held-1", 3, "b1", tag, ""}, port_, caller.localPort())));
  auto bye_ok = caller.receiveFinal(5s);
  ASSERT_TRUE(bye_ok.has_value());
  EXPECT_EQ(bye_ok->status, 200);
  EXPECT_TRUE(calls_.waitEvent(invite->dialog, DialogEvent::Kind::ByeReceived).has_value());
  EXPECT_EQ(calls_.inviteCount(), 1u);

  // Once the overload has passed, a new INVITE reaches call control again.
  overloaded->store(false);
  ASSERT_TRUE(sendInvite(flood, "new-2"));
  auto admitted = calls_.waitInvite(2);
  ASSERT_TRUE(admitted.has_value());
  EXPECT_EQ(admitted->call_id, "new-2");
  stack_->rejectInvite(admitted->dialog, 486, "Busy Here", 0);
  auto busy = flood.receiveFinal(5s);
  ASSERT_TRUE(busy.has_value());
  EXPECT_EQ(busy->status, 486);
  EXPECT_EQ(stack_->counters().invites_refused_cpu.load(), 1u);
}

TEST_F(OverloadTest, InvitesBeyondThoseWaitingForCallControlGet503) {
  SipConfig config;
  config.max_pending_invites = 2;
  config.overload_retry_after_s = 3;
  ASSERT_NO_FATAL_FAILURE(start(config));
  SipSocket socket(SipSocket::Transport::Tcp, port_);

  // Call control takes its time with the first two.
  ASSERT_TRUE(sendInvite(socket, "p-1"));
  ASSERT_TRUE(sendInvite(socket, "p-2"));
  auto first = calls_.waitInvite(1);
  auto second = calls_.waitInvite(2);
  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_EQ(stack_->counters().invites_pending.load(), 2u);

  SipSocket late(SipSocket::Transport::Tcp, port_);
  ASSERT_TRUE(sendInvite(late, "p-3"));
  auto refused = late.receiveFinal(5s);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(refused->header("Retry-After"), "3");
  EXPECT_EQ(stack_->counters().invites_refused_backlog.load(), 1u);
  EXPECT_EQ(calls_.inviteCount(), 2u);

  // A provisional answer is call control's decision too: there is room again.
  stack_->answerInvite(first->dialog, 180, "", "");
  std::optional<testing::SipReply> ringing;
  do {
    ringing = socket.receive(5s);
  } while (ringing.has_value() && ringing->status != 180);
  ASSERT_TRUE(ringing.has_value());
  ASSERT_TRUE(sendInvite(late, "p-4"));
  auto third = calls_.waitInvite(3);
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(third->call_id, "p-4");
  EXPECT_EQ(stack_->counters().invites_pending.load(), 2u);
  EXPECT_EQ(stack_->counters().invites_refused_backlog.load(), 1u);
}

}  // namespace
}  // namespace kefu::sip
