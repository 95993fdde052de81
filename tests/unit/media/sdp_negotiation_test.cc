#include "media/sdp_negotiation.h"

#include <gtest/gtest.h>

#include <string>

#include "unit/media/sdp_samples.h"

namespace kefu::media {
namespace {

using testing::crlf;

SessionDescription parse(const std::string& text) {
  auto parsed = parseSdp(text);
  EXPECT_TRUE(parsed.ok()) << parsed.error().field << ": " << parsed.error().message;
  return parsed.ok() ? *parsed : SessionDescription{};
}

/** A plain SIP offer from 10.0.0.9 with this m= tail and extra media attributes. */
SessionDescription sipOffer(const std::string& formats, const std::string& attributes = "",
                            const std::string& address = "10.0.0.9") {
  return parse(crlf("v=0\no=phone 10 10 IN IP4 10.0.0.9\ns=call\nc=IN IP4 " + address +
                    "\nt=0 0\nm=audio 30000 RTP/AVP " + formats + "\n" + attributes));
}

LocalMedia trunkSide() {
  LocalMedia local;
  local.address = "192.0.2.10";
  local.port = 40000;
  local.codecs = {CodecId::Opus, CodecId::G722, CodecId::Pcma, CodecId::Pcmu};
  local.session_id = 77;
  local.session_version = 1;
  return local;
}

LocalMedia webrtcSide() {
  LocalMedia local = trunkSide();
  local.security = MediaSecurity::DtlsSrtp;
  local.ice_ufrag = "kefuUfrag";
  local.ice_pwd = "kefuIcePasswordOf24Chars";
  local.fingerprint_algorithm = "sha-256";
  local.fingerprint = "01:02:03:04";
  return local;
}

TEST(SdpNegotiationTest, AnswersAPcmuOnlyOffer) {
  auto answer = answerOffer(sipOffer("0"), trunkSide());
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  const Negotiated& negotiated = answer->negotiated;
  EXPECT_EQ(negotiated.codec, CodecId::Pcmu);
  EXPECT_EQ(negotiated.payload_type, 0);
  EXPECT_EQ(negotiated.telephone_event_payload_type, -1) << "none offered";
  EXPECT_EQ(negotiated.remote_address, "10.0.0.9");
  EXPECT_EQ(negotiated.remote_port, 30000);
  EXPECT_EQ(negotiated.remote_rtcp_port, 30001);
  EXPECT_FALSE(negotiated.rtcp_mux);
  EXPECT_EQ(negotiated.direction, Direction::SendRecv);
  EXPECT_EQ(negotiated.security, MediaSecurity::None);
  EXPECT_FALSE(negotiated.hold);

  const SdpMedia& ours = answer->description.media.at(0);
  EXPECT_EQ(ours.port, 40000);
  EXPECT_EQ(ours.protocol, "RTP/AVP");
  EXPECT_EQ(ours.connection_address, "192.0.2.10");
  ASSERT_EQ(ours.formats.size(), 1u);
  EXPECT_EQ(ours.formats[0].payload_type, 0);
  // The written answer is valid SDP that says the same.
  auto reparsed = parseSdp(writeSdp(answer->description));
  ASSERT_TRUE(reparsed.ok()) << reparsed.error().message;
  EXPECT_EQ(*reparsed, answer->description);
}

TEST(SdpNegotiationTest, OurPreferenceWinsAmongCommonCodecs) {
  // The phone prefers PCMU, then Opus; we prefer Opus.
  auto offer = sipOffer("0 111 101",
                        "a=rtpmap:111 opus/48000/2\na=fmtp:111 useinbandfec=1\n"
                        "a=rtpmap:101 telephone-event/8000\n");
  auto answer = answerOffer(offer, trunkSide());
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  EXPECT_EQ(answer->negotiated.codec, CodecId::Opus);
  EXPECT_EQ(answer->negotiated.payload_type, 111) << "the offer's payload type";
  EXPECT_EQ(answer->description.media[0].formats[0],
            (SdpFormat{111, "opus", 48000, 2, "useinbandfec=1"}));
  // telephone-event/8000 does not run at Opus's clock: no events.
  EXPECT_EQ(answer->negotiated.telephone_event_payload_type, -1);

  LocalMedia g711_first = trunkSide();
  g711_first.codecs = {CodecId::Pcmu, CodecId::Opus};
  auto answer2 = answerOffer(offer, g711_first);
  ASSERT_TRUE(answer2.ok());
  EXPECT_EQ(answer2->negotiated.codec, CodecId::Pcmu);
  EXPECT_EQ(answer2->negotiated.telephone_event_payload_type, 101);
}

TEST(SdpNegotiationTest, TelephoneEventTakesTheOfferedPayloadTypeAtTheCodecRate) {
  auto offer = testing::LinphoneOffer;  // telephone-event at 48000 (101), 16000, 8000 (100)
  auto answer = answerOffer(parse(offer), trunkSide());
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  EXPECT_EQ(answer->negotiated.codec, CodecId::Opus);
  EXPECT_EQ(answer->negotiated.telephone_event_payload_type, 101);
  const auto& formats = answer->description.media[0].formats;
  ASSERT_EQ(formats.size(), 2u);
  EXPECT_EQ(formats[1], (SdpFormat{101, "telephone-event", 48000, 1, ""}));

  LocalMedia g711 = trunkSide();
  g711.codecs = {CodecId::Pcma};
  auto answer8k = answerOffer(parse(offer), g711);
  ASSERT_TRUE(answer8k.ok());
  EXPECT_EQ(answer8k->negotiated.telephone_event_payload_type, 100);
  EXPECT_EQ(answer8k->negotiated.remote_rtcp_port, 7079) << "from a=rtcp";

  LocalMedia no_events = trunkSide();
  no_events.telephone_events = false;
  auto answer_no_events = answerOffer(parse(offer), no_events);
  ASSERT_TRUE(answer_no_events.ok());
  EXPECT_EQ(answer_no_events->negotiated.telephone_event_payload_type, -1);
  EXPECT_EQ(answer_no_events->description.media[0].formats.size(), 1u);
}

TEST(SdpNegotiationTest, NoCommonCodecIsAnError) {
  auto answer = answerOffer(sipOffer("18 3"), trunkSide());  // G.729 and GSM
  ASSERT_FALSE(answer.ok());
  EXPECT_NE(answer.error().message.find("no codec"), std::string::npos);
}

TEST(SdpNegotiationTest, NoAudioStreamIsAnError) {
  auto offer =
      parse(crlf("v=0\no=- 1 1 IN IP4 10.0.0.9\ns=-\nc=IN IP4 10.0.0.9\nt=0 0\n"
                 "m=video 5000 RTP/AVP 96\na=rtpmap:96 VP8/90000\n"
                 "m=audio 0 RTP/AVP 0\n"));
  auto answer = answerOffer(offer, trunkSide());
  ASSERT_FALSE(answer.ok());
  EXPECT_NE(answer.error().message.find("no audio"), std::string::npos);
}

TEST(SdpNegotiationTest, HoldFromSendonlyInactiveAndNullAddress) {
  auto sendonly = answerOffer(sipOffer("0", "a=sendonly\n"), trunkSide());
  ASSERT_TRUE(sendonly.ok());
  EXPECT_TRUE(sendonly->negotiated.hold);
  EXPECT_EQ(sendonly->negotiated.direction, Direction::RecvOnly);
  EXPECT_EQ(sendonly->description.media[0].direction, Direction::RecvOnly);

  auto inactive = answerOffer(sipOffer("0", "a=inactive\n"), trunkSide());
  ASSERT_TRUE(inactive.ok());
  EXPECT_TRUE(inactive->negotiated.hold);
  EXPECT_EQ(inactive->negotiated.direction, Direction::Inactive);
  EXPECT_EQ(inactive->description.media[0].direction, Direction::Inactive);

  auto recvonly = answerOffer(sipOffer("0", "a=recvonly\n"), trunkSide());
  ASSERT_TRUE(recvonly.ok());
  EXPECT_FALSE(recvonly->negotiated.hold);
  EXPECT_EQ(recvonly->negotiated.direction, Direction::SendOnly);

  auto null_address = answerOffer(sipOffer("0", "", "0.0.0.0"), trunkSide());
  ASSERT_TRUE(null_address.ok());
  EXPECT_TRUE(null_address->negotiated.hold);
  EXPECT_EQ(null_address->negotiated.direction, Direction::RecvOnly)
      << "nothing can be sent to 0.0.0.0";
}

TEST(SdpNegotiationTest, SavpWithCryptoChoosesSdes) {
  auto offer = parse(crlf(
      "v=0\no=- 1 1 IN IP4 10.0.0.9\ns=-\nc=IN IP4 10.0.0.9\nt=0 0\n"
      "m=audio 30000 RTP/SAVP 8 101\na=rtpmap:101 telephone-event/8000\n"
      "a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj|2^20\n"
      "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20\n"));
  LocalMedia local = trunkSide();
  local.crypto = {
      {1, "AES_CM_128_HMAC_SHA1_80", "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"}};
  auto answer = answerOffer(offer, local);
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  const Negotiated& negotiated = answer->negotiated;
  EXPECT_EQ(negotiated.security, MediaSecurity::Sdes);
  ASSERT_TRUE(negotiated.remote_crypto.has_value());
  EXPECT_EQ(negotiated.remote_crypto->tag, 2);
  EXPECT_EQ(negotiated.remote_crypto->key_params,
            "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20");
  ASSERT_TRUE(negotiated.local_crypto.has_value());
  EXPECT_EQ(
      *negotiated.local_crypto,
      (SdpCrypto{2, "AES_CM_128_HMAC_SHA1_80", "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"}))
      << "our key under the offer's tag";
  const SdpMedia& ours = answer->description.media[0];
  EXPECT_EQ(ours.protocol, "RTP/SAVP");
  ASSERT_EQ(ours.crypto.size(), 1u);
  EXPECT_EQ(ours.crypto[0].tag, 2);

  // Without a key for a suite the offer lists, SDES cannot be met.
  LocalMedia no_keys = trunkSide();
  EXPECT_FALSE(answerOffer(offer, no_keys).ok());
  // A trunk that requires SDES refuses plain RTP.
  local.security = MediaSecurity::Sdes;
  EXPECT_FALSE(answerOffer(sipOffer("0"), local).ok());
}

TEST(SdpNegotiationTest, WebRtcOfferGetsADtlsSrtpIceLiteAnswer) {
  auto offer = parse(testing::ChromeOffer);
  auto answer = answerOffer(offer, webrtcSide());
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  const Negotiated& negotiated = answer->negotiated;
  EXPECT_EQ(negotiated.security, MediaSecurity::DtlsSrtp);
  EXPECT_EQ(negotiated.codec, CodecId::Opus);
  EXPECT_EQ(negotiated.payload_type, 111);
  EXPECT_EQ(negotiated.telephone_event_payload_type, 110);
  EXPECT_TRUE(negotiated.rtcp_mux);
  EXPECT_EQ(negotiated.remote_rtcp_port, negotiated.remote_port);
  EXPECT_FALSE(negotiated.hold) << "c=0.0.0.0 with ICE is trickle, not hold";
  EXPECT_EQ(negotiated.direction, Direction::SendRecv);
  EXPECT_EQ(negotiated.remote_address, "192.168.0.196") << "from the UDP host candidate";
  EXPECT_EQ(negotiated.remote_port, 46243);
  EXPECT_EQ(negotiated.remote_ice_ufrag, "6lKB");
  EXPECT_EQ(negotiated.remote_ice_pwd, "Mmx4y7fHVVsnqhESb8P/CvO7");
  EXPECT_EQ(negotiated.remote_fingerprint_algorithm, "sha-256");
  EXPECT_EQ(negotiated.remote_setup, "actpass");
  EXPECT_EQ(negotiated.mid, "0");

  const SessionDescription& description = answer->description;
  EXPECT_TRUE(description.ice_lite);
  EXPECT_EQ(description.bundle_mids, (std::vector<std::string>{"0"}));
  ASSERT_EQ(description.media.size(), 2u);
  const SdpMedia& audio = description.media[0];
  EXPECT_EQ(audio.protocol, "UDP/TLS/RTP/SAVPF");
  EXPECT_EQ(audio.mid, "0");
  EXPECT_TRUE(audio.rtcp_mux);
  EXPECT_EQ(audio.ice_ufrag, "kefuUfrag");
  EXPECT_EQ(audio.ice_pwd, "kefuIcePasswordOf24Chars");
  EXPECT_EQ(audio.fingerprint, "01:02:03:04");
  EXPECT_EQ(audio.setup, "passive");
  ASSERT_EQ(audio.candidates.size(), 1u);
  EXPECT_EQ(audio.candidates[0],
            (SdpCandidate{"1", 1, "UDP", 2130706431, "192.0.2.10", 40000, "host"}));
  EXPECT_TRUE(audio.end_of_candidates);
  // The video stream is rejected with port 0 and keeps its mid.
  EXPECT_EQ(description.media[1].type, "video");
  EXPECT_EQ(description.media[1].port, 0);
  EXPECT_EQ(description.media[1].mid, "1");

  const std::string text = writeSdp(description);
  EXPECT_NE(text.find("a=ice-lite\r\n"), std::string::npos);
  EXPECT_NE(text.find("a=group:BUNDLE 0\r\n"), std::string::npos);
  EXPECT_NE(text.find("m=video 0 UDP/TLS/RTP/SAVPF 96 97\r\n"), std::string::npos) << text;
  auto reparsed = parseSdp(text);
  ASSERT_TRUE(reparsed.ok()) << reparsed.error().message;
  EXPECT_EQ(*reparsed, description);
}

TEST(SdpNegotiationTest, DtlsOfferWithoutOurCertificateIsRefused) {
  EXPECT_FALSE(answerOffer(parse(testing::ChromeOffer), trunkSide()).ok());
  LocalMedia passive_peer = webrtcSide();
  std::string offer = testing::ChromeOffer;
  offer.replace(offer.find("a=setup:actpass"), 15, "a=setup:passive");
  auto answer = answerOffer(parse(offer), passive_peer);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->description.media[0].setup, "active") << "someone must be the client";
}

TEST(SdpNegotiationTest, OfferAndAcceptAnswerWithAPhone) {
  LocalMedia local = trunkSide();
  local.codecs = {CodecId::Opus, CodecId::Pcmu};
  const SessionDescription offer = makeOffer(local);
  ASSERT_EQ(offer.media.size(), 1u);
  const SdpMedia& media = offer.media[0];
  EXPECT_EQ(media.protocol, "RTP/AVP");
  ASSERT_EQ(media.formats.size(), 4u);
  EXPECT_EQ(media.formats[0].name, "opus");
  EXPECT_EQ(media.formats[0].payload_type, 96);
  EXPECT_EQ(media.formats[1].payload_type, 0);
  EXPECT_EQ(media.formats[2], (SdpFormat{97, "telephone-event", 48000, 1, "0-16"}));
  EXPECT_EQ(media.formats[3], (SdpFormat{98, "telephone-event", 8000, 1, "0-16"}));
  auto written = parseSdp(writeSdp(offer));
  ASSERT_TRUE(written.ok()) << written.error().message;
  EXPECT_EQ(*written, offer);

  // The phone picks PCMU and its events at 8 kHz, and puts us on hold later.
  auto answer =
      parse(crlf("v=0\no=phone 5 5 IN IP4 10.0.0.9\ns=-\nc=IN IP4 10.0.0.9\nt=0 0\n"
                 "m=audio 30000 RTP/AVP 0 98\na=rtpmap:98 telephone-event/8000\n"
                 "a=rtcp:30011\n"));
  auto negotiated = acceptAnswer(offer, answer);
  ASSERT_TRUE(negotiated.ok()) << negotiated.error().message;
  EXPECT_EQ(negotiated->codec, CodecId::Pcmu);
  EXPECT_EQ(negotiated->payload_type, 0);
  EXPECT_EQ(negotiated->telephone_event_payload_type, 98);
  EXPECT_EQ(negotiated->remote_address, "10.0.0.9");
  EXPECT_EQ(negotiated->remote_port, 30000);
  EXPECT_EQ(negotiated->remote_rtcp_port, 30011);
  EXPECT_EQ(negotiated->direction, Direction::SendRecv);

  auto rejected =
      parse(crlf("v=0\no=phone 5 6 IN IP4 10.0.0.9\ns=-\nc=IN IP4 10.0.0.9\n"
                 "t=0 0\nm=audio 0 RTP/AVP 0\n"));
  EXPECT_FALSE(acceptAnswer(offer, rejected).ok());
  auto foreign_codec =
      parse(crlf("v=0\no=phone 5 6 IN IP4 10.0.0.9\ns=-\nc=IN IP4 10.0.0.9\n"
                 "t=0 0\nm=audio 30000 RTP/AVP 8\n"));
  EXPECT_FALSE(acceptAnswer(offer, foreign_codec).ok()) << "PCMA was not offered";
  auto sendonly =
      parse(crlf("v=0\no=phone 5 6 IN IP4 10.0.0.9\ns=-\nc=IN IP4 10.0.0.9\n"
                 "t=0 0\nm=audio 30000 RTP/AVP 0\na=sendonly\n"));
  auto held = acceptAnswer(offer, sendonly);
  ASSERT_TRUE(held.ok());
  EXPECT_TRUE(held->hold);
  EXPECT_EQ(held->direction, Direction::RecvOnly);
}

TEST(SdpNegotiationTest, WebRtcOfferAndItsAnswer) {
  LocalMedia local = webrtcSide();
  local.codecs = {CodecId::Opus, CodecId::Pcmu};
  const SessionDescription offer = makeOffer(local);
  EXPECT_TRUE(offer.ice_lite);
  EXPECT_EQ(offer.bundle_mids, (std::vector<std::string>{"0"}));
  const SdpMedia& media = offer.media[0];
  EXPECT_EQ(media.protocol, "UDP/TLS/RTP/SAVPF");
  EXPECT_TRUE(media.rtcp_mux);
  EXPECT_EQ(media.setup, "actpass");
  EXPECT_EQ(media.candidates.size(), 1u);

  auto browser_answer =
      parse(crlf("v=0\no=- 99 2 IN IP4 127.0.0.1\ns=-\nt=0 0\na=group:BUNDLE 0\n"
                 "m=audio 9 UDP/TLS/RTP/SAVPF 96 97\nc=IN IP4 0.0.0.0\n"
                 "a=candidate:1 1 udp 2122260223 192.168.0.196 50000 typ host\n"
                 "a=ice-ufrag:brow\na=ice-pwd:browserPasswordOf24Chars\n"
                 "a=fingerprint:sha-256 AA:BB\na=setup:active\na=mid:0\na=rtcp-mux\n"
                 "a=rtpmap:96 opus/48000/2\na=rtpmap:97 telephone-event/48000\n"));
  auto negotiated = acceptAnswer(offer, browser_answer);
  ASSERT_TRUE(negotiated.ok()) << negotiated.error().message;
  EXPECT_EQ(negotiated->security, MediaSecurity::DtlsSrtp);
  EXPECT_EQ(negotiated->codec, CodecId::Opus);
  EXPECT_EQ(negotiated->telephone_event_payload_type, 97);
  EXPECT_TRUE(negotiated->rtcp_mux);
  EXPECT_EQ(negotiated->remote_setup, "active");
  EXPECT_EQ(negotiated->remote_address, "192.168.0.196");
  EXPECT_EQ(negotiated->remote_port, 50000);
  EXPECT_EQ(negotiated->mid, "0");
  EXPECT_FALSE(negotiated->hold);

  auto no_fingerprint = browser_answer;
  no_fingerprint.media[0].fingerprint.clear();
  EXPECT_FALSE(acceptAnswer(offer, no_fingerprint).ok());
}

TEST(SdpNegotiationTest, SdesOfferAndAnswer) {
  LocalMedia local = trunkSide();
  local.security = MediaSecurity::Sdes;
  local.codecs = {CodecId::Pcma};
  local.crypto = {{1, "AES_CM_128_HMAC_SHA1_80", "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"},
                  {2, "AES_CM_128_HMAC_SHA1_32", "inline:c2VjcmV0IGtleSBmb3IgdGVzdHMgb25seSBvaw"}};
  const SessionDescription offer = makeOffer(local);
  EXPECT_EQ(offer.media[0].protocol, "RTP/SAVP");
  EXPECT_EQ(offer.media[0].crypto.size(), 2u);
  auto answer = parse(
      crlf("v=0\no=- 5 5 IN IP4 10.0.0.9\ns=-\nc=IN IP4 10.0.0.9\nt=0 0\n"
           "m=audio 30000 RTP/SAVP 8\n"
           "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj\n"));
  auto negotiated = acceptAnswer(offer, answer);
  ASSERT_TRUE(negotiated.ok()) << negotiated.error().message;
  EXPECT_EQ(negotiated->security, MediaSecurity::Sdes);
  EXPECT_EQ(negotiated->local_crypto->tag, 2);
  EXPECT_EQ(negotiated->local_crypto->key_params, "inline:c2VjcmV0IGtleSBmb3IgdGVzdHMgb25seSBvaw");
  EXPECT_EQ(negotiated->remote_crypto->key_params,
            "inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj");
  answer.media[0].crypto.clear();
  EXPECT_FALSE(acceptAnswer(offer, answer).ok());
}

}  // namespace
}  // namespace kefu::media
