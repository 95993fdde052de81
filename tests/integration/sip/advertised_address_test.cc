// sip.advertised_address: a stack listening on every address (0.0.0.0) writes the advertised host,
// not 0.0.0.0, in the Via and Contact of the INVITEs it sends.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sip/sip_stack.h"
#include "support/sip/sip_socket.h"

namespace kefu::sip {
namespace {

class NullListener : public SipStackListener {
 public:
  void onRegistration(const BindingChange&) override {}
};

class NullCallListener : public SipCallListener {
 public:
  void onIncomingInvite(const IncomingInvite&) override {}
  void onDialogEvent(const DialogEvent&) override {}
};

// A UDP socket on 127.0.0.1 standing in for a phone: it only reads what it is sent.
class UdpPeer {
 public:
  UdpPeer() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return;
    }
    port_ = ntohs(addr.sin_port);
  }
  ~UdpPeer() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  uint16_t port() const { return port_; }
  // Sends `bytes` to 127.0.0.1:`port`.
  void sendTo(uint16_t port, const std::string& bytes) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    (void)::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&addr),
                   sizeof addr);
  }
  // @return the next datagram, or "" after 5 s.
  std::string receive() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) {
      return {};
    }
    char buffer[65536];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
  }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

std::string headerLine(const std::string& message, const std::string& name) {
  const auto at = message.find("\r\n" + name + ":");
  if (at == std::string::npos) {
    return {};
  }
  const auto start = at + 2;
  return message.substr(start, message.find("\r\n", start) - start);
}

TEST(AdvertisedAddressTest, ViaAndContactCarryTheAdvertisedHostWhenListeningOnAllAddresses) {
  UdpPeer phone;
  ASSERT_NE(phone.port(), 0);
  SipConfig config;
  config.sip = {"0.0.0.0", testing::freeSipPort()};
  config.advertised_host = "192.0.2.7";
  NullListener listener;
  RealTimeSource time;
  auto started = startSipStack(config, listener, time);
  ASSERT_TRUE(started.ok()) << started.error().message;
  SipStack& stack = **started;
  NullCallListener calls;
  stack.setCallListener(&calls);

  OutgoingInvite invite;
  invite.request_uri = "sip:1001@127.0.0.1:" + std::to_string(phone.port());
  invite.from_uri = "sip:4000@192.0.2.7";
  invite.sdp =
      "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
      "m=audio 20000 RTP/AVP 0\r\n";
  const DialogId dialog = stack.invite(invite);
  const std::string sent = phone.receive();
  ASSERT_FALSE(sent.empty());
  ASSERT_EQ(sent.rfind("INVITE ", 0), 0u) << sent;
  const std::string via = headerLine(sent, "Via");
  const std::string contact = headerLine(sent, "Contact");
  const std::string port = std::to_string(config.sip.port);
  EXPECT_NE(via.find("192.0.2.7:" + port), std::string::npos) << via;
  EXPECT_NE(contact.find("192.0.2.7:" + port), std::string::npos) << contact;
  EXPECT_EQ(sent.find("0.0.0.0"), std::string::npos) << sent;
  // Busy: the INVITE's transaction ends at once (a CANCEL would wait for a provisional).
  std::string busy = "SIP/2.0 486 Busy Here\r\n";
  for (const char* name : {"Via", "From", "To", "Call-ID", "CSeq"}) {
    busy += headerLine(sent, name) + (std::string(name) == "To" ? ";tag=busy1" : "") + "\r\n";
  }
  phone.sendTo(config.sip.port, busy + "Content-Length: 0\r\n\r\n");
  (void)dialog;
  stack.setCallListener(nullptr);
}

}  // namespace
}  // namespace kefu::sip
