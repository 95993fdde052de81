// ICE-lite: the engine answers a browser's connectivity checks (RFC 8445, STUN RFC 5389).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <optional>
#include <vector>

#include "media/dtls.h"
#include "media/engine.h"
#include "media/sdp.h"
#include "media/stun.h"
#include "support/media/event_recorder.h"

namespace kefu::media {
namespace {

using testing::EventRecorder;

/** A browser-like endpoint: one loopback UDP socket sending STUN checks. */
class Checker {
 public:
  Checker() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~Checker() { ::close(fd_); }

  uint16_t port() const { return port_; }

  /** Sends a Binding request and @return the response, if one came within a second. */
  std::optional<std::vector<uint8_t>> check(uint16_t to_port, std::string_view username,
                                            std::string_view password, bool nominate) {
    std::array<uint8_t, 12> transaction{};
    transaction[0] = static_cast<uint8_t>(++transactions_);
    std::array<uint8_t, 512> request{};
    std::size_t size = writeBindingRequest(transaction, username, password, 0x6e001eff, nominate,
                                           0x1122334455667788ULL, request);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    to.sin_port = htons(to_port);
    ::sendto(fd_, request.data(), size, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    pollfd descriptor{fd_, POLLIN, 0};
    if (::poll(&descriptor, 1, 1000) <= 0) {
      return std::nullopt;
    }
    std::vector<uint8_t> response(1500);
    ssize_t n = ::recv(fd_, response.data(), response.size(), 0);
    response.resize(static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
    return response;
  }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
  int transactions_ = 0;
};

TEST(IceLiteTest, AnswersConnectivityChecksWithItsPasswordAndRefusesWrongOnes) {
  EventRecorder events;
  EngineConfig config;
  config.threads = 1;
  config.port_min = 31000;
  config.port_max = 39999;
  auto engine = startMediaEngine(config, events);
  ASSERT_TRUE(engine.ok());
  auto browser_certificate = DtlsCertificate::generate();
  ASSERT_TRUE(browser_certificate.ok());
  Checker browser;
  std::string offer =
      "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
      "a=group:BUNDLE 0\r\n"
      "m=audio " +
      std::to_string(browser.port()) +
      " UDP/TLS/RTP/SAVPF 111 0 126\r\nc=IN IP4 127.0.0.1\r\n"
      "a=candidate:1 1 udp 2122260223 127.0.0.1 " +
      std::to_string(browser.port()) +
      " typ host\r\na=ice-ufrag:brws\r\na=ice-pwd:browserpassword0123456789\r\n"
      "a=fingerprint:sha-256 " +
      std::string((*browser_certificate)->fingerprint()) +
      "\r\na=setup:actpass\r\na=mid:0\r\na=sendrecv\r\na=rtcp-mux\r\n"
      "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n"
      "a=rtpmap:0 PCMU/8000\r\na=rtpmap:126 telephone-event/8000\r\n";
  auto answer = (*engine)->answer(offer, {});
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  auto description = parseSdp(answer->sdp);
  ASSERT_TRUE(description.ok());
  ASSERT_EQ(description->media.size(), 1u);
  const SdpMedia& media = description->media[0];
  EXPECT_TRUE(description->ice_lite);
  EXPECT_EQ(media.protocol, "UDP/TLS/RTP/SAVPF");
  EXPECT_EQ(media.setup, "passive");
  EXPECT_TRUE(media.rtcp_mux);
  ASSERT_FALSE(media.ice_ufrag.empty());
  ASSERT_FALSE(media.ice_pwd.empty());
  ASSERT_EQ(media.candidates.size(), 1u);
  EXPECT_EQ(media.candidates[0].port, media.port);

  std::string username = media.ice_ufrag + ":brws";
  auto response = browser.check(media.port, username, media.ice_pwd, true);
  ASSERT_TRUE(response.has_value()) << "no answer to a valid check";
  auto parsed = parseStun(*response);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->type, 0x0101) << "a Binding success response";
  EXPECT_TRUE(parsed->has_fingerprint);
  EXPECT_TRUE(checkStunIntegrity(*response, media.ice_pwd));

  auto refused = browser.check(media.port, username, "not-the-password", true);
  ASSERT_TRUE(refused.has_value());
  auto error = parseStun(*refused);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->type, 0x0111) << "a Binding error response";
  EXPECT_EQ(error->error_code, 401);

  auto stranger = browser.check(media.port, "someoneelse:brws", media.ice_pwd, true);
  ASSERT_TRUE(stranger.has_value());
  EXPECT_EQ(parseStun(*stranger)->error_code, 401);
  EXPECT_GE((*engine)->counters().malformed_stun, 2u);
}

}  // namespace
}  // namespace kefu::media
