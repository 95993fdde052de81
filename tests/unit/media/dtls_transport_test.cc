#include "media/dtls_transport.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <set>
#include <tuple>
#include <vector>

#include "media/dtls.h"

namespace kefu::media {
namespace {

using State = DtlsTransport::State;
using Role = DtlsTransport::Role;

const DtlsCertificatePtr& clientCertificate() {
  static const DtlsCertificatePtr certificate = DtlsCertificate::generate().value();
  return certificate;
}
const DtlsCertificatePtr& serverCertificate() {
  static const DtlsCertificatePtr certificate = DtlsCertificate::generate().value();
  return certificate;
}

// Two transports joined by an in-memory "network" that may drop datagrams. Time only moves when
// the test says so.
struct Call {
  DtlsTransport client{clientCertificate(), Role::Client, "sha-256",
                       std::string(serverCertificate()->fingerprint())};
  DtlsTransport server{serverCertificate(), Role::Server, "sha-256",
                       std::string(clientCertificate()->fingerprint())};
  int64_t now_ms = 1000;
  // Return true to drop the datagram (from_client, index among that side's sends, bytes).
  std::function<bool(bool, int, const std::vector<uint8_t>&)> drop;
  int client_sent = 0;
  int server_sent = 0;
  std::vector<std::vector<uint8_t>> captured_from_client;
  std::vector<std::vector<uint8_t>> captured_from_server;

  // Delivers everything in flight until both sides are quiet. @return datagrams delivered.
  int deliver() {
    int delivered = 0;
    bool moved = true;
    while (moved) {
      moved = false;
      std::vector<uint8_t> datagram;
      while (client.popOutgoing(datagram)) {
        moved = true;
        captured_from_client.push_back(datagram);
        if (!(drop && drop(true, client_sent++, datagram))) {
          server.onDatagram(datagram, now_ms);
          ++delivered;
        }
      }
      while (server.popOutgoing(datagram)) {
        moved = true;
        captured_from_server.push_back(datagram);
        if (!(drop && drop(false, server_sent++, datagram))) {
          client.onDatagram(datagram, now_ms);
          ++delivered;
        }
      }
    }
    return delivered;
  }

  // Runs the timers forward (jumping to the earliest deadline) until both are connected or
  // `limit_ms` of simulated time passed.
  void run(int64_t limit_ms = 60000) {
    const int64_t end = now_ms + limit_ms;
    deliver();
    while (now_ms < end &&
           !(client.state() == State::Connected && server.state() == State::Connected)) {
      int64_t next = -1;
      for (int64_t t : {client.nextTimerMs(), server.nextTimerMs()}) {
        if (t >= 0 && (next < 0 || t < next)) {
          next = t;
        }
      }
      if (next < 0) {
        return;
      }
      now_ms = std::max(now_ms, next);
      client.onTimer(now_ms);
      server.onTimer(now_ms);
      deliver();
    }
  }

