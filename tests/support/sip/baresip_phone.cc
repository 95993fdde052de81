#include "support/sip/baresip_phone.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/sip/sip_socket.h"

namespace kefu::sip::testing {
namespace {

using Clock = std::chrono::steady_clock;

sockaddr_in loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

bool canBind(int type, uint16_t port) {
  const int fd = ::socket(AF_INET, type, 0);
  sockaddr_in a = loopback(port);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

int connectTo(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a = loopback(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

uint16_t freeSipPortPair() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    const uint16_t port = freeSipPort();
    if (port != 0 && port < 65535 && canBind(SOCK_STREAM, port + 1) &&
        canBind(SOCK_DGRAM, port + 1)) {
      return port;
    }
  }
  return 0;
}

pid_t startBaresip(const std::string& dir) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int out = ::open((dir + "/baresip.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int in = ::open("/dev/null", O_RDONLY);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::setpgid(0, 0);
    ::execlp("baresip", "baresip", "-f", dir.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

void stopBaresip(pid_t& pid) {
  if (pid <= 0) {
    return;
  }
  ::kill(pid, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    if (::waitpid(pid, nullptr, WNOHANG) == pid) {
      pid = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  pid = -1;
}

std::string baresipLog(const std::string& dir) {
  std::ifstream in(dir + "/baresip.log");
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

BaresipPhone::BaresipPhone(std::string dir, BaresipPhoneOptions options)
    : dir_(std::move(dir)), options_(std::move(options)) {
  std::filesystem::create_directories(dir_ + "/rec");
  // A free port may be taken by another test between our check and baresip's bind; a phone whose
  // control port never answers is started once more on new ports.
  for (int attempt = 0; attempt < 2 && ctrl_fd_ < 0; ++attempt) {
    stopBaresip(pid_);
    launch();
  }
}

void BaresipPhone::launch() {
  sip_port_ = freeSipPortPair();
  const uint16_t ctrl_port = freeSipPort();
  {
    std::ofstream config(dir_ + "/config");
    config << "net_interface 127.0.0.1\n"
           << "sip_listen 127.0.0.1:" << sip_port_ << "\n"
           << "audio_player aubridge,nil\naudio_alert aubridge,nil\n"
           << (options_.audio_file.empty() ? "audio_source aubridge,nil\n"
                                           : "audio_source aufile," + options_.audio_file + "\n")
           << "module_path /usr/lib/baresip/modules\n"
           << "module g711.so\nmodule aubridge.so\n"
           << (options_.audio_file.empty() ? "" : "module aufile.so\n")
           << (options_.record ? "module sndfile.so\nsnd_path " + dir_ + "/rec\n" : "")
           << "module_tmp account.so\nmodule_app menu.so\nmodule_app ctrl_tcp.so\n"
           << "ctrl_tcp_listen 127.0.0.1:" << ctrl_port << "\n"
           << "statmode_default off\n";
  }
  {
    std::ofstream accounts(dir_ + "/accounts");
    if (options_.registrar_port != 0) {
      accounts << "<sip:" << options_.user << "@127.0.0.1:" << options_.registrar_port
               << ">;auth_pass=" << options_.password << ";regint=60";
    } else {
      accounts << "<sip:" << options_.user << "@127.0.0.1:" << sip_port_ << ">;regint=0";
    }
    accounts << ";audio_codecs=pcmu,pcma;answermode=" << (options_.auto_answer ? "auto" : "manual")
             << "\n";
  }
  std::ofstream(dir_ + "/contacts").close();
  pid_ = startBaresip(dir_);
  // baresip opens its control port once its modules are loaded; poll for it (bounded).
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (pid_ > 0 && ctrl_fd_ < 0 && Clock::now() < deadline) {
    ctrl_fd_ = connectTo(ctrl_port);
    if (ctrl_fd_ < 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

BaresipPhone::BaresipPhone(std::string dir, std::string user, bool auto_answer)
    : BaresipPhone(std::move(dir),
                   BaresipPhoneOptions{.user = std::move(user), .auto_answer = auto_answer}) {}

BaresipPhone::~BaresipPhone() { stop(); }

void BaresipPhone::stop() {
  if (ctrl_fd_ >= 0) {
    ::close(ctrl_fd_);
    ctrl_fd_ = -1;
  }
  stopBaresip(pid_);
}

std::string BaresipPhone::uri() const {
  return "sip:" + options_.user + "@127.0.0.1:" + std::to_string(sip_port_);
}

bool BaresipPhone::command(const std::string& name, const std::string& params) {
  if (ctrl_fd_ < 0) {
    return false;
  }
  // Values here are test-chosen words and URIs: no characters that need JSON escaping.
  const std::string json = "{\"command\":\"" + name + "\",\"params\":\"" + params +
                           "\",\"token\":\"t" + std::to_string(++token_) + "\"}";
  const std::string netstring = std::to_string(json.size()) + ":" + json + ",";
  return ::send(ctrl_fd_, netstring.data(), netstring.size(), MSG_NOSIGNAL) ==
         static_cast<ssize_t>(netstring.size());
}

std::optional<std::string> BaresipPhone::nextMessage(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const auto colon = buffer_.find(':');
    if (colon != std::string::npos) {
      const std::size_t length = std::strtoul(buffer_.c_str(), nullptr, 10);
      if (buffer_.size() >= colon + 1 + length + 1) {
        std::string message = buffer_.substr(colon + 1, length);
        buffer_.erase(0, colon + 1 + length + 1);
        return message;
      }
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0 || ctrl_fd_ < 0) {
      return std::nullopt;
    }
    pollfd p{ctrl_fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) {
      return std::nullopt;
    }
    char chunk[4096];
    const ssize_t n = ::recv(ctrl_fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      return std::nullopt;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
}

std::optional<std::string> BaresipPhone::waitEvent(const std::string& type,
                                                   std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  const std::string wanted = "\"type\":\"" + type + "\"";
  while (Clock::now() < deadline) {
    auto message =
        nextMessage(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
    if (!message) {
      return std::nullopt;
    }
    if (message->find("\"event\":true") == std::string::npos) {
      continue;  // a command's reply
    }
    events_.push_back(*message);
    if (message->find(wanted) != std::string::npos) {
      return message;
    }
  }
  return std::nullopt;
}

bool BaresipPhone::seenEvent(const std::string& type, std::chrono::milliseconds timeout) {
  const std::string wanted = "\"type\":\"" + type + "\"";
  if (std::any_of(events_.begin(), events_.end(),
                  [&](const std::string& e) { return e.find(wanted) != std::string::npos; })) {
    return true;
  }
  return waitEvent(type, timeout).has_value();
}

std::vector<std::string> BaresipPhone::receivedRecordings() const {
  std::vector<std::pair<std::filesystem::file_time_type, std::string>> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_ + "/rec", ec)) {
    if (entry.path().filename().string().ends_with("-dec.wav")) {
      found.emplace_back(entry.last_write_time(ec), entry.path().string());
    }
  }
  // File names start with the peer's address, not the time: order by when each was last written
  // (its call's end).
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  for (auto& [time, path] : found) {
    out.push_back(std::move(path));
  }
  return out;
}

std::string BaresipPhone::log() const { return baresipLog(dir_); }

}  // namespace kefu::sip::testing
