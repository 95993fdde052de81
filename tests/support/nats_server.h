#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace kefu::test {

/** Certificates for the leafnode's mutual TLS, made with the openssl command in a temp dir. */
struct TestCertificates {
  std::filesystem::path dir;
  std::string ca;        // the deployment's CA
  std::string hub_cert;  // the edge's nats-server (leafnode listener), for 127.0.0.1
  std::string hub_key;
  std::string leaf_cert;  // the core's nats-server (leafnode remote), signed by the CA
  std::string leaf_key;
  std::string rogue_cert;  // signed by another CA: a forged certificate
  std::string rogue_key;

  /** Makes them all; fails the test (ADD_FAILURE) when openssl fails. */
  static std::unique_ptr<TestCertificates> make();
  TestCertificates() = default;
  TestCertificates(const TestCertificates&) = delete;
  TestCertificates& operator=(const TestCertificates&) = delete;
  ~TestCertificates();
};

/**
 * A real nats-server with JetStream (its domain), started by the test and always stopped: the
 * destructor kills it and removes its directory. Either a leafnode hub (listens for leafnodes with
 * mutual TLS) or a leaf (dials a hub with its client certificate).
 */
class NatsServer {
 public:
  struct Options {
    std::string name;                 // server name and JetStream domain
    bool hub = false;                 // listen for leafnodes
    std::uint16_t hub_leaf_port = 0;  // for a leaf: the hub's leafnode port
    std::string ca;
    std::string cert;
    std::string key;
  };

  /** Starts it on free ports and waits until it accepts clients; nullptr (and a failure) if not. */
  static std::unique_ptr<NatsServer> start(Options options);
  ~NatsServer();

  /** Kills it at once (SIGKILL), keeping its directory and ports for restart(). */
  void kill();
  /** Starts it again on the same ports with the same JetStream store. */
  bool restart();

  std::string clientUrl() const { return "nats://127.0.0.1:" + std::to_string(client_port_); }
  std::uint16_t leafPort() const { return leaf_port_; }
  const std::filesystem::path& dir() const { return dir_; }
  /** @return the server's log so far. */
  std::string log() const;

 private:
  NatsServer() = default;
  bool launch();

  Options options_;
  std::filesystem::path dir_;
  std::uint16_t client_port_ = 0;
  std::uint16_t leaf_port_ = 0;
  pid_t pid_ = -1;
};

/** @return a TCP port on 127.0.0.1 that was free a moment ago. */
std::uint16_t freePort();

/** @return every file under `dir` whose bytes contain `needle` (how tests look for leaks). */
std::vector<std::string> filesContaining(const std::filesystem::path& dir,
                                         const std::string& needle);

}  // namespace kefu::test
