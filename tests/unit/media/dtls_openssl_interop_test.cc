// Interoperability: our DTLS transport against the `openssl s_client` and `openssl s_server`
// commands over loopback UDP, for each SRTP profile. It needs no fixed port (our socket binds
// port 0, s_server is asked for port 0 and tells its choice), is bounded (15 s per exchange,
// `timeout` around the command) and is skipped when the openssl command is missing. Unlike the
// other media unit tests it uses the real clock and a real socket, because the peer does.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/pem.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "media/dtls.h"

namespace kefu::media {
namespace {

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string hex(std::span<const uint8_t> bytes) {
  constexpr char Hex[] = "0123456789ABCDEF";
  std::string text;
  for (uint8_t b : bytes) {
    text += Hex[b >> 4];
    text += Hex[b & 15];
  }
  return text;
}

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "kefu_dtls_interop_XXXXXX").string();
    path = mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

struct Profile {
  const char* openssl_name;
  SrtpSuite suite;
  std::size_t salt_size;
};

// The exporter output OpenSSL prints (RFC 5764: client key, server key, client salt, server
// salt), rebuilt from the keys our transport hands to SrtpSession.
std::string expectedKeyingMaterial(const DtlsTransport& transport, std::size_t salt_size) {
  auto [outbound, inbound] = transport.srtpKeys();
  const SrtpKeyMaterial& client =
      transport.role() == DtlsTransport::Role::Client ? outbound : inbound;
  const SrtpKeyMaterial& server =
      transport.role() == DtlsTransport::Role::Client ? inbound : outbound;
  std::vector<uint8_t> bytes;
  bytes.insert(bytes.end(), client.key_and_salt.begin(), client.key_and_salt.begin() + 16);
  bytes.insert(bytes.end(), server.key_and_salt.begin(), server.key_and_salt.begin() + 16);
  bytes.insert(bytes.end(), client.key_and_salt.begin() + 16,
               client.key_and_salt.begin() + 16 + salt_size);
  bytes.insert(bytes.end(), server.key_and_salt.begin() + 16,
               server.key_and_salt.begin() + 16 + salt_size);
  return hex(bytes);
}

class OpenSslInteropTest : public ::testing::TestWithParam<Profile> {
 protected:
  void SetUp() override {
    if (std::system("command -v openssl >/dev/null 2>&1") != 0) {
      GTEST_SKIP() << "the openssl command is not installed";
    }
    // The peer's own self-signed certificate, and its fingerprint for our side.
    ASSERT_EQ(std::system(("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
                           "-nodes -days 1 -subj /CN=interop -keyout " +
                           key_ + " -out " + cert_ + " >/dev/null 2>&1")
                              .c_str()),
              0);
    FILE* pem = std::fopen(cert_.c_str(), "r");
    ASSERT_NE(pem, nullptr);
    X509* x509 = PEM_read_X509(pem, nullptr, nullptr, nullptr);
    std::fclose(pem);
    ASSERT_NE(x509, nullptr);
    peer_fingerprint_ = certificateFingerprint(x509, "sha-256");
    X509_free(x509);

    fd_ = socket(AF_INET, SOCK_DGRAM, 0);
    ASSERT_GE(fd_, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local)), 0);
    socklen_t size = sizeof(local);
    ASSERT_EQ(getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &size), 0);
    port_ = ntohs(local.sin_port);

    auto certificate = DtlsCertificate::generate();
    ASSERT_TRUE(certificate.ok());
    certificate_ = *certificate;
  }

  void TearDown() override {
    if (fd_ >= 0) {
      close(fd_);
    }
  }

  // Moves datagrams between the socket and `transport` until `done` or 15 s passed.
  void pump(DtlsTransport& transport, const std::function<bool()>& done) {
    const int64_t deadline = nowMs() + 15000;
    std::vector<uint8_t> buffer(2048);
    std::vector<uint8_t> datagram;
    while (nowMs() < deadline && !done()) {
      pollfd poll_fd{fd_, POLLIN, 0};
      if (poll(&poll_fd, 1, 20) > 0) {
        sockaddr_in from{};
        socklen_t from_size = sizeof(from);
        ssize_t received = recvfrom(fd_, buffer.data(), buffer.size(), 0,
                                    reinterpret_cast<sockaddr*>(&from), &from_size);
        if (received > 0) {
          if (!has_peer_) {
            peer_ = from;
            has_peer_ = true;
          }
          transport.onDatagram(std::span(buffer.data(), static_cast<std::size_t>(received)),
                               nowMs());
        }
      }
      transport.onTimer(nowMs());
      send(transport);
    }
  }

  void send(DtlsTransport& transport) {
    std::vector<uint8_t> datagram;
    while (transport.popOutgoing(datagram)) {
      ASSERT_TRUE(has_peer_);
      sendto(fd_, datagram.data(), datagram.size(), 0, reinterpret_cast<sockaddr*>(&peer_),
             sizeof(peer_));
    }
  }

  TempDir dir_;
  const std::string cert_ = (dir_.path / "peer.pem").string();
  const std::string key_ = (dir_.path / "peer.key").string();
  std::string peer_fingerprint_;
  DtlsCertificatePtr certificate_;
  int fd_ = -1;
  int port_ = 0;
  sockaddr_in peer_{};
  bool has_peer_ = false;
};

