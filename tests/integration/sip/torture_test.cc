// RFC 4475 torture messages, byte-exact, over UDP and TCP: each gets the answer its manifest row
// asks for, and the stack still answers OPTIONS 200 afterwards.

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "sip/digest.h"
#include "sip/sip_stack.h"
#include "support/sip/sip_socket.h"

namespace kefu::sip {
namespace {

using namespace std::chrono_literals;
using testing::SipSocket;

constexpr int NoResponse = 0;

// The answers each file's `expected_behaviour` allows for Kefu, a registrar and UAS with no call
// listener (INVITEs that reach call control get 480). NoResponse: the message is a response (or
// must be discarded), so nothing comes back.
struct Expectation {
  const char* file;
  std::set<int> allowed;
  const char* why;
};

const std::vector<Expectation>& expectations() {
  static const std::vector<Expectation> Table{
      {"wsinv.dat", {480, 481}, "valid INVITE: accepted; its To tag names no dialog -> 481"},
      {"esc01.dat", {480}, "valid INVITE with escapes: accepted -> 480"},
      {"esc02.dat", {501}, "valid unknown method RE%47IST%45R: endpoint 501"},
      {"longreq.dat", {480}, "valid INVITE with long values: accepted -> 480"},
      {"semiuri.dat", {200}, "valid OPTIONS: 200"},
      {"mpart01.dat", {405}, "valid MESSAGE, framed: method not allowed here -> 405"},
      {"noreason.dat", {NoResponse}, "a response: nothing to answer"},
      {"badinv01.dat", {400, NoResponse}, "extraneous separators: 400 (Via unusable: drop)"},
      {"ncl.dat", {400, NoResponse}, "negative Content-Length: 400 or discard/close"},
      {"scalarlg.dat", {NoResponse}, "response with overlarge scalars: discard"},
      {"ltgtruri.dat", {400, 480}, "<> around Request-URI: 400 (liberal: accept -> 480)"},
      {"lwsstart.dat", {400, 480}, "extra SP in request line: may reject (liberal -> 480)"},
      {"escruri.dat", {400, 480}, "escaped headers in R-URI: may reject (liberal -> 480)"},
      {"regbadct.dat", {400, 401}, "name-addr without <>: 400 (liberal: infer <> -> challenge)"},
      {"baddn.dat", {400, 200}, "non-token display name: 400 (liberal: infer quotes -> 200)"},
      {"mismatch01.dat", {400}, "CSeq method mismatch: 400"},
      {"bigcode.dat", {NoResponse}, "overlarge response code: drop"},
      {"badbranch.dat", {400, 200}, "no branch: 400 or RFC 2543 matching -> 200"},
      {"unkscm.dat", {416}, "unknown Request-URI scheme: 416"},
      {"unksm2.dat", {400}, "unknown schemes in To/Contact: registrar 400"},
      {"invut.dat", {415}, "unknown Content-Type: endpoint 415"},
      {"multi01.dat", {400}, "several single-value headers: 400"},
      {"bcast.dat", {NoResponse}, "a 200 response: endpoint discards"},
      {"cparam01.dat", {401}, "valid REGISTER: succeeds once authenticated -> challenge first"},
      {"regescrt.dat", {401}, "valid REGISTER: succeeds once authenticated -> challenge first"},
      {"inv2543.dat",
       {480, 400},
       "RFC 2543 INVITE: accepted -> 480 (TCP: no Content-Length -> 400)"},
  };
  return Table;
}

// sofia-sip's nta silently drops a request whose top Via names another transport than the one it
// arrived on, so the harness makes the top Via's transport token say what it is sent over, as a
// real client would; everything else stays byte-exact (the token keeps its length).
std::string withViaTransport(std::string bytes, std::string_view transport) {
  std::size_t line = 0;
  while (line < bytes.size()) {
    const std::size_t end = bytes.find("\r\n", line);
    if (end == std::string::npos || end == line) {
      break;  // the end of the headers
    }
    std::string name = bytes.substr(line, std::min<std::size_t>(4, end - line));
    for (char& c : name) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (name.rfind("via", 0) == 0 || name.rfind("v:", 0) == 0 || name.rfind("v ", 0) == 0) {
      for (std::size_t i = line; i + 3 < bytes.size(); ++i) {
        if (bytes[i] == '/' &&
            (bytes.compare(i + 1, 3, "UDP") == 0 || bytes.compare(i + 1, 3, "TCP") == 0)) {
          bytes.replace(i + 1, 3, transport);
          return bytes;
        }
      }
      return bytes;
    }
    line = end + 2;
  }
  return bytes;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class NullListener : public SipStackListener {
 public:
  void onRegistration(const BindingChange&) override {}
};

class TortureTest : public ::testing::TestWithParam<SipSocket::Transport> {
 protected:
  void SetUp() override {
    port_ = testing::freeSipPort();
    ASSERT_NE(port_, 0);
    SipConfig config;
    config.sip = {"127.0.0.1", port_};
    auto stack = startSipStack(config, listener_, time_);
    ASSERT_TRUE(stack.ok()) << stack.error().message;
    stack_ = std::move(*stack);
  }

  const char* transportName() const {
    return GetParam() == SipSocket::Transport::Udp ? "UDP" : "TCP";
  }

  bool optionsStillAnswered(const std::string& tag) {
    SipSocket probe(GetParam(), port_);
    probe.send(testing::optionsRequest(port_, probe.localPort(), transportName(), tag));
    auto reply = probe.receiveFinal(3s);
    return reply && reply->status == 200;
  }

  RealTimeSource time_;
  NullListener listener_;
  uint16_t port_ = 0;
  SipStackPtr stack_;
};

TEST_P(TortureTest, EveryMessageGetsItsExpectedAnswerAndTheStackKeepsServing) {
  // A holdout of these messages may live elsewhere: KEFU_SIP_TORTURE_DIR points at it.
  const char* override_dir = std::getenv("KEFU_SIP_TORTURE_DIR");
  const std::string dir = override_dir != nullptr ? override_dir : KEFU_TORTURE_DIR;
  int index = 0;
  for (const auto& row : expectations()) {
    const std::string bytes = readFile(dir + "/" + row.file);
    ASSERT_FALSE(bytes.empty()) << row.file;
    SipSocket socket(GetParam(), port_);
    ASSERT_TRUE(socket.connected());
    socket.send(withViaTransport(bytes, transportName()));
    // A message whose headers never end (no empty line) is incomplete on a stream: the server
    // must keep waiting for the rest, so nothing may come back over TCP.
    std::set<int> allowed = row.allowed;
    if (GetParam() == SipSocket::Transport::Tcp && bytes.find("\r\n\r\n") == std::string::npos) {
      allowed = {NoResponse};
    }
    const bool expects_silence = allowed.count(NoResponse) != 0 && allowed.size() == 1;
    auto reply = socket.receiveFinal(expects_silence ? 400ms : 3000ms);
    const int status = reply ? reply->status : NoResponse;
    std::printf("torture %s %s -> %d\n", transportName(), row.file, status);
    EXPECT_TRUE(allowed.count(status) != 0)
        << row.file << " over " << transportName() << " got " << status << "; " << row.why;
    EXPECT_TRUE(optionsStillAnswered("after-" + std::to_string(index++)))
        << "no OPTIONS 200 after " << row.file << " over " << transportName();
  }
  EXPECT_GT(stack_->counters().malformed.load(), 0u);
}

// RFC 4475 3.3.12 and 3.3.14 say these REGISTERs succeed: once the challenge is answered (the
// same bytes plus an Authorization header, on a new branch) the binding holds the contact URI the
// RFC names: without the contact-param in cparam01, with the escaped Route header in regescrt.
TEST_P(TortureTest, ValidRegistersSucceedOnceAuthenticated) {
  stack_->setCredentials(std::make_shared<const CredentialMap>(
      CredentialMap{{"watson", "elementary"}, {"user", "pass"}}));
  struct Case {
    const char* file;
    const char* user;
    const char* password;
    const char* contact;
  };
  const Case cases[] = {
      {"cparam01.dat", "watson", "elementary", "sip:+19725552222@gw1.example.net"},
      {"regescrt.dat", "user", "pass", "sip:user@example.com?Route=%3Csip:sip.example.com%3E"},
  };
  for (const auto& c : cases) {
    const std::string bytes =
        withViaTransport(readFile(std::string(KEFU_TORTURE_DIR) + "/" + c.file), transportName());
    SipSocket first(GetParam(), port_);
    first.send(bytes);
    auto challenge = first.receiveFinal(3s);
    ASSERT_TRUE(challenge.has_value()) << c.file;
    ASSERT_EQ(challenge->status, 401) << c.file;
    const std::string header = challenge->header("WWW-Authenticate");
    const auto start = header.find("nonce=\"") + 7;
    const std::string nonce = header.substr(start, header.find('"', start) - start);

    DigestCredentials credentials;
    credentials.username = c.user;
    credentials.realm = "kefu";
    credentials.nonce = nonce;
    credentials.uri = "sip:example.com";
    const std::string authorization =
        "Authorization: Digest username=\"" + std::string(c.user) + "\", realm=\"kefu\", nonce=\"" +
        nonce + "\", uri=\"sip:example.com\", response=\"" +
        digestResponse(credentials, c.password, "REGISTER") + "\"\r\n";
    std::string again = bytes;
    again.insert(again.find("\r\n") + 2, authorization);
    // A new transaction with a higher CSeq, as a client answering a challenge sends it (the same
    // CSeq on a new branch would be a merged request: 482).
    again.insert(again.find("branch=") + 7, "2");
    const auto cseq = again.find("CSeq: ") + 6;
    const auto cseq_end = again.find(' ', cseq);
    again.replace(cseq, cseq_end - cseq,
                  std::to_string(std::stoul(again.substr(cseq, cseq_end - cseq)) + 1));
    SipSocket second(GetParam(), port_);
    second.send(again);
    auto ok = second.receiveFinal(3s);
    ASSERT_TRUE(ok.has_value()) << c.file;
    EXPECT_EQ(ok->status, 200) << c.file << "\n" << ok->raw;
    const auto contacts = stack_->contactsOf(c.user);
    ASSERT_EQ(contacts.size(), 1u) << c.file;
    EXPECT_EQ(contacts[0], c.contact) << c.file;
  }
}

INSTANTIATE_TEST_SUITE_P(Transports, TortureTest,
                         ::testing::Values(SipSocket::Transport::Udp, SipSocket::Transport::Tcp),
                         [](const auto& info) {
                           return info.param == SipSocket::Transport::Udp ? "Udp" : "Tcp";
                         });

}  // namespace
}  // namespace kefu::sip
