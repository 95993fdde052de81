// The INVITE side call control builds on: an INVITE reaches the call listener as value types, the
// answer posted from the test thread goes out with our SDP, and ACK, BYE and the end of the dialog
// come back as events, after which no dialog is left.

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

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

// Stores what the SIP thread reports; the test thread waits on it.
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
  std::optional<IncomingInvite> waitInvite() {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, 5s, [&] { return !invites_.empty(); })) {
      return std::nullopt;
    }
    return invites_.front();
  }
  std::size_t inviteCount() {
    const std::lock_guard lock(mutex_);
    return invites_.size();
  }
  bool waitEvent(DialogEvent::Kind kind) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 5s, [&] {
      return std::any_of(events_.begin(), events_.end(),
                         [&](const DialogEvent& e) { return e.kind == kind; });
    });
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
constexpr const char* AnswerSdp =
    "v=0\r\no=kefu 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 30000 RTP/AVP 0\r\n";

std::string request(const std::string& method, uint16_t port, uint16_t local_port, int cseq,
                    const std::string& branch, const std::string& to_tag, const std::string& body) {
  const std::string lp = std::to_string(local_port);
  std::string r =
      method + " sip:1001@127.0.0.1:" + std::to_string(port) + " SIP/2.0\r\n" +
      "Via: SIP/2.0/TCP 127.0.0.1:" + lp + ";branch=z9hG4bK" + branch + "\r\n" +
      "Max-Forwards: 70\r\n" + "From: \"Caller One\" <sip:caller@127.0.0.1>;tag=from1\r\n" +
      "To: <sip:1001@127.0.0.1>" + (to_tag.empty() ? "" : ";tag=" + to_tag) + "\r\n" +
      "Call-ID: call-entry-1\r\n" + "CSeq: " + std::to_string(cseq) + " " + method + "\r\n" +
      "Contact: <sip:caller@127.0.0.1:" + lp + ";transport=tcp>\r\n" + "User-Agent: kefu-test\r\n";
  if (!body.empty()) {
    r += "Content-Type: application/sdp\r\n";
  }
  return r + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string toTag(const testing::SipReply& reply) {
  const std::string to = reply.header("To");
  const auto pos = to.find("tag=");
  return pos == std::string::npos ? std::string() : to.substr(pos + 4, to.find(';', pos) - pos - 4);
}

TEST(CallEntryTest, InviteAnsweredByCallControlThenAckAndByeReleaseTheDialog) {
  const uint16_t port = testing::freeSipPort();
  SipConfig config;
  config.sip = {"127.0.0.1", port};
  NullListener listener;
  RealTimeSource time;
  RecordingCallListener calls;
  auto started = startSipStack(config, listener, time);
  ASSERT_TRUE(started.ok()) << started.error().message;
  SipStack& stack = **started;
  stack.setCallListener(&calls);

  SipSocket socket(SipSocket::Transport::Tcp, port);
  ASSERT_TRUE(socket.send(request("INVITE", port, socket.localPort(), 1, "inv1", "", Offer)));
  auto invite = calls.waitInvite();
  ASSERT_TRUE(invite.has_value());
  EXPECT_NE(invite->dialog, 0u);
  EXPECT_EQ(invite->sdp, Offer);
  EXPECT_EQ(invite->content_type, "application/sdp");
  EXPECT_EQ(invite->from_display, "Caller One");
  EXPECT_EQ(invite->from_uri, "sip:caller@127.0.0.1");
  EXPECT_EQ(invite->call_id, "call-entry-1");
  EXPECT_EQ(invite->user_agent, "kefu-test");
  EXPECT_EQ(stack.counters().dialogs_active.load(), 1u);

  stack.answerInvite(invite->dialog, 180, "", "");
  stack.answerInvite(invite->dialog, 200, "", AnswerSdp);
  auto ok = socket.receiveFinal(5s);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->status, 200);
  EXPECT_NE(ok->raw.find(AnswerSdp), std::string::npos) << ok->raw;
  const std::string tag = toTag(*ok);
  ASSERT_FALSE(tag.empty()) << ok->raw;

  ASSERT_TRUE(socket.send(request("ACK", port, socket.localPort(), 1, "ack1", tag, "")));
  EXPECT_TRUE(calls.waitEvent(DialogEvent::Kind::Acked));
  ASSERT_TRUE(socket.send(request("BYE", port, socket.localPort(), 2, "bye1", tag, "")));
  auto bye_ok = socket.receiveFinal(5s);
  ASSERT_TRUE(bye_ok.has_value());
  EXPECT_EQ(bye_ok->status, 200);
  EXPECT_TRUE(calls.waitEvent(DialogEvent::Kind::ByeReceived));
  EXPECT_TRUE(calls.waitEvent(DialogEvent::Kind::Terminated));
  EXPECT_EQ(stack.counters().dialogs_active.load(), 0u);
  stack.setCallListener(nullptr);
}

