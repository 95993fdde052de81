#include "call/internal/sip_text.h"

#include <gtest/gtest.h>

namespace kefu::call::internal {
namespace {

TEST(SipTextTest, UriUserTakesTheUserPartWithoutParameters) {
  EXPECT_EQ(uriUser("sip:4000@kefu.local"), "4000");
  EXPECT_EQ(uriUser("<sips:+4930123;phone-context=x@host;user=phone>"), "+4930123");
  EXPECT_EQ(uriUser("  <sip:301@10.0.0.1:5060;transport=tcp>"), "301");
  EXPECT_EQ(uriUser("sip:host.only"), "");
  EXPECT_EQ(uriUser("garbage"), "");
  EXPECT_EQ(uriUser(""), "");
}

TEST(SipTextTest, InfoDigitReadsDtmfRelayAndDtmfBodies) {
  EXPECT_EQ(infoDigit("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n"), '5');
  EXPECT_EQ(infoDigit("Application/DTMF-Relay; charset=x", "signal = #\nDuration=100"), '#');
  EXPECT_EQ(infoDigit("application/dtmf-relay", "Duration=160\r\nSignal=11\r\n"), '#');
  EXPECT_EQ(infoDigit("application/dtmf", "7"), '7');
  EXPECT_EQ(infoDigit("application/dtmf", " a \r\n"), 'A');
  EXPECT_EQ(infoDigit("application/dtmf", "55"), std::nullopt);
  EXPECT_EQ(infoDigit("application/dtmf-relay", "Signal=x"), std::nullopt);
  EXPECT_EQ(infoDigit("application/dtmf-relay", ""), std::nullopt);
  EXPECT_EQ(infoDigit("text/plain", "5"), std::nullopt);
}

TEST(SipTextTest, OfferHoldsOnSendonlyInactiveOrZeroAddress) {
  auto sdp = [](std::string attr, std::string address) {
    return "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 " + address +
           "\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n" + attr;
  };
  EXPECT_EQ(offerHolds(sdp("a=sendonly\r\n", "1.2.3.4")), true);
  EXPECT_EQ(offerHolds(sdp("a=inactive\r\n", "1.2.3.4")), true);
  EXPECT_EQ(offerHolds(sdp("", "0.0.0.0")), true);
  EXPECT_EQ(offerHolds(sdp("a=sendrecv\r\n", "1.2.3.4")), false);
  EXPECT_EQ(offerHolds(sdp("a=recvonly\r\n", "1.2.3.4")), false);
  EXPECT_EQ(offerHolds("not sdp"), std::nullopt);
}

}  // namespace
}  // namespace kefu::call::internal
