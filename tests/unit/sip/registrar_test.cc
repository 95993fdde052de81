#include "sip/registrar.h"

#include <gtest/gtest.h>

#include <regex>

namespace kefu::sip {
namespace {

using namespace std::chrono_literals;

constexpr const char* Secret = "0123456789abcdef0123456789abcdef";

class RegistrarTest : public ::testing::Test {
 protected:
  RegistrarTest() : registrar_(RegistrarConfig{}, time_, Secret) {
    registrar_.setCredentials(std::make_shared<const CredentialMap>(
        CredentialMap{{"1001", "right-password"}, {"1002", "other"}}));
  }

  static RegisterRequest request(std::string user, std::vector<RegisterContact> contacts,
                                 std::string call_id = "call-1", uint32_t cseq = 1) {
    RegisterRequest r;
    r.to_scheme = "sip";
    r.to_user = std::move(user);
    r.to_host = "kefu.test";
    r.call_id = std::move(call_id);
    r.cseq = cseq;
    r.contacts = std::move(contacts);
    r.source = "127.0.0.1:5062";
    r.transport = "udp";
    return r;
  }

  static RegisterContact contact(std::string uri, std::optional<int64_t> expires = std::nullopt) {
    RegisterContact c;
    c.uri = std::move(uri);
    c.scheme = "sip";
    c.expires = expires;
    return c;
  }

  static std::string nonceOf(const RegisterResponse& r) {
    std::smatch m;
    EXPECT_TRUE(std::regex_search(r.www_authenticate, m, std::regex("nonce=\"([^\"]+)\"")));
    return m.size() > 1 ? m[1].str() : std::string();
  }

  // Sends the request once without credentials, then answers the challenge with `password`.
  RegisterResponse registerWith(RegisterRequest r, const std::string& password,
                                const std::string& username = "") {
    std::vector<BindingChange> ignored;
    r.authorization.reset();
    const RegisterResponse challenge = registrar_.handle(r, ignored);
    if (challenge.status != 401) {
      return challenge;
    }
    r.authorization =
        authorization(username.empty() ? r.to_user : username, nonceOf(challenge), password);
    r.cseq += 1;
    return registrar_.handle(r, changes_);
  }

  static std::string authorization(const std::string& user, const std::string& nonce,
                                   const std::string& password) {
    DigestCredentials c;
    c.username = user;
    c.realm = "kefu";
    c.nonce = nonce;
    c.uri = "sip:kefu.test";
    c.qop = "auth";
    c.nc = "00000001";
    c.cnonce = "c0ffee";
    return "Digest username=\"" + user + "\", realm=\"kefu\", nonce=\"" + nonce +
           "\", uri=\"sip:kefu.test\", response=\"" + digestResponse(c, password, "REGISTER") +
           "\", algorithm=MD5, qop=auth, nc=00000001, cnonce=\"c0ffee\"";
  }

  SimulatedTime time_;
  Registrar registrar_;
  std::vector<BindingChange> changes_;
};

TEST_F(RegistrarTest, WithoutCredentialsChallengesAndBindsNothing) {
  std::vector<BindingChange> changes;
  auto r = registrar_.handle(request("1001", {contact("sip:1001@10.0.0.1:5062")}), changes);
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.www_authenticate.find("realm=\"kefu\""), std::string::npos);
  EXPECT_NE(r.www_authenticate.find("qop=\"auth\""), std::string::npos);
  EXPECT_TRUE(registrar_.registrations().empty());
  EXPECT_EQ(registrar_.counters().challenged.load(), 1u);
}

TEST_F(RegistrarTest, RightPasswordCreatesBindingWithExpiry) {
  auto r =
      registerWith(request("1001", {contact("sip:1001@10.0.0.1:5062", 120)}), "right-password");
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.contacts.size(), 1u);
  EXPECT_EQ(r.contacts[0], "<sip:1001@10.0.0.1:5062>;expires=120");
  auto regs = registrar_.registrations();
  ASSERT_EQ(regs.size(), 1u);
  EXPECT_EQ(regs[0].extension, "1001");
  EXPECT_EQ(regs[0].contact, "sip:1001@10.0.0.1:5062");
  EXPECT_EQ(regs[0].expires_at - time_.systemTime(), std::chrono::seconds(120));
  EXPECT_EQ(registrar_.contactsOf("1001"), std::vector<std::string>{"sip:1001@10.0.0.1:5062"});
  ASSERT_EQ(changes_.size(), 1u);
  EXPECT_TRUE(changes_[0].added);
  EXPECT_EQ(registrar_.counters().active.load(), 1u);
}

