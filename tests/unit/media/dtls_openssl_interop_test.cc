// Interoperability: our DTLS server against the `openssl s_client` command over loopback UDP.
// It needs no fixed port (the socket binds port 0), is bounded (15 s for the whole exchange)
// and is skipped when the openssl command is missing. Unlike the other media unit tests it uses
// the real clock and a real socket, because the peer does.

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
  constexpr char kHex[] = "0123456789ABCDEF";
  std::string text;
  for (uint8_t b : bytes) {
    text += kHex[b >> 4];
    text += kHex[b & 15];
  }
  return text;
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

class OpenSslInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("command -v openssl >/dev/null 2>&1") != 0) {
      GTEST_SKIP() << "the openssl command is not installed";
    }
  }
};

TEST_F(OpenSslInteropTest, OpenSslClientCompletesTheHandshakeAndExportsTheSameKeys) {
  TempDir dir;
  const std::string cert = (dir.path / "client.pem").string();
  const std::string key = (dir.path / "client.key").string();
  ASSERT_EQ(std::system(("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
                         "-nodes -days 1 -subj /CN=interop -keyout " +
                         key + " -out " + cert + " >/dev/null 2>&1")
                            .c_str()),
            0);
  FILE* pem = std::fopen(cert.c_str(), "r");
  ASSERT_NE(pem, nullptr);
  X509* client_x509 = PEM_read_X509(pem, nullptr, nullptr, nullptr);
  std::fclose(pem);
  ASSERT_NE(client_x509, nullptr);
  std::string client_fingerprint = certificateFingerprint(client_x509, "sha-256");
  X509_free(client_x509);

  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  local.sin_port = 0;
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)), 0);
  socklen_t local_size = sizeof(local);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_size), 0);
  const int port = ntohs(local.sin_port);

  auto certificate = DtlsCertificate::generate();
  ASSERT_TRUE(certificate.ok());
  DtlsTransport server(*certificate, DtlsTransport::Role::Server, "sha-256", client_fingerprint);
  server.start(nowMs());

  // stdin is /dev/null: s_client completes the handshake, prints its report, then closes.
  const std::string command =
      "timeout 15 openssl s_client -dtls1_2 -use_srtp SRTP_AES128_CM_SHA1_80 -connect 127.0.0.1:" +
      std::to_string(port) + " -cert " + cert + " -key " + key +
      " -keymatexport EXTRACTOR-dtls_srtp -keymatexportlen 60 -mtu 1200 </dev/null 2>&1";
  FILE* client = popen(command.c_str(), "r");
  ASSERT_NE(client, nullptr);

  sockaddr_in peer{};
  socklen_t peer_size = 0;
  const int64_t deadline = nowMs() + 15000;
  std::vector<uint8_t> buffer(2048);
  std::vector<uint8_t> datagram;
  while (nowMs() < deadline && server.state() != DtlsTransport::State::Closed &&
         server.state() != DtlsTransport::State::Failed) {
    pollfd poll_fd{fd, POLLIN, 0};
    if (poll(&poll_fd, 1, 20) > 0) {
      peer_size = sizeof(peer);
      ssize_t received = recvfrom(fd, buffer.data(), buffer.size(), 0,
                                  reinterpret_cast<sockaddr*>(&peer), &peer_size);
      if (received > 0) {
        server.onDatagram(std::span(buffer.data(), static_cast<std::size_t>(received)), nowMs());
      }
    }
    server.onTimer(nowMs());
    while (server.popOutgoing(datagram)) {
      ASSERT_GT(peer_size, 0u);
      sendto(fd, datagram.data(), datagram.size(), 0, reinterpret_cast<sockaddr*>(&peer),
             peer_size);
    }
  }
  std::string output;
  char line[512];
  while (std::fgets(line, sizeof(line), client) != nullptr) {
    output += line;
  }
  pclose(client);
  close(fd);

  // s_client's close_notify moved us from Connected to Closed; keys stay readable.
  ASSERT_EQ(server.state(), DtlsTransport::State::Closed) << server.failureReason() << "\n"
                                                          << output;
  EXPECT_EQ(server.srtpSuite(), SrtpSuite::AesCm128HmacSha1_80);
  EXPECT_NE(output.find("SRTP Extension negotiated, profile=SRTP_AES128_CM_SHA1_80"),
            std::string::npos)
      << output;
  EXPECT_NE(output.find("Protocol  : DTLSv1.2"), std::string::npos) << output;

  // RFC 5764 layout: client key, server key, client salt, server salt.
  auto [outbound, inbound] = server.srtpKeys();
  std::vector<uint8_t> expected;
  auto append = [&](const SrtpKeyMaterial& keys, std::size_t from, std::size_t count) {
    expected.insert(expected.end(), keys.key_and_salt.begin() + from,
                    keys.key_and_salt.begin() + from + count);
  };
  append(inbound, 0, 16);
  append(outbound, 0, 16);
  append(inbound, 16, 14);
  append(outbound, 16, 14);
  EXPECT_NE(output.find("Keying material: " + hex(expected)), std::string::npos) << output;
}

}  // namespace
}  // namespace kefu::media
