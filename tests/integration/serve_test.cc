// `kefu serve` as a user runs it: a real process, stopped by SIGTERM.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <regex>
#include <string>
#include <thread>

#include "support/http_client.h"

namespace kefu::test {
namespace {

/** A `kefu serve` child process whose stdout is read for the address it prints. */
class ServeProcess {
 public:
  explicit ServeProcess(const std::string& db) {
    int out[2];
    EXPECT_EQ(::pipe(out), 0);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      ::close(out[0]);
      ::execl(KEFU_BINARY, KEFU_BINARY, "serve", "--http-listen", "127.0.0.1:0", "--storage-url",
              ("sqlite:" + db).c_str(), "--auth-admin-password", "admin-password-1", "--demo-seed",
              "--log-level", "warn", "--sip-enabled=false", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(out[1]);
    out_ = ::fdopen(out[0], "r");
    char line[512];
    std::regex address(R"(http://127\.0\.0\.1:(\d+))");
    while (std::fgets(line, sizeof line, out_) != nullptr) {
      std::cmatch m;
      if (std::regex_search(line, m, address)) {
        port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
        break;
      }
    }
  }
  ~ServeProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ != nullptr) {
      std::fclose(out_);
    }
  }
  std::uint16_t port() const { return port_; }
  /** Sends SIGTERM; @return the exit status, or -1 when it did not exit within 20 s. */
  int terminate() {
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 2000; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  std::uint16_t port_ = 0;
};

TEST(ServeTest, ServesDemoDataAndStopsCleanlyOnSigterm) {
  auto dir = std::filesystem::temp_directory_path() / ("kefu-serve-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto db = (dir / "kefu.db").string();
  std::string token;
  {
    ServeProcess serve(db);
    ASSERT_NE(serve.port(), 0) << "kefu serve printed no address";
    HttpClient c(serve.port());
    EXPECT_EQ(c.get("/healthz").status, 200);
    auto login =
        c.post("/api/v1/auth/login", R"({"username":"supervisor","password":"supervisor-demo"})");
    ASSERT_EQ(login.status, 200) << login.body;
    token = login.body.substr(login.body.find("\"token\":\"") + 9, 64);
    c.setToken(token);
    auto agents = c.get("/api/v1/agents");
    EXPECT_EQ(agents.status, 200);
    EXPECT_NE(agents.body.find("\"extension\":\"1001\""), std::string::npos);

    // A request in flight when SIGTERM arrives is still answered (a login hashes for ~50 ms).
    std::thread slow([&] {
      auto reply =
          HttpClient(serve.port())
              .post("/api/v1/auth/login", R"({"username":"admin","password":"admin-password-1"})");
      EXPECT_EQ(reply.status, 200);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(serve.terminate(), 0);
    slow.join();
  }
  {
    // Everything was flushed: a new process serves the same data and the same session.
    ServeProcess again(db);
    ASSERT_NE(again.port(), 0);
    HttpClient c(again.port());
    c.setToken(token);
    auto agents = c.get("/api/v1/agents");
    EXPECT_EQ(agents.status, 200);
    EXPECT_NE(agents.body.find("\"count\":6"), std::string::npos) << agents.body;
    EXPECT_EQ(again.terminate(), 0);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kefu::test