TEST_F(RegistrarTest, WrongPasswordIsChallengedThenForbiddenAndNeverBinds) {
  RegistrarConfig config;
  const int attempts = config.max_failures;
  for (int i = 1; i < attempts; ++i) {
    EXPECT_EQ(registerWith(request("1001", {contact("sip:a@h")}), "wrong").status, 401) << i;
  }
  EXPECT_EQ(registerWith(request("1001", {contact("sip:a@h")}), "wrong").status, 403);
  // Locked out for the window even with the right password; free again after it.
  EXPECT_EQ(registerWith(request("1001", {contact("sip:a@h")}), "right-password").status, 403);
  EXPECT_TRUE(registrar_.registrations().empty());
  time_.advance(config.failure_window + 1s);
  EXPECT_EQ(registerWith(request("1001", {contact("sip:a@h")}), "right-password").status, 200);
}

TEST_F(RegistrarTest, UnknownAuthorizationSchemeIsChallengedBrokenDigestRefused) {
  std::vector<BindingChange> ignored;
  auto r = request("1001", {contact("sip:a@h")});
  r.authorization = "NoOneKnowsThisScheme opaque-data=here";
  const auto other = registrar_.handle(r, ignored);
  EXPECT_EQ(other.status, 401);
  EXPECT_NE(other.www_authenticate.find("Digest"), std::string::npos);
  r.authorization = "Digest username=\"1001";
  EXPECT_EQ(registrar_.handle(r, ignored).status, 400);
  EXPECT_TRUE(registrar_.registrations().empty());
}

TEST_F(RegistrarTest, UnknownUserIsChallengedNotBound) {
  EXPECT_EQ(registerWith(request("9999", {contact("sip:a@h")}), "any").status, 401);
  EXPECT_TRUE(registrar_.registrations().empty());
}

TEST_F(RegistrarTest, AnotherExtensionsCredentialsAreForbidden) {
  EXPECT_EQ(registerWith(request("1001", {contact("sip:a@h")}), "other", "1002").status, 403);
  EXPECT_TRUE(registrar_.registrations().empty());
}

TEST_F(RegistrarTest, OldNonceWithRightPasswordGetsStaleChallenge) {
  std::vector<BindingChange> ignored;
  auto r = request("1001", {contact("sip:a@h")});
  const auto challenge = registrar_.handle(r, ignored);
  time_.advance(RegistrarConfig{}.nonce_lifetime + 1s);
  r.authorization = authorization("1001", nonceOf(challenge), "right-password");
  const auto stale = registrar_.handle(r, ignored);
  EXPECT_EQ(stale.status, 401);
  EXPECT_NE(stale.www_authenticate.find("stale=true"), std::string::npos);
  r.authorization = authorization("1001", nonceOf(stale), "right-password");
  EXPECT_EQ(registrar_.handle(r, ignored).status, 200);
}

TEST_F(RegistrarTest, SwappedCredentialsApplyToTheNextRequest) {
  registrar_.setCredentials(
      std::make_shared<const CredentialMap>(CredentialMap{{"1001", "new-password"}}));
  EXPECT_EQ(registerWith(request("1001", {contact("sip:a@h")}), "right-password").status, 401);
  EXPECT_EQ(registerWith(request("1001", {contact("sip:a@h")}), "new-password").status, 200);
}

TEST_F(RegistrarTest, TooBriefExpiryGets423WithMinExpires) {
  auto r = registerWith(request("1001", {contact("sip:a@h", 10)}), "right-password");
  EXPECT_EQ(r.status, 423);
  EXPECT_EQ(r.min_expires, RegistrarConfig{}.min_expiry.count());
  EXPECT_TRUE(registrar_.registrations().empty());
}

