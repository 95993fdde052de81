#include "media/sdp.h"

#include <gtest/gtest.h>

#include <string>

#include "unit/media/sdp_samples.h"

namespace kefu::media {
namespace {

using testing::BaresipOffer;
using testing::ChromeOffer;
using testing::crlf;
using testing::LinphoneOffer;

TEST(SdpTest, ParsesABaresipOffer) {
  auto parsed = parseSdp(BaresipOffer);
  ASSERT_TRUE(parsed.ok()) << parsed.error().field << ": " << parsed.error().message;
  const SessionDescription& sdp = *parsed;
  EXPECT_EQ(sdp.session_id, 1453468467u);
  EXPECT_EQ(sdp.session_version, 2089094787u);
  EXPECT_EQ(sdp.origin_address, "192.168.0.10");
  ASSERT_EQ(sdp.media.size(), 1u);
  const SdpMedia& audio = sdp.media[0];
  EXPECT_EQ(audio.type, "audio");
  EXPECT_EQ(audio.port, 17302);
  EXPECT_EQ(audio.protocol, "RTP/AVP");
  EXPECT_EQ(audio.connection_address, "192.168.0.10") << "inherited from the session";
  ASSERT_EQ(audio.formats.size(), 4u);
  EXPECT_EQ(audio.formats[0], (SdpFormat{96, "opus", 48000, 2, "stereo=1;sprop-stereo=1"}));
  EXPECT_EQ(audio.formats[1], (SdpFormat{0, "PCMU", 8000, 1, ""}));
  EXPECT_EQ(audio.formats[3], (SdpFormat{101, "telephone-event", 8000, 1, "0-15"}));
  EXPECT_EQ(audio.direction, Direction::SendRecv);
  EXPECT_EQ(audio.ptime, 20);
  EXPECT_EQ(audio.rtcp_port, 17303);
  EXPECT_FALSE(audio.rtcp_mux);
  EXPECT_EQ(audio.ssrc, 744502219u);
  EXPECT_EQ(
      audio.other_attributes,
      (std::vector<std::string>{
          "label:1", "ssrc:744502219 cname:8da3c3e5-57df-4c2c-b1c6-bfbeb78ab5c8", "rtcp-rsize"}));
}

TEST(SdpTest, ParsesALinphoneOfferWithSessionLevelIce) {
  auto parsed = parseSdp(LinphoneOffer);
  ASSERT_TRUE(parsed.ok()) << parsed.error().field << ": " << parsed.error().message;
  const SdpMedia& audio = parsed->media.at(0);
  EXPECT_EQ(parsed->session_name, "Talk");
  EXPECT_EQ(parsed->origin_user, "alice");
  EXPECT_EQ(audio.ice_ufrag, "0bc19a4e");
  EXPECT_EQ(audio.ice_pwd, "4ad3b8e9d5f4be4b9b6a9e5d");
  EXPECT_EQ(audio.formats.size(), 9u);
  EXPECT_EQ(audio.formats[5], (SdpFormat{18, "G729", 8000, 1, ""})) << "static, no rtpmap";
  EXPECT_EQ(audio.rtcp_port, 7079);
  ASSERT_EQ(audio.candidates.size(), 3u);
  EXPECT_EQ(audio.candidates[1],
            (SdpCandidate{"1", 2, "UDP", 2130706430, "192.168.1.20", 7079, "host"}));
  EXPECT_EQ(audio.candidates[2].type, "srflx");
  EXPECT_EQ(audio.candidates[2].address, "203.0.113.7");
}

TEST(SdpTest, ParsesAChromeOffer) {
  auto parsed = parseSdp(ChromeOffer);
  ASSERT_TRUE(parsed.ok()) << parsed.error().field << ": " << parsed.error().message;
  const SessionDescription& sdp = *parsed;
  EXPECT_EQ(sdp.session_id, 4611731400430051336u);
  EXPECT_EQ(sdp.bundle_mids, (std::vector<std::string>{"0", "1"}));
  EXPECT_TRUE(sdp.connection_address.empty());
  ASSERT_EQ(sdp.media.size(), 2u);
  const SdpMedia& audio = sdp.media[0];
  EXPECT_EQ(audio.protocol, "UDP/TLS/RTP/SAVPF");
  EXPECT_EQ(audio.port, 9);
  EXPECT_EQ(audio.connection_address, "0.0.0.0");
  EXPECT_TRUE(audio.rtcp_mux);
  EXPECT_EQ(audio.mid, "0");
  EXPECT_EQ(audio.ice_ufrag, "6lKB");
  EXPECT_EQ(audio.ice_pwd, "Mmx4y7fHVVsnqhESb8P/CvO7");
  EXPECT_EQ(audio.fingerprint_algorithm, "sha-256");
  EXPECT_EQ(audio.fingerprint.size(), 95u);
  EXPECT_EQ(audio.setup, "actpass");
  EXPECT_EQ(audio.ssrc, 3735928559u);
  ASSERT_EQ(audio.candidates.size(), 2u);
  EXPECT_EQ(audio.candidates[0].transport, "udp");
  EXPECT_EQ(audio.candidates[0].port, 46243);
  EXPECT_EQ(audio.formats.size(), 8u);
  EXPECT_EQ(audio.formats[0].fmtp, "minptime=10;useinbandfec=1");
  EXPECT_EQ(audio.formats[6], (SdpFormat{110, "telephone-event", 48000, 1, ""}));
  // extmap, msid, rtcp-fb, ice-options and the ssrc lines are kept verbatim, in order.
  ASSERT_GE(audio.other_attributes.size(), 5u);
  EXPECT_EQ(audio.other_attributes[0], "ice-options:trickle");
  EXPECT_EQ(audio.other_attributes[1], "extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level");
  EXPECT_EQ(sdp.media[1].type, "video");
  EXPECT_EQ(sdp.media[1].formats[0], (SdpFormat{96, "VP8", 90000, 1, ""}));
}

TEST(SdpTest, RoundTripsEachSample) {
  for (const std::string* sample : {&BaresipOffer, &LinphoneOffer, &ChromeOffer}) {
    auto first = parseSdp(*sample);
    ASSERT_TRUE(first.ok()) << first.error().message;
    const std::string written = writeSdp(*first);
    EXPECT_EQ(written.find("\n"), written.find("\r\n") + 1) << "CRLF line ends";
    auto second = parseSdp(written);
    ASSERT_TRUE(second.ok()) << second.error().message << "\n" << written;
    EXPECT_EQ(*first, *second) << written;
  }
}

TEST(SdpTest, AcceptsBareLineFeedsAndATrailingBlankLine) {
  auto parsed = parseSdp(
      "v=0\no=- 1 1 IN IP4 10.0.0.1\ns=-\nc=IN IP4 10.0.0.1\nt=0 0\n"
      "m=audio 4000 RTP/AVP 8\na=sendonly\n\n");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->media[0].formats[0].name, "PCMA");
  EXPECT_EQ(parsed->media[0].direction, Direction::SendOnly);
}

TEST(SdpTest, SessionLevelDirectionAndFingerprintApplyToMedia) {
  auto parsed = parseSdp(crlf(R"(v=0
o=- 1 1 IN IP6 2001:db8::1
s=-
c=IN IP6 2001:db8::1
t=0 0
a=inactive
a=fingerprint:sha-1 AA:BB
a=setup:active
m=audio 4000 RTP/SAVP 0
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32
)"));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  const SdpMedia& audio = parsed->media[0];
  EXPECT_EQ(audio.direction, Direction::Inactive);
  EXPECT_EQ(audio.fingerprint_algorithm, "sha-1");
  EXPECT_EQ(audio.setup, "active");
  EXPECT_EQ(audio.connection_address, "2001:db8::1");
  ASSERT_EQ(audio.crypto.size(), 1u);
  EXPECT_EQ(audio.crypto[0].tag, 1);
  EXPECT_EQ(audio.crypto[0].suite, "AES_CM_128_HMAC_SHA1_80");
  EXPECT_EQ(audio.crypto[0].key_params,
            "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32");
  const std::string written = writeSdp(*parsed);
  EXPECT_NE(written.find("c=IN IP6 2001:db8::1\r\n"), std::string::npos) << written;
  auto again = parseSdp(written);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *parsed);
}

struct BadSdp {
  std::string text;
  int line;
  std::string words;  // a part of the message that says what is wrong
};

TEST(SdpTest, EveryErrorNamesItsLine) {
  const std::string head =
      "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n";
  const BadSdp cases[] = {
      {"", 1, "missing v="},
      {"o=- 1 1 IN IP4 10.0.0.1\r\n", 1, "before the v=0"},
      {"v=1\r\n", 1, "version"},
      {"v=0\r\nhello\r\n", 2, "<type>=<value>"},
      {"v=0\r\no=- 1 1 IN IP4\r\n", 2, "fewer than 6"},
      {"v=0\r\no=- abc 1 IN IP4 10.0.0.1\r\n", 2, "not a number"},
      {"v=0\r\no=- 1 1 XX IP4 10.0.0.1\r\n", 2, "IN IP4"},
      {"v=0\r\ns=-\r\nm=audio 4000 RTP/AVP 0\r\n", 3, "before o="},
      {"v=0\r\ns=-\r\n", 3, "missing o="},
      {head, 6, "missing m="},
      {head + "m=audio 70000 RTP/AVP 0\r\n", 6, "port"},
      {head + "m=audio x RTP/AVP 0\r\n", 6, "port"},
      {head + "m=audio 4000 RTP//AVP 0\r\n", 6, "protocol"},
      {head + "m=audio 4000 RTP/AVP\r\n", 6, "without formats"},
      {head + "m=audio 4000\r\n", 6, "fewer than 4"},
      {head + "m=audio 4000 RTP/AVP 128\r\n", 6, "payload type"},
      {head + "m=audio 4000 RTP/AVP 0 8 0\r\n", 6, "repeats payload type 0"},
      {head + "m=audio 4000 RTP/AVP 0\r\na=rtpmap:96 opus/48000/2\r\n", 7,
       "rtpmap of payload type"},
      {head + "m=audio 4000 RTP/AVP 96\r\na=rtpmap:96 opus\r\n", 7, "clock rate"},
      {head + "m=audio 4000 RTP/AVP 96\r\na=rtpmap:96 opus/0\r\n", 7, "clock rate"},
      {head + "m=audio 4000 RTP/AVP 0\r\na=fmtp:101 0-15\r\n", 7, "fmtp of payload type"},
      {head + "m=audio 4000 RTP/AVP 0\r\na=ptime:-5\r\n", 7, "ptime"},
      {head + "m=audio 4000 RTP/AVP 0\r\na=rtcp:99999\r\n", 7, "rtcp"},
      {head + "m=audio 4000 RTP/AVP 0\r\na=candidate:1 1 UDP x 10.0.0.1 4000 typ host\r\n", 7,
       "candidate"},
      {head + "m=audio 4000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80\r\n", 7, "crypto"},
      {head + "m=audio 4000 RTP/AVP 0\r\na=fingerprint:sha-256\r\n", 7, "fingerprint"},
      {head + "m=audio 4000 RTP/AVP 0\r\na=ssrc:abc cname:x\r\n", 7, "ssrc"},
      {head + "m=audio 4000 RTP/AVP 0\r\nc=IN IP4\r\n", 7, "c= line"},
      {"v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n", 5,
       "without a c= line"},
      {std::string(MaxSdpSize + 1, 'a'), 1, "larger than"},
  };
  for (const BadSdp& bad : cases) {
    auto parsed = parseSdp(bad.text);
    ASSERT_FALSE(parsed.ok()) << bad.text;
    EXPECT_EQ(parsed.error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(parsed.error().field, "sdp line " + std::to_string(bad.line))
        << parsed.error().message;
    EXPECT_NE(parsed.error().message.find(bad.words), std::string::npos) << parsed.error().message;
  }
}

TEST(SdpTest, RejectedStreamWithoutAddressIsAccepted) {
  // A port-0 stream needs no c= (RFC 3264 section 6): answers with rejected video look like this.
  auto parsed = parseSdp(
      "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\n"
      "m=audio 4000 RTP/AVP 0\r\nc=IN IP4 10.0.0.1\r\nm=video 0 RTP/AVP 96\r\n");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->media[1].port, 0);
}

TEST(SdpTest, RoundTripsOddButValidForms) {
  // Found by sdp_fuzz: an fmtp for a dynamic payload type without rtpmap, an empty s=, a
  // rejected stream without c= and a format list with an SCTP port and its sctpmap.
  const std::string odd = crlf(R"(v=0
o=- 1 1 IN IP4 10.0.0.1
s=
t=0 0
m=audio 4000 RTP/AVP 98 34
c=IN IP4 10.0.0.1
a=fmtp:98 vbr=on
m=video 0 RTP/AVP 96
m=application 5000 DTLS/SCTP 5000
c=IN IP4 10.0.0.1
a=sctpmap:5000 webrtc-datachannel 256
a=fmtp:5000 max-message-size=100000
)");
  auto first = parseSdp(odd);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->session_name, "-");
  EXPECT_EQ(first->media[0].formats[0], (SdpFormat{98, "", 0, 1, "vbr=on"}));
  EXPECT_EQ(first->media[0].formats[1], (SdpFormat{34, "", 0, 1, ""}));
  EXPECT_EQ(first->media[2].other_attributes.size(), 2u);
  const std::string written = writeSdp(*first);
  EXPECT_NE(written.find("a=fmtp:98 vbr=on\r\n"), std::string::npos) << written;
  auto second = parseSdp(written);
  ASSERT_TRUE(second.ok()) << second.error().message << "\n" << written;
  EXPECT_EQ(*second, *first) << written;
}

TEST(SdpTest, NonRtpFormatsAreKeptByName) {
  auto parsed = parseSdp(
      "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
      "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=sctp-port:5000\r\n");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->media[0].formats[0].name, "webrtc-datachannel");
  EXPECT_NE(writeSdp(*parsed).find("m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"),
            std::string::npos);
}

}  // namespace
}  // namespace kefu::media