TEST(CallEntryTest, InviteWithoutCallListenerGets480AndLeavesNoDialog) {
  const uint16_t port = testing::freeSipPort();
  SipConfig config;
  config.sip = {"127.0.0.1", port};
  NullListener listener;
  RealTimeSource time;
  auto started = startSipStack(config, listener, time);
  ASSERT_TRUE(started.ok());
  SipStack& stack = **started;
  SipSocket socket(SipSocket::Transport::Tcp, port);
  ASSERT_TRUE(socket.send(request("INVITE", port, socket.localPort(), 1, "inv2", "", Offer)));
  auto reply = socket.receiveFinal(5s);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 480);
  // The ACK for a failure response completes the INVITE transaction (RFC 3261 17.2.1); over TCP
  // nua then ends the dialog at once.
  ASSERT_TRUE(socket.send(request("ACK", port, socket.localPort(), 1, "inv2", toTag(*reply), "")));
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (stack.counters().dialogs_active.load() != 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(stack.counters().dialogs_active.load(), 0u);
}

TEST(CallEntryTest, InviteWhoseAcceptExcludesSdpGets406AndNeverReachesCallControl) {
  const uint16_t port = testing::freeSipPort();
  SipConfig config;
  config.sip = {"127.0.0.1", port};
  NullListener listener;
  RealTimeSource time;
  RecordingCallListener calls;
  auto started = startSipStack(config, listener, time);
  ASSERT_TRUE(started.ok());
  SipStack& stack = **started;
  stack.setCallListener(&calls);
  SipSocket socket(SipSocket::Transport::Tcp, port);
  std::string invite = request("INVITE", port, socket.localPort(), 1, "inv3", "", Offer);
  invite.insert(invite.find("\r\n") + 2, "Accept: text/nobodyknowsthis\r\n");
  ASSERT_TRUE(socket.send(invite));
  auto reply = socket.receiveFinal(5s);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 406);
  EXPECT_EQ(reply->header("Accept"), "application/sdp");
  EXPECT_EQ(calls.inviteCount(), 0u);  // the answer is sent before call control would be asked
  stack.setCallListener(nullptr);
}

