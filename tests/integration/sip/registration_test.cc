// Real user agents against the SIP stack: baresip registers (UDP, TCP, TLS) with digest
// authentication, sipsak sends OPTIONS, and bad settings stop start-up with a named error.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>

#include "sip/sip_stack.h"
#include "support/sip/baresip_agent.h"
#include "support/sip/sip_socket.h"
#include "support/sip/tls_sip_client.h"

namespace kefu::sip {
namespace {

using namespace std::chrono_literals;
using testing::BaresipAccount;
using testing::BaresipAgent;

// Records what the stack reports, for the test thread to wait on.
class RecordingListener : public SipStackListener {
 public:
  void onRegistration(const BindingChange& change) override {
    const std::lock_guard lock(mutex_);
    changes_.push_back(change);
    changed_.notify_all();
  }
  bool waitFor(const std::function<bool(const std::vector<BindingChange>&)>& done,
               std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return done(changes_); });
  }
  std::vector<BindingChange> changes() {
    const std::lock_guard lock(mutex_);
    return changes_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<BindingChange> changes_;
};

bool hasChange(const std::vector<BindingChange>& changes, bool added) {
  return std::any_of(changes.begin(), changes.end(),
                     [&](const BindingChange& c) { return c.added == added; });
}

// Polls `condition` (a counter, a snapshot) until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(20ms);
  }
  return condition();
}

class RegistrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::makeTempDir("kefu-sip-");
    ASSERT_FALSE(dir_.empty());
  }
  void TearDown() override {
    agent_.reset();
    stack_.reset();
    std::filesystem::remove_all(dir_);
  }

  void startStack(bool tls = false) {
    port_ = testing::freeSipPort();
    ASSERT_NE(port_, 0);
    SipConfig config;
    config.sip = {"127.0.0.1", port_};
    if (tls) {
      tls_port_ = testing::freeSipPort();
      config.tls = {"127.0.0.1", tls_port_};
      config.tls_certificate_dir = dir_ + "/cert";
      makeCertificate(config.tls_certificate_dir);
    }
    config.registrar.min_expiry = 2s;  // baresip's regint is the Expires it asks for
    auto stack = startSipStack(config, listener_, time_);
    ASSERT_TRUE(stack.ok()) << stack.error().field << ": " << stack.error().message;
    stack_ = std::move(*stack);
    stack_->setCredentials(std::make_shared<const CredentialMap>(
        CredentialMap{{"1001", "right-password"}, {"1002", "another"}}));
  }

  static void makeCertificate(const std::string& dir) {
    std::filesystem::create_directories(dir);
    const std::string command =
        "cd " + dir +
        " && openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 1 "
        "-subj /CN=127.0.0.1 >/dev/null 2>&1 && cat key.pem cert.pem > agent.pem";
    ASSERT_EQ(std::system(command.c_str()), 0);
  }

  void startAgent(BaresipAccount account) {
    account.registrar_port = account.transport == "tls" ? tls_port_ : port_;
    const std::string agent_dir = dir_ + "/ua-" + account.user;
    std::filesystem::create_directories(agent_dir);
    agent_ = std::make_unique<BaresipAgent>(agent_dir, account);
    ASSERT_TRUE(agent_->running());
  }

  RealTimeSource time_;
  RecordingListener listener_;
  std::string dir_;
  uint16_t port_ = 0;
  uint16_t tls_port_ = 0;
  SipStackPtr stack_;
  std::unique_ptr<BaresipAgent> agent_;
};

TEST_F(RegistrationTest, BaresipRegistersWithRightPasswordAndBindingExpiresWhenItStops) {
  startStack();
  startAgent({.user = "1001", .password = "right-password", .transport = "udp", .regint = 3});
  ASSERT_TRUE(listener_.waitFor([](const auto& c) { return hasChange(c, true); }, 10s))
      << agent_->log();
  auto regs = stack_->registrations();
  ASSERT_EQ(regs.size(), 1u);
  EXPECT_EQ(regs[0].extension, "1001");
  EXPECT_EQ(regs[0].contact.rfind("sip:1001", 0), 0u) << regs[0].contact;
  EXPECT_NE(regs[0].contact.find(agent_->contactHostPort()), std::string::npos) << regs[0].contact;
  EXPECT_EQ(regs[0].transport, "udp");
  EXPECT_EQ(stack_->contactsOf("1001"), std::vector<std::string>{regs[0].contact});
  EXPECT_GE(stack_->registrarCounters().challenged.load(), 1u);  // digest was required

  agent_->kill();  // no unregister: the binding must go away on its own
  ASSERT_TRUE(listener_.waitFor([](const auto& c) { return hasChange(c, false); }, 10s));
  EXPECT_TRUE(stack_->registrations().empty());
  EXPECT_TRUE(stack_->contactsOf("1001").empty());
}