TEST_P(OpenSslInteropTest, OpenSslClientConnectsToOurServerAndExportsTheSameKeys) {
  const Profile& profile = GetParam();
  DtlsTransport server(certificate_, DtlsTransport::Role::Server, "sha-256", peer_fingerprint_);
  server.start(nowMs());
  // stdin is /dev/null: s_client completes the handshake, prints its report, then closes.
  const std::size_t length = 2 * (16 + profile.salt_size);
  const std::string command =
      "timeout 15 openssl s_client -dtls1_2 -use_srtp " + std::string(profile.openssl_name) +
      " -connect 127.0.0.1:" + std::to_string(port_) + " -cert " + cert_ + " -key " + key_ +
      " -keymatexport EXTRACTOR-dtls_srtp -keymatexportlen " + std::to_string(length) +
      " -mtu 1200 </dev/null 2>&1";
  FILE* client = popen(command.c_str(), "r");
  ASSERT_NE(client, nullptr);
  pump(server, [&] {
    return server.state() == DtlsTransport::State::Closed ||
           server.state() == DtlsTransport::State::Failed;
  });
  std::string output;
  char line[512];
  while (std::fgets(line, sizeof(line), client) != nullptr) {
    output += line;
  }
  pclose(client);

  // s_client's close_notify moved us from Connected to Closed; the keys stay readable.
  ASSERT_EQ(server.state(), DtlsTransport::State::Closed) << server.failureReason() << "\n"
                                                          << output;
  EXPECT_EQ(server.srtpSuite(), profile.suite);
  EXPECT_NE(output.find("SRTP Extension negotiated, profile=" + std::string(profile.openssl_name)),
            std::string::npos)
      << output;
  EXPECT_NE(output.find("Protocol  : DTLSv1.2"), std::string::npos) << output;
  EXPECT_NE(output.find("Keying material: " + expectedKeyingMaterial(server, profile.salt_size)),
            std::string::npos)
      << output;
}

TEST_P(OpenSslInteropTest, OurClientConnectsToOpenSslServerAndExportsTheSameKeys) {
  const Profile& profile = GetParam();
  const std::size_t length = 2 * (16 + profile.salt_size);
  const std::string log = (dir_.path / "server.log").string();
  // popen "w": s_server reads our (empty) stdin; closing it in pclose ends the server.
  const std::string command =
      "timeout 15 openssl s_server -dtls1_2 -accept 127.0.0.1:0 "
      "-naccept 1 -verify 1 -use_srtp " +
      std::string(profile.openssl_name) + " -cert " + cert_ + " -key " + key_ +
      " -keymatexport EXTRACTOR-dtls_srtp -keymatexportlen " + std::to_string(length) + " > " +
      log + " 2>&1";
  FILE* server = popen(command.c_str(), "w");
  ASSERT_NE(server, nullptr);
  std::smatch match;
  std::string output;
  const std::regex accept("ACCEPT 127\\.0\\.0\\.1:([0-9]+)");
  for (int64_t until = nowMs() + 10000; nowMs() < until;) {
    output = readFile(log);
    if (std::regex_search(output, match, accept)) {
      break;
    }
    poll(nullptr, 0, 10);  // s_server is still starting; nothing else to wait on
  }
  ASSERT_TRUE(std::regex_search(output, match, accept)) << output;
  peer_.sin_family = AF_INET;
  peer_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  peer_.sin_port = htons(static_cast<uint16_t>(std::stoi(match[1].str())));
  has_peer_ = true;

  DtlsTransport client(certificate_, DtlsTransport::Role::Client, "sha-256", peer_fingerprint_);
  client.start(nowMs());
  send(client);
  pump(client, [&] {
    return client.state() == DtlsTransport::State::Connected ||
           client.state() == DtlsTransport::State::Failed;
  });
  EXPECT_EQ(client.state(), DtlsTransport::State::Connected) << client.failureReason();
  client.close();
  send(client);
  pclose(server);
  output = readFile(log);

  ASSERT_EQ(client.srtpSuite(), profile.suite) << output;
  EXPECT_NE(output.find("SRTP Extension negotiated, profile=" + std::string(profile.openssl_name)),
            std::string::npos)
      << output;
  EXPECT_NE(output.find("Keying material: " + expectedKeyingMaterial(client, profile.salt_size)),
            std::string::npos)
      << output;
}

INSTANTIATE_TEST_SUITE_P(
    Profiles, OpenSslInteropTest,
    ::testing::Values(Profile{"SRTP_AES128_CM_SHA1_80", SrtpSuite::AesCm128HmacSha1_80, 14},
                      Profile{"SRTP_AEAD_AES_128_GCM", SrtpSuite::AeadAes128Gcm, 12}),
    [](const auto& info) { return std::string(info.param.openssl_name); });

}  // namespace
}  // namespace kefu::media
