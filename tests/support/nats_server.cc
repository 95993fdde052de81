#include "support/nats_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace kefu::test {
namespace {

std::filesystem::path tempDir(const std::string& prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed";
  }
  return pattern;
}

bool run(const std::string& command) {
  const int status = std::system((command + " >/dev/null 2>&1").c_str());
  if (status != 0) {
    ADD_FAILURE() << "failed: " << command;
  }
  return status == 0;
}

bool accepts(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

/**
 * @return a free TCP port on loopback BELOW the ephemeral range (32768-60999). Clients reconnect to
 * a stopped server every second from ephemeral ports, and one of them can land on the server's own
 * port (a TCP self-connect), which then fails the restart with "address already in use".
 */
std::uint16_t freePort() {
  static std::atomic<unsigned> next{static_cast<unsigned>(::getpid()) * 7919u};
  for (int attempt = 0; attempt < 1000; ++attempt) {
    auto port = static_cast<std::uint16_t>(23000 + next.fetch_add(1) % 7000);  // 23000-29999
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    if (free) {
      return port;
    }
  }
  ADD_FAILURE() << "no free TCP port in 23000-29999";
  return 0;
}

std::vector<std::string> filesContaining(const std::filesystem::path& dir,
                                         const std::string& needle) {
  std::vector<std::string> found;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file()) {
      continue;
    }
    std::ifstream in(it->path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    if (bytes.str().find(needle) != std::string::npos) {
      found.push_back(it->path().string());
    }
  }
  return found;
}

std::unique_ptr<TestCertificates> TestCertificates::make() {
  auto made = std::make_unique<TestCertificates>();
  TestCertificates& c = *made;
  c.dir = tempDir("kefu-certs-");
  const std::string d = c.dir.string();
  const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes ";
  std::ofstream(d + "/san.ext") << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
  auto ca = [&](const std::string& name) {
    return run("openssl req -x509" + ec + "-keyout " + d + "/" + name + ".key -out " + d + "/" +
               name + ".pem -days 2 -subj /CN=" + name);
  };
  auto sign = [&](const std::string& name, const std::string& by) {
    return run("openssl req" + ec + "-keyout " + d + "/" + name + ".key -out " + d + "/" + name +
               ".csr -subj /CN=" + name) &&
           run("openssl x509 -req -in " + d + "/" + name + ".csr -CA " + d + "/" + by +
               ".pem -CAkey " + d + "/" + by + ".key -CAcreateserial -days 2 -extfile " + d +
               "/san.ext -out " + d + "/" + name + ".pem");
  };
  ca("ca") && ca("rogue-ca") && sign("edge", "ca") && sign("core", "ca") &&
      sign("rogue", "rogue-ca");
  c.ca = d + "/ca.pem";
  c.hub_cert = d + "/edge.pem";
  c.hub_key = d + "/edge.key";
  c.leaf_cert = d + "/core.pem";
  c.leaf_key = d + "/core.key";
  c.rogue_cert = d + "/rogue.pem";
  c.rogue_key = d + "/rogue.key";
  return made;
}

TestCertificates::~TestCertificates() {
  if (!dir.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
}

std::unique_ptr<NatsServer> NatsServer::start(Options options) {
  auto server = std::unique_ptr<NatsServer>(new NatsServer());
  server->options_ = std::move(options);
  server->dir_ = tempDir("kefu-nats-" + server->options_.name + "-");
  server->client_port_ = freePort();
  server->leaf_port_ = server->options_.hub ? freePort() : 0;
  if (!server->launch()) {
    return nullptr;
  }
  return server;
}

bool NatsServer::launch() {
  const auto& o = options_;
  std::ofstream conf(dir_ / "nats.conf", std::ios::trunc);
  conf << "server_name: " << o.name << "\n"
       << "listen: 127.0.0.1:" << client_port_ << "\n"
       << "log_file: \"" << (dir_ / "server.log").string() << "\"\n"
       << "jetstream { store_dir: \"" << (dir_ / "js").string() << "\", domain: " << o.name
       << " }\n";
  const std::string tls = "tls { cert_file: \"" + o.cert + "\", key_file: \"" + o.key +
                          "\", ca_file: \"" + o.ca + "\", timeout: 2";
  if (o.hub) {
    conf << "leafnodes { listen: 127.0.0.1:" << leaf_port_ << ", " << tls << ", verify: true } }\n";
  } else if (o.hub_leaf_port != 0) {
    conf << "leafnodes { reconnect: 1, remotes: [ { url: \"tls://127.0.0.1:" << o.hub_leaf_port
         << "\", " << tls << " } } ] }\n";
  }
  conf.close();
  // posix_spawn, not fork: copying the page tables of a large sanitizer-built test process took
  // seconds under load, and the server then started too late for the wait below.
  const std::string path = (dir_ / "nats.conf").string();
  std::vector<char*> argv{const_cast<char*>("nats-server"), const_cast<char*>("-c"),
                          const_cast<char*>(path.c_str()), nullptr};
  if (::posix_spawnp(&pid_, "nats-server", nullptr, nullptr, argv.data(), environ) != 0) {
    pid_ = -1;
    ADD_FAILURE() << "nats-server " << o.name << " could not be started";
    return false;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (accepts(client_port_)) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << "nats-server " << o.name << " did not start:\n" << log();
  kill();
  return false;
}

void NatsServer::kill() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
}

bool NatsServer::restart() {
  kill();
  return launch();
}

std::string NatsServer::log() const {
  std::ifstream in(dir_ / "server.log");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

NatsServer::~NatsServer() {
  kill();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

}  // namespace kefu::test