TEST_F(RegistrationTest, BaresipWithWrongPasswordIsRefusedAndNeverBound) {
  startStack();
  startAgent({.user = "1001", .password = "wrong-password", .transport = "udp", .regint = 3});
  // Its first REGISTER is challenged; the answer with the wrong password is challenged again.
  ASSERT_TRUE(eventually([&] { return stack_->registrarCounters().challenged.load() >= 2; }, 10s))
      << agent_->log();
  EXPECT_EQ(stack_->registrarCounters().accepted.load(), 0u);
  EXPECT_TRUE(stack_->registrations().empty());
  EXPECT_FALSE(hasChange(listener_.changes(), true));
}

TEST_F(RegistrationTest, BaresipRegistersOverTcp) {
  startStack();
  startAgent({.user = "1001", .password = "right-password", .transport = "tcp", .regint = 30});
  ASSERT_TRUE(listener_.waitFor([](const auto& c) { return hasChange(c, true); }, 10s))
      << agent_->log();
  auto regs = stack_->registrations();
  ASSERT_EQ(regs.size(), 1u);
  EXPECT_EQ(regs[0].transport, "tcp");
}

// baresip-core 1.0.0 refuses `sips:` accounts ("Function not implemented"), so the TLS listener
// is proven with an OpenSSL client: a handshake, then OPTIONS 200 and a REGISTER challenge over it.
TEST_F(RegistrationTest, TlsListenerAnswersOverTls) {
  startStack(true);
  testing::TlsSipClient client(tls_port_);
  ASSERT_TRUE(client.connected()) << client.error();
  ASSERT_TRUE(client.send(testing::optionsRequest(tls_port_, client.localPort(), "TLS", "tls-1")));
  auto reply = client.receiveFinal(5s);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 200);
  const std::string lp = std::to_string(client.localPort());
  const std::string reg =
      "REGISTER sips:127.0.0.1:" + std::to_string(tls_port_) + " SIP/2.0\r\n" +
      "Via: SIP/2.0/TLS 127.0.0.1:" + lp + ";branch=z9hG4bKtlsreg1;rport\r\n" +
      "Max-Forwards: 70\r\nFrom: <sips:1002@127.0.0.1>;tag=t1\r\nTo: <sips:1002@127.0.0.1>\r\n" +
      "Call-ID: tls-reg-1\r\nCSeq: 1 REGISTER\r\nContact: <sips:1002@127.0.0.1:" + lp +
      ">\r\nExpires: 60\r\nContent-Length: 0\r\n\r\n";
  ASSERT_TRUE(client.send(reg));
  reply = client.receiveFinal(5s);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 401);
  EXPECT_NE(reply->header("WWW-Authenticate").find("Digest realm=\"kefu\""), std::string::npos);
}

TEST_F(RegistrationTest, SipsakOptionsGets200WithAllow) {
  startStack();
  const std::string out = dir_ + "/sipsak.out";
  const std::string command =
      "timeout 10 sipsak -vv -s sip:kefu@127.0.0.1:" + std::to_string(port_) + " > " + out +
      " 2>&1";
  const int status = std::system(command.c_str());
  std::ifstream in(out);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(WEXITSTATUS(status), 0) << text;
  EXPECT_NE(text.find("SIP/2.0 200"), std::string::npos) << text;
  EXPECT_NE(text.find("Allow:"), std::string::npos) << text;
  EXPECT_GE(stack_->counters().requests_options.load(), 1u);
}

TEST_F(RegistrationTest, PortInUseStopsStartWithTheSettingNamed) {
  const uint16_t port = testing::freeSipPort();
  const int blocker = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(blocker, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  SipConfig config;
  config.sip = {"127.0.0.1", port};
  auto stack = startSipStack(config, listener_, time_);
  ::close(blocker);
  ASSERT_FALSE(stack.ok());
  EXPECT_EQ(stack.error().field, "sip.listen");
}

TEST_F(RegistrationTest, MissingCertificateStopsStartWithTheSettingNamed) {
  SipConfig config;
  config.sip = {"127.0.0.1", testing::freeSipPort()};
  config.tls = {"127.0.0.1", testing::freeSipPort()};
  config.tls_certificate_dir = dir_ + "/no-such-dir";
  auto stack = startSipStack(config, listener_, time_);
  ASSERT_FALSE(stack.ok());
  EXPECT_EQ(stack.error().field, "sip.tls.certificate_dir");
}

}  // namespace
}  // namespace kefu::sip
