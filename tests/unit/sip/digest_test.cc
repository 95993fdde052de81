#include "sip/digest.h"

#include <gtest/gtest.h>

namespace kefu::sip {
namespace {

using namespace std::chrono_literals;

TEST(DigestTest, MatchesRfc2617Section35Example) {
  DigestCredentials c;
  c.username = "Mufasa";
  c.realm = "testrealm@host.com";
  c.nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
  c.uri = "/dir/index.html";
  c.qop = "auth";
  c.nc = "00000001";
  c.cnonce = "0a4f113b";
  EXPECT_EQ(digestResponse(c, "Circle Of Life", "GET"), "6629fae49393a05397450978507c4ef1");
}

TEST(DigestTest, WithoutQopUsesRfc2069Form) {
  // Checked by hand with Python's hashlib: MD5(MD5(user:realm:pw):nonce:MD5(method:uri)).
  DigestCredentials c;
  c.username = "1001";
  c.realm = "kefu";
  c.nonce = "4a7f.9c";
  c.uri = "sip:127.0.0.1:5060";
  EXPECT_EQ(digestResponse(c, "s3cret", "REGISTER"), "a33d331f770c5553bff8a3085f65a3c4");
  EXPECT_NE(digestResponse(c, "s3creT", "REGISTER"), "a33d331f770c5553bff8a3085f65a3c4");
}

TEST(DigestTest, ParsesQuotedEscapedAndTokenValues) {
  auto c = parseDigestCredentials(
      R"(Digest username="10\"01", realm="kefu",nonce="abc.def", uri="sip:kefu", )"
      R"(response="0123", algorithm=MD5, cnonce="xyz", qop=auth, nc=00000001, future="x")");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->username, "10\"01");
  EXPECT_EQ(c->realm, "kefu");
  EXPECT_EQ(c->nonce, "abc.def");
  EXPECT_EQ(c->uri, "sip:kefu");
  EXPECT_EQ(c->algorithm, "MD5");
  EXPECT_EQ(c->qop, "auth");
  EXPECT_EQ(c->nc, "00000001");
  EXPECT_EQ(c->cnonce, "xyz");
}

TEST(DigestTest, RefusesBrokenOrAmbiguousHeaders) {
  const char* Good = R"(username="a", realm="r", nonce="n", uri="u", response="x")";
  EXPECT_TRUE(parseDigestCredentials(std::string("Digest ") + Good).has_value());
  EXPECT_FALSE(parseDigestCredentials(std::string("Basic ") + Good).has_value());
  EXPECT_FALSE(parseDigestCredentials(R"(Digest realm="r", nonce="n", uri="u", response="x")"));
  EXPECT_FALSE(parseDigestCredentials(std::string("Digest ") + Good + R"(, username="b")"));
  EXPECT_FALSE(parseDigestCredentials(R"(Digest username="a, realm="r")"));
  EXPECT_FALSE(parseDigestCredentials(R"(Digest username=, realm="r")"));
  EXPECT_FALSE(parseDigestCredentials(std::string("Digest ") + Good + " junk"));
  EXPECT_FALSE(parseDigestCredentials(""));
  EXPECT_FALSE(parseDigestCredentials(std::string(MaxAuthorizationSize + 1, 'a')));
}

TEST(NonceIssuerTest, NonceIsValidThenStaleAfterItsLifetime) {
  SimulatedTime time;
  NonceIssuer issuer("0123456789abcdef0123456789abcdef", time, 300s);
  const std::string nonce = issuer.issue();
  EXPECT_EQ(issuer.check(nonce), NonceState::Valid);
  time.advance(299s);
  EXPECT_EQ(issuer.check(nonce), NonceState::Valid);
  time.advance(2s);
  EXPECT_EQ(issuer.check(nonce), NonceState::Stale);
  EXPECT_EQ(issuer.check(issuer.issue()), NonceState::Valid);
}

TEST(NonceIssuerTest, ForgedOrForeignNoncesAreInvalid) {
  SimulatedTime time;
  NonceIssuer issuer("0123456789abcdef0123456789abcdef", time, 300s);
  NonceIssuer other("fedcba9876543210fedcba9876543210", time, 300s);
  std::string nonce = issuer.issue();
  EXPECT_EQ(other.check(nonce), NonceState::Invalid);
  nonce.back() = nonce.back() == '0' ? '1' : '0';
  EXPECT_EQ(issuer.check(nonce), NonceState::Invalid);
  // A forger who moves the time stamp forward cannot keep the MAC.
  const std::string fresh = issuer.issue();
  EXPECT_EQ(issuer.check("f" + fresh), NonceState::Invalid);
  EXPECT_EQ(issuer.check(""), NonceState::Invalid);
  EXPECT_EQ(issuer.check("."), NonceState::Invalid);
}

}  // namespace
}  // namespace kefu::sip