TEST(CallEntryTest, ReplacesHeaderSourceHostAndContactReachCallControl) {
  const uint16_t port = testing::freeSipPort();
  SipConfig config;
  config.sip = {"127.0.0.1", port};
  NullListener listener;
  RealTimeSource time;
  RecordingCallListener calls;
  auto started = startSipStack(config, listener, time);
  ASSERT_TRUE(started.ok());
  SipStack& stack = **started;
  stack.setCallListener(&calls);
  SipSocket socket(SipSocket::Transport::Tcp, port);
  std::string invite = request("INVITE", port, socket.localPort(), 1, "inv4", "", Offer);
  invite.insert(invite.find("\r\n") + 2,
                "Supported: replaces\r\nReplaces: abc@10.0.0.1;to-tag=t9;from-tag=f7\r\n");
  ASSERT_TRUE(socket.send(invite));
  auto received = calls.waitInvite();
  ASSERT_TRUE(received.has_value());
  EXPECT_EQ(received->source_host, "127.0.0.1");
  EXPECT_EQ(received->contact_uri,
            "sip:caller@127.0.0.1:" + std::to_string(socket.localPort()) + ";transport=tcp");
  EXPECT_EQ(received->source, "tcp:127.0.0.1:" + std::to_string(socket.localPort()));
  EXPECT_EQ(received->replaces_call_id, "abc@10.0.0.1");
  EXPECT_EQ(received->replaces_to_tag, "t9");
  EXPECT_EQ(received->replaces_from_tag, "f7");
  stack.setCallListener(nullptr);
}

TEST(CallEntryTest, HangUpBeforeAnsweringSends480) {
  const uint16_t port = testing::freeSipPort();
  SipConfig config;
  config.sip = {"127.0.0.1", port};
  NullListener listener;
  RealTimeSource time;
  RecordingCallListener calls;
  auto started = startSipStack(config, listener, time);
  ASSERT_TRUE(started.ok());
  SipStack& stack = **started;
  stack.setCallListener(&calls);
  SipSocket socket(SipSocket::Transport::Tcp, port);
  ASSERT_TRUE(socket.send(request("INVITE", port, socket.localPort(), 1, "inv6", "", Offer)));
  auto invite = calls.waitInvite();
  ASSERT_TRUE(invite.has_value());
  stack.answerInvite(invite->dialog, 180, "", "");
  stack.hangUp(invite->dialog);
  auto reply = socket.receiveFinal(5s);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 480);
  ASSERT_TRUE(socket.send(request("ACK", port, socket.localPort(), 1, "inv6", toTag(*reply), "")));
  EXPECT_TRUE(calls.waitEvent(DialogEvent::Kind::Terminated));
  EXPECT_EQ(stack.counters().dialogs_active.load(), 0u);
  stack.setCallListener(nullptr);
}

TEST(CallEntryTest, RejectUnderOverloadSends503WithRetryAfter) {
  const uint16_t port = testing::freeSipPort();
  SipConfig config;
  config.sip = {"127.0.0.1", port};
  NullListener listener;
  RealTimeSource time;
  RecordingCallListener calls;
  auto started = startSipStack(config, listener, time);
  ASSERT_TRUE(started.ok());
  SipStack& stack = **started;
  stack.setCallListener(&calls);
  SipSocket socket(SipSocket::Transport::Tcp, port);
  ASSERT_TRUE(socket.send(request("INVITE", port, socket.localPort(), 1, "inv5", "", Offer)));
  auto invite = calls.waitInvite();
  ASSERT_TRUE(invite.has_value());
  stack.rejectInvite(invite->dialog, 503, "Overloaded", 30);
  stack.answerInvite(invite->dialog, 200, "", AnswerSdp);  // too late: ignored
  auto reply = socket.receiveFinal(5s);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 503);
  EXPECT_NE(reply->raw.find("503 Overloaded"), std::string::npos) << reply->raw;
  EXPECT_EQ(reply->header("Retry-After"), "30");
  EXPECT_FALSE(socket.receive(300ms).has_value());  // no 200 after the refusal
  ASSERT_TRUE(socket.send(request("ACK", port, socket.localPort(), 1, "inv5", toTag(*reply), "")));
  EXPECT_TRUE(calls.waitEvent(DialogEvent::Kind::Terminated));
  EXPECT_EQ(stack.counters().dialogs_active.load(), 0u);
  EXPECT_EQ(stack.counters().responses_5xx.load(), 1u);
  stack.setCallListener(nullptr);
}

}  // namespace
}  // namespace kefu::sip