  void start() {
    server.start(now_ms);
    client.start(now_ms);
  }
};

// An RTP packet with a recognisable payload.
std::vector<uint8_t> rtpPacket() {
  std::vector<uint8_t> packet(12 + 160 + SrtpMaxOverhead, 0);
  packet[0] = 0x80;
  packet[3] = 1;
  packet[11] = 0x42;
  for (int i = 12; i < 172; ++i) {
    packet[i] = static_cast<uint8_t>(i);
  }
  return packet;
}

TEST(DtlsCertificateTest, HasAnSdpStyleSha256Fingerprint) {
  const DtlsCertificatePtr& certificate = clientCertificate();
  EXPECT_EQ(certificate->fingerprintAlgorithm(), "sha-256");
  std::string_view fingerprint = certificate->fingerprint();
  ASSERT_EQ(fingerprint.size(), 32u * 3 - 1);
  for (std::size_t i = 0; i < fingerprint.size(); ++i) {
    char c = fingerprint[i];
    if (i % 3 == 2) {
      EXPECT_EQ(c, ':');
    } else {
      EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')) << fingerprint;
    }
  }
  EXPECT_NE(fingerprint, serverCertificate()->fingerprint());
  EXPECT_EQ(certificateFingerprint(certificate->x509(), "SHA-256"), fingerprint);
  EXPECT_EQ(certificateFingerprint(certificate->x509(), "sha-1").size(), 20u * 3 - 1);
  EXPECT_EQ(certificateFingerprint(certificate->x509(), "md5"), "");
}

TEST(DtlsTransportTest, HandshakeGivesBothSidesMatchingSrtpKeys) {
  Call call;
  call.start();
  EXPECT_EQ(call.client.state(), State::Handshaking);
  call.run();
  ASSERT_EQ(call.client.state(), State::Connected) << call.client.failureReason();
  ASSERT_EQ(call.server.state(), State::Connected) << call.server.failureReason();
  EXPECT_EQ(call.client.retransmissions(), 0u);
  EXPECT_EQ(call.server.retransmissions(), 0u);

  auto [client_out, client_in] = call.client.srtpKeys();
  auto [server_out, server_in] = call.server.srtpKeys();
  EXPECT_EQ(client_out, server_in);
  EXPECT_EQ(client_in, server_out);
  EXPECT_NE(client_out, client_in);
  EXPECT_EQ(client_out.size, srtpKeyAndSaltSize(client_out.suite));
  EXPECT_EQ(call.client.srtpSuite(), call.server.srtpSuite());
  // Our own order puts AEAD_AES_128_GCM first: with Debian's libsrtp it costs a third of AES-CM.
  EXPECT_EQ(call.client.srtpSuite(), SrtpSuite::AeadAes128Gcm);

  // Every datagram respects the MTU, and the engine knows them for DTLS.
  for (const auto& datagram : call.captured_from_client) {
    EXPECT_LE(datagram.size(), 1200u);
    EXPECT_TRUE(DtlsTransport::looksLikeDtls(datagram));
  }
  for (const auto& datagram : call.captured_from_server) {
    EXPECT_LE(datagram.size(), 1200u);
  }
}

TEST(DtlsTransportTest, SrtpKeysFromTheHandshakeCarryMedia) {
  Call call;
  call.start();
  call.run();
  ASSERT_EQ(call.client.state(), State::Connected);
  ASSERT_EQ(call.server.state(), State::Connected);
  auto client_srtp =
      SrtpSession::create(call.client.srtpKeys().first, call.client.srtpKeys().second);
  auto server_srtp =
      SrtpSession::create(call.server.srtpKeys().first, call.server.srtpKeys().second);
  ASSERT_TRUE(client_srtp.ok() && server_srtp.ok());

  std::vector<uint8_t> plain = rtpPacket();
  std::vector<uint8_t> wire = plain;
  std::size_t size = (*client_srtp)->protectRtp(wire, 172);
  ASSERT_GT(size, 172u);
  EXPECT_EQ((*server_srtp)->unprotectRtp(wire, size), std::optional<std::size_t>(172));
  EXPECT_TRUE(std::equal(plain.begin(), plain.begin() + 172, wire.begin()));

  wire = plain;
  size = (*server_srtp)->protectRtp(wire, 172);
  EXPECT_EQ((*client_srtp)->unprotectRtp(wire, size), std::optional<std::size_t>(172));
}

TEST(DtlsTransportTest, AWrongRemoteFingerprintFailsTheHandshake) {
  Call call;
  // The client expects someone else's certificate (a man in the middle, or a stale SDP).
  std::string wrong(serverCertificate()->fingerprint());
  wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
  DtlsTransport client(clientCertificate(), Role::Client, "sha-256", wrong);
  call.server.start(call.now_ms);
  client.start(call.now_ms);
  std::vector<uint8_t> datagram;
  for (int round = 0; round < 10; ++round) {
    while (client.popOutgoing(datagram)) {
      call.server.onDatagram(datagram, call.now_ms);
    }
    while (call.server.popOutgoing(datagram)) {
      client.onDatagram(datagram, call.now_ms);
    }
  }
  EXPECT_EQ(client.state(), State::Failed);
  EXPECT_EQ(client.failureReason(), "fingerprint mismatch");
  EXPECT_EQ(client.nextTimerMs(), -1);
  // The client's alert tells the server, which does not connect either.
  EXPECT_EQ(call.server.state(), State::Failed);
}

TEST(DtlsTransportTest, TheServerChecksTheClientCertificateToo) {
  Call call;
  DtlsTransport server(serverCertificate(), Role::Server, "sha-256",
                       std::string(serverCertificate()->fingerprint()));  // not the client's
  server.start(call.now_ms);
  call.client.start(call.now_ms);
  std::vector<uint8_t> datagram;
  for (int round = 0; round < 10; ++round) {
    while (call.client.popOutgoing(datagram)) {
      server.onDatagram(datagram, call.now_ms);
    }
    while (server.popOutgoing(datagram)) {
      call.client.onDatagram(datagram, call.now_ms);
    }
  }
  EXPECT_EQ(server.state(), State::Failed);
  EXPECT_EQ(server.failureReason(), "fingerprint mismatch");
  EXPECT_NE(call.client.state(), State::Connected);
}

TEST(DtlsTransportTest, ALostClientHelloIsRetransmittedOnTheTimer) {
  if (!DtlsTransport::retransmitsOnCallerTime()) {
    GTEST_SKIP() << "this OpenSSL retransmits on its own wall clock";
  }
  Call call;
  call.drop = [](bool from_client, int index, const std::vector<uint8_t>&) {
    return from_client && index == 0;
  };
  call.start();
  const int64_t started = call.now_ms;
  EXPECT_EQ(call.client.nextTimerMs(), started + 1000);
  call.deliver();
  EXPECT_EQ(call.server.state(), State::Handshaking);
  EXPECT_EQ(call.client.onTimer(started + 999), started + 1000);  // not yet
  EXPECT_EQ(call.client.retransmissions(), 0u);
  call.run();
  ASSERT_EQ(call.client.state(), State::Connected) << call.client.failureReason();
  ASSERT_EQ(call.server.state(), State::Connected) << call.server.failureReason();
  EXPECT_EQ(call.client.retransmissions(), 1u);
  EXPECT_EQ(call.now_ms, started + 1000);
  EXPECT_EQ(call.client.srtpKeys().first, call.server.srtpKeys().second);
}

TEST(DtlsTransportTest, EveryHandshakeMessageLostOnceIsRecovered) {
  if (!DtlsTransport::retransmitsOnCallerTime()) {
    GTEST_SKIP() << "this OpenSSL retransmits on its own wall clock";
  }
  // The first copy of every handshake message is lost: ClientHello, the server's hello flight,
  // the client's certificate..Finished flight and the server's ChangeCipherSpec+Finished (which
  // only a retransmitted client Finished recovers). A datagram is told by its first record:
  // content type, epoch and, for plain handshake records, the message type. OpenSSL resends a
  // flight one message per datagram, so later messages of a flight are lost once more.
  Call call;
  std::set<std::tuple<bool, uint8_t, uint8_t, uint8_t>> seen;
  int dropped = 0;
  call.drop = [&](bool from_client, int, const std::vector<uint8_t>& datagram) {
    uint8_t message = datagram[0] == 22 && datagram[4] == 0 ? datagram[13] : 0;
    bool first = seen.insert({from_client, datagram[0], datagram[4], message}).second;
    dropped += first ? 1 : 0;
    return first;
  };
  call.start();
  call.run();
  ASSERT_EQ(call.client.state(), State::Connected) << call.client.failureReason();
  ASSERT_EQ(call.server.state(), State::Connected) << call.server.failureReason();
  EXPECT_GE(dropped, 4);
  EXPECT_GE(call.client.retransmissions(), 2u);
  EXPECT_GE(call.server.retransmissions(), 1u);
  EXPECT_EQ(call.client.srtpKeys().first, call.server.srtpKeys().second);
  EXPECT_EQ(call.client.srtpKeys().second, call.server.srtpKeys().first);
}

TEST(DtlsTransportTest, LosingTheServersLastFlightIsRecoveredByTheClientTimer) {
  if (!DtlsTransport::retransmitsOnCallerTime()) {
    GTEST_SKIP() << "this OpenSSL retransmits on its own wall clock";
  }
  Call call;
  int server_datagrams = 0;
  bool dropped_last = false;
  call.drop = [&](bool from_client, int, const std::vector<uint8_t>& datagram) {
    if (from_client) {
      return false;
    }
    ++server_datagrams;
    // The server's final flight is the first one it sends after it connected.
    if (!dropped_last && call.server.state() == State::Connected && datagram[0] == 20) {
      dropped_last = true;
      return true;
    }
    return false;
  };
  call.start();
  call.run();
  ASSERT_TRUE(dropped_last);
  ASSERT_EQ(call.client.state(), State::Connected) << call.client.failureReason();
  ASSERT_EQ(call.server.state(), State::Connected);
  EXPECT_GE(call.client.retransmissions(), 1u);
  EXPECT_EQ(call.client.srtpKeys().first, call.server.srtpKeys().second);
}

TEST(DtlsTransportTest, GarbageIsCountedAndDoesNotBreakAHandshakeInProgress) {
  Call call;
  call.start();
  std::vector<uint8_t> client_hello;
  ASSERT_TRUE(call.client.popOutgoing(client_hello));
  const std::vector<std::vector<uint8_t>> garbage = {
      {},                                                      // empty
      {0x80, 0x00, 0x01, 0x02},                                // an RTP header
      {22, 0xfe, 0xfd, 0, 0},                                  // a truncated record header
      {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 9, 0, 200, 1, 2},  // length past the end
      {99, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 7},       // unknown content type
      {22, 0x03, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 7},       // TLS, not DTLS
  };
  for (const auto& bytes : garbage) {
    call.server.onDatagram(bytes, call.now_ms);
    call.client.onDatagram(bytes, call.now_ms);
  }
  EXPECT_EQ(call.server.malformedDatagrams(), garbage.size());
  EXPECT_EQ(call.client.malformedDatagrams(), garbage.size());
  EXPECT_EQ(call.client.state(), State::Handshaking);

  call.server.onDatagram(client_hello, call.now_ms);
  // Garbage between the flights, too.
  for (const auto& bytes : garbage) {
    call.client.onDatagram(bytes, call.now_ms);
  }
  call.run();
  EXPECT_EQ(call.client.state(), State::Connected) << call.client.failureReason();
  EXPECT_EQ(call.server.state(), State::Connected) << call.server.failureReason();
  EXPECT_EQ(call.client.retransmissions(), 0u);  // garbage did not trigger a resend
  EXPECT_EQ(call.client.malformedDatagrams(), 2 * garbage.size());
}

TEST(DtlsTransportTest, TheHandshakeTimesOutWhenThePeerNeverAnswers) {
  if (!DtlsTransport::retransmitsOnCallerTime()) {
    GTEST_SKIP() << "this OpenSSL retransmits on its own wall clock";
  }
  DtlsTransportConfig config;
  config.handshake_timeout_ms = 10000;
  DtlsTransport client(clientCertificate(), Role::Client, "sha-256",
                       std::string(serverCertificate()->fingerprint()), config);
  int64_t now = 5000;
  client.start(now);
  std::vector<uint8_t> datagram;
  int sent = 0;
  std::vector<int64_t> sent_at;
  while (client.state() == State::Handshaking) {
    while (client.popOutgoing(datagram)) {
      ++sent;
      sent_at.push_back(now);
    }
    int64_t next = client.nextTimerMs();
    ASSERT_GT(next, now);
    now = next;
    client.onTimer(now);
  }
  EXPECT_EQ(client.state(), State::Failed);
  EXPECT_EQ(client.failureReason(), "handshake timeout");
  EXPECT_EQ(now, 15000);
  // 1 s, 2 s, 4 s between ClientHellos (RFC 6347 doubling), none after the deadline.
  ASSERT_EQ(sent_at.size(), 4u);
  EXPECT_EQ(sent_at[1] - sent_at[0], 1000);
  EXPECT_EQ(sent_at[2] - sent_at[1], 2000);
  EXPECT_EQ(sent_at[3] - sent_at[2], 4000);
  EXPECT_EQ(client.retransmissions(), 3u);
  EXPECT_EQ(client.onTimer(now + 100000), -1);

  // A server that never hears a ClientHello fails the same way.
  DtlsTransport server(serverCertificate(), Role::Server, "sha-256",
                       std::string(clientCertificate()->fingerprint()), config);
  server.start(0);
  EXPECT_EQ(server.nextTimerMs(), 10000);
  EXPECT_EQ(server.onTimer(9999), 10000);
  EXPECT_EQ(server.onTimer(10000), -1);
  EXPECT_EQ(server.state(), State::Failed);
  EXPECT_EQ(server.failureReason(), "handshake timeout");
}

TEST(DtlsTransportTest, CloseSendsCloseNotifyToThePeer) {
  Call call;
  call.start();
  call.run();
  ASSERT_EQ(call.client.state(), State::Connected);
  call.client.close();
  EXPECT_EQ(call.client.state(), State::Closed);
  call.deliver();
  EXPECT_EQ(call.server.state(), State::Closed);
}

TEST(DtlsTransportTest, AServerAcceptsAClientHelloBeforeStart) {
  Call call;
  call.client.start(call.now_ms);
  call.run();
  EXPECT_EQ(call.client.state(), State::Connected);
  EXPECT_EQ(call.server.state(), State::Connected);
}

}  // namespace
}  // namespace kefu::media