TEST_F(RegistrarTest, LongExpiryIsShortenedToTheMaximum) {
  auto req = request("1001", {contact("sip:a@h")});
  req.expires_header = 999999;
  auto r = registerWith(req, "right-password");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.contacts[0],
            "<sip:a@h>;expires=" + std::to_string(RegistrarConfig{}.max_expiry.count()));
}

TEST_F(RegistrarTest, BindingExpiresOnTheTimer) {
  ASSERT_EQ(registerWith(request("1001", {contact("sip:a@h", 100)}), "right-password").status, 200);
  time_.advance(99s);
  EXPECT_TRUE(registrar_.expire().empty());
  EXPECT_EQ(registrar_.registrations().size(), 1u);
  time_.advance(1s);
  auto removed = registrar_.expire();
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_FALSE(removed[0].added);
  EXPECT_EQ(removed[0].contact, "sip:a@h");
  EXPECT_TRUE(registrar_.registrations().empty());
  EXPECT_TRUE(registrar_.contactsOf("1001").empty());
}

TEST_F(RegistrarTest, ExpiresZeroRemovesOneContactAndWildcardRemovesAll) {
  ASSERT_EQ(registerWith(request("1001", {contact("sip:a@h"), contact("sip:b@h")}, "c", 1),
                         "right-password")
                .status,
            200);
  EXPECT_EQ(registrar_.registrations().size(), 2u);
  ASSERT_EQ(
      registerWith(request("1001", {contact("sip:a@h", 0)}, "c", 10), "right-password").status,
      200);
  EXPECT_EQ(registrar_.contactsOf("1001"), std::vector<std::string>{"sip:b@h"});

  RegisterContact star;
  star.wildcard = true;
  auto bad = request("1001", {star}, "c", 20);
  bad.expires_header = 60;
  EXPECT_EQ(registerWith(bad, "right-password").status, 400);
  EXPECT_EQ(registrar_.registrations().size(), 1u);

  auto all = request("1001", {star}, "c", 30);
  all.expires_header = 0;
  EXPECT_EQ(registerWith(all, "right-password").status, 200);
  EXPECT_TRUE(registrar_.registrations().empty());
}

TEST_F(RegistrarTest, OlderCSeqInTheSameCallIdIsRefused) {
  ASSERT_EQ(
      registerWith(request("1001", {contact("sip:a@h", 100)}, "c", 50), "right-password").status,
      200);
  // registerWith adds one to the CSeq for the authenticated try: 5 + 1 < 51.
  EXPECT_EQ(registerWith(request("1001", {contact("sip:a@h", 0)}, "c", 5), "right-password").status,
            500);
  EXPECT_EQ(registrar_.registrations().size(), 1u);
  // Another Call-ID (the phone restarted) may replace it whatever its CSeq.
  EXPECT_EQ(registerWith(request("1001", {contact("sip:a@h", 0)}, "d", 1), "right-password").status,
            200);
  EXPECT_TRUE(registrar_.registrations().empty());
}

TEST_F(RegistrarTest, UnsupportedSchemesAreBadRequests) {
  auto r = request("1001", {contact("sip:a@h")});
  r.to_scheme = "isbn";
  std::vector<BindingChange> ignored;
  EXPECT_EQ(registrar_.handle(r, ignored).status, 400);
  auto c = contact("name:John_Smith");
  c.scheme = "name";
  EXPECT_EQ(registrar_.handle(request("1001", {c}), ignored).status, 400);
  EXPECT_EQ(registrar_.counters().refused.load(), 2u);
}

TEST_F(RegistrarTest, QueryWithoutContactListsBindings) {
  ASSERT_EQ(registerWith(request("1001", {contact("sip:a@h", 100)}), "right-password").status, 200);
  time_.advance(40s);
  auto r = registerWith(request("1001", {}, "q", 1), "right-password");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.contacts, std::vector<std::string>{"<sip:a@h>;expires=60"});
}

}  // namespace
}  // namespace kefu::sip
