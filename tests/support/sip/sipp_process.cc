#include "support/sip/sipp_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/sip/baresip_phone.h"
#include "support/sip/sip_socket.h"

namespace kefu::sip::testing {

std::string sippScenario(const std::string& name) {
  return std::string(KEFU_SOURCE_DIR) + "/tests/support/sip/" + name;
}

SippProcess::SippProcess(std::string dir, const std::string& scenario, const std::string& remote,
                         const std::vector<std::string>& extra)
    : dir_(std::move(dir)), port_(freeSipPort()) {
  const uint16_t control = freeSipPort();
  const uint16_t media = freeSipPortPair();
  std::vector<std::string> args{"sipp"};
  if (!remote.empty()) {
    args.push_back(remote);
  }
  for (const std::string& arg : {std::string("-sf"),
                                 scenario,
                                 std::string("-m"),
                                 std::string("1"),
                                 std::string("-i"),
                                 std::string("127.0.0.1"),
                                 std::string("-p"),
                                 std::to_string(port_),
                                 std::string("-cp"),
                                 std::to_string(control),
                                 std::string("-mp"),
                                 std::to_string(media),
                                 std::string("-nostdin"),
                                 std::string("-timeout"),
                                 std::string("20"),
                                 std::string("-timeout_error"),
                                 std::string("-trace_err"),
                                 std::string("-error_file"),
                                 dir_ + "/sipp_errors.log",
                                 std::string("-trace_msg"),
                                 std::string("-message_file"),
                                 dir_ + "/sipp_messages.log"}) {
    args.push_back(arg);
  }
  args.insert(args.end(), extra.begin(), extra.end());
  pid_ = ::fork();
  if (pid_ == 0) {
    const int out = ::open((dir_ + "/sipp.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int in = ::open("/dev/null", O_RDONLY);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::setpgid(0, 0);
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (auto& arg : args) {
      argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    ::execvp("sipp", argv.data());
    ::_exit(127);
  }
}

SippProcess::~SippProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

bool SippProcess::waitListening(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    // SIPp holds the port once binding it here fails.
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port_);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool taken = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0;
    ::close(fd);
    if (taken) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::optional<int> SippProcess::waitExit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) {
    return std::nullopt;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
  return std::nullopt;
}

std::string SippProcess::log() const {
  std::ostringstream out;
  for (const char* name : {"/sipp.log", "/sipp_errors.log", "/sipp_messages.log"}) {
    std::ifstream in(dir_ + name);
    out << "---- " << name << "\n" << in.rdbuf();
  }
  return out.str();
}

}  // namespace kefu::sip::testing
