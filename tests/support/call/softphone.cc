#include "support/call/softphone.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sndfile.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/sip/baresip_phone.h"
#include "support/sip/sip_socket.h"

namespace kefu::test {
namespace {

using Clock = std::chrono::steady_clock;

int connectTo(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

std::string writeToneWav(const std::string& path, double hz, double seconds) {
  SF_INFO info{};
  info.samplerate = 8000;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  SNDFILE* file = sf_open(path.c_str(), SFM_WRITE, &info);
  if (file == nullptr) {
    return {};
  }
  const auto samples = static_cast<std::size_t>(seconds * 8000);
  std::vector<short> pcm(samples);
  for (std::size_t n = 0; n < samples; ++n) {
    pcm[n] = static_cast<short>(std::lround(0.4 * 32767 * std::sin(2 * M_PI * hz * n / 8000.0)));
  }
  sf_write_short(file, pcm.data(), static_cast<sf_count_t>(pcm.size()));
  sf_close(file);
  return path;
}

Softphone::Softphone(const std::string& dir, SoftphoneOptions options)
    : dir_(dir), options_(std::move(options)), sip_port_(sip::testing::freeSipPortPair()) {
  const uint16_t ctrl_port = sip::testing::freeSipPort();
  std::filesystem::create_directories(dir_ + "/rec");
  {
    std::ofstream config(dir_ + "/config");
    config << "net_interface 127.0.0.1\n"
           << "sip_listen 127.0.0.1:" << sip_port_ << "\n"
           << "audio_player aubridge,nil\naudio_alert aubridge,nil\n"
           << (options_.audio_file.empty() ? "audio_source aubridge,nil\n"
                                           : "audio_source aufile," + options_.audio_file + "\n")
           << "module_path /usr/lib/baresip/modules\n"
           << "module g711.so\nmodule aubridge.so\nmodule aufile.so\n"
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
  pid_ = ::fork();
  if (pid_ == 0) {
    const int out = ::open((dir_ + "/baresip.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int in = ::open("/dev/null", O_RDONLY);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::setpgid(0, 0);
    ::execlp("baresip", "baresip", "-f", dir_.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (pid_ > 0 && ctrl_fd_ < 0 && Clock::now() < deadline) {
    ctrl_fd_ = connectTo(ctrl_port);
    if (ctrl_fd_ < 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

Softphone::~Softphone() { stop(); }

void Softphone::stop() {
  if (ctrl_fd_ >= 0) {
    ::close(ctrl_fd_);
    ctrl_fd_ = -1;
  }
  if (pid_ <= 0) {
    return;
  }
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

bool Softphone::command(const std::string& name, const std::string& params) {
  if (ctrl_fd_ < 0) {
    return false;
  }
  // Values here are test-chosen words and URIs: nothing that needs JSON escaping.
  const std::string json = "{\"command\":\"" + name + "\",\"params\":\"" + params +
                           "\",\"token\":\"t" + std::to_string(++token_) + "\"}";
  const std::string netstring = std::to_string(json.size()) + ":" + json + ",";
  return ::send(ctrl_fd_, netstring.data(), netstring.size(), MSG_NOSIGNAL) ==
         static_cast<ssize_t>(netstring.size());
}

std::optional<std::string> Softphone::nextMessage(std::chrono::milliseconds timeout) {
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

std::optional<std::string> Softphone::waitEvent(const std::string& type,
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
      continue;
    }
    events_.push_back(*message);
    if (message->find(wanted) != std::string::npos) {
      return message;
    }
  }
  return std::nullopt;
}

bool Softphone::seenEvent(const std::string& type, std::chrono::milliseconds timeout) {
  const std::string wanted = "\"type\":\"" + type + "\"";
  if (std::any_of(events_.begin(), events_.end(),
                  [&](const std::string& e) { return e.find(wanted) != std::string::npos; })) {
    return true;
  }
  return waitEvent(type, timeout).has_value();
}

std::vector<std::string> Softphone::receivedRecordings() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_ + "/rec", ec)) {
    const auto name = entry.path().filename().string();
    if (name.ends_with("-dec.wav")) {
      out.push_back(entry.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string Softphone::log() const {
  std::ifstream in(dir_ + "/baresip.log");
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace kefu::test
