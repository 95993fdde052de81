#include "support/postgres_cluster.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <pqxx/pqxx>
#include <sstream>
#include <stdexcept>
#include <vector>

extern char** environ;

namespace kefu::test {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view DirPrefix = "kefu-pg-";

std::string pgBin() {
  const char* env = std::getenv("KEFU_PG_BIN");
  return env != nullptr ? env : "/usr/lib/postgresql/15/bin";
}

bool isRoot() { return geteuid() == 0; }

std::string readFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/**
 * Runs `argv` (as user postgres when we are root and `as_postgres`), output appended to `log`.
 * @return the exit status (-1 when it could not run).
 */
int run(std::vector<std::string> argv, const std::string& log, bool as_postgres) {
  if (as_postgres && isRoot()) {
    argv.insert(argv.begin(), {"runuser", "-u", "postgres", "--"});
  }
  std::vector<char*> args;
  for (auto& a : argv) {
    args.push_back(a.data());
  }
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return -1;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void chownToPostgres(const std::string& path) {
  if (!isRoot()) {
    return;
  }
  const passwd* pw = getpwnam("postgres");
  if (pw == nullptr) {
    throw std::runtime_error("running as root but there is no 'postgres' user");
  }
  if (chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
    throw std::runtime_error("chown " + path + ": " + std::strerror(errno));
  }
}

int freeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) {
      close(fd);
    }
    throw std::runtime_error("no free loopback port");
  }
  close(fd);
  return ntohs(addr.sin_port);
}

int readPostmasterPid(const std::string& data_dir) {
  std::ifstream in(data_dir + "/postmaster.pid");
  int pid = 0;
  in >> pid;
  return pid;
}

/** Stops whatever server runs in `dir`/data at once and deletes `dir`. */
void destroyClusterDir(const std::string& dir) {
  const std::string data = dir + "/data";
  if (fs::exists(data + "/postmaster.pid")) {
    const int pid = readPostmasterPid(data);
    if (run({pgBin() + "/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"}, "/dev/null",
            true) != 0 &&
        pid > 0) {
      kill(pid, SIGQUIT);
    }
  }
  std::error_code ignored;
  fs::remove_all(dir, ignored);
}

/**
 * Where cluster directories go: RAM (/dev/shm) when there is one, since copying the template and
 * deleting the cluster on a disk-backed /tmp takes seconds on a busy machine, tenths in RAM.
 */
std::string clusterParentDir() {
  if (const char* env = std::getenv("KEFU_PG_TMPDIR")) {
    return env;
  }
  return access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
}

/** Removes clusters whose owning test process died without cleaning up (SIGKILL, a crash). */
void removeAbandonedClusters() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(clusterParentDir(), ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(DirPrefix) || !entry.is_directory(ec)) {
      continue;
    }
    std::ifstream in(entry.path() / "owner");
    int owner = 0;
    in >> owner;
    // No owner yet may be a cluster another process is creating right now: give it a minute.
    const auto age = fs::file_time_type::clock::now() - fs::last_write_time(entry.path(), ec);
    const bool unowned = owner <= 0 && !ec && age > std::chrono::minutes(1);
    if (unowned || (owner > 0 && kill(owner, 0) != 0 && errno == ESRCH)) {
      destroyClusterDir(entry.path().string());
    }
  }
}

fs::path templateDir() {
  if (const char* env = std::getenv("KEFU_PG_TEMPLATE_DIR")) {
    return env;
  }
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) {
    return {};
  }
  // Test binaries live in <build>/bin; the template goes beside it, in the build dir.
  return exe.parent_path().parent_path() / "pg-template-15";
}

// --- Teardown on fatal signals: only async-signal-safe calls below. ---

constexpr int MaxClusters = 8;
struct RegisteredCluster {
  std::atomic<int> postmaster_pid{0};
  char dir[256] = {};
};
std::array<RegisteredCluster, MaxClusters> registry;
std::once_flag handlers_installed;
constexpr std::array<int, 4> FatalSignals{SIGINT, SIGTERM, SIGHUP, SIGABRT};

void onFatalSignal(int sig) {
  for (auto& cluster : registry) {
    const int pid = cluster.postmaster_pid.exchange(0);
    if (pid <= 0) {
      continue;
    }
    kill(pid, SIGQUIT);  // the postmaster's "immediate shutdown"
    for (int i = 0; i < 500 && kill(pid, 0) == 0; ++i) {
      const timespec ten_ms{0, 10'000'000};
      nanosleep(&ten_ms, nullptr);
    }
    if (kill(pid, 0) == 0) {
      kill(pid, SIGKILL);  // its backends exit by themselves once they see it gone
    }
    // _Fork, unlike fork, runs no atfork handlers and takes no malloc lock: safe in a handler.
    const pid_t child = _Fork();
    if (child == 0) {
      execl("/bin/rm", "rm", "-rf", cluster.dir, static_cast<char*>(nullptr));
      _exit(127);
    }
    if (child > 0) {
      waitpid(child, nullptr, 0);
    }
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

void installSignalHandlers() {
  std::call_once(handlers_installed, [] {
    for (int sig : FatalSignals) {
      struct sigaction action {};
      struct sigaction previous {};
      sigaction(sig, nullptr, &previous);
      if (previous.sa_handler != SIG_DFL) {
        continue;  // someone else handles it (a test framework); leave theirs in place
      }
      action.sa_handler = onFatalSignal;
      sigemptyset(&action.sa_mask);
      sigaction(sig, &action, nullptr);
    }
  });
}

int registerCluster(const std::string& dir, int pid) {
  for (int i = 0; i < MaxClusters; ++i) {
    auto& slot = registry[static_cast<std::size_t>(i)];
    if (slot.postmaster_pid.load() == 0) {
      std::strncpy(slot.dir, dir.c_str(), sizeof slot.dir - 1);
      slot.postmaster_pid.store(pid);
      return i;
    }
  }
  return -1;
}

std::atomic<int> database_counter{0};

}  // namespace

std::unique_ptr<PostgresCluster> PostgresCluster::start() {
  const std::string bin = pgBin();
  if (!fs::exists(bin + "/pg_ctl")) {
    throw std::runtime_error("PostgreSQL 15 is not installed: no " + bin + "/pg_ctl");
  }
  removeAbandonedClusters();
  installSignalHandlers();

  std::unique_ptr<PostgresCluster> cluster(new PostgresCluster());
  std::string pattern = clusterParentDir() + "/" + std::string(DirPrefix) + "XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
  }
  cluster->dir_ = pattern;
  cluster->owner_pid_ = getpid();
  std::ofstream(cluster->dir_ + "/owner") << getpid() << "\n";
  chownToPostgres(cluster->dir_);
  const std::string data = cluster->dir_ + "/data";
  // Our commands log to setup.log; the server (running as postgres) creates server.log itself.
  const std::string log = cluster->dir_ + "/setup.log";
  const std::string server_log_path = cluster->dir_ + "/server.log";
  auto fail = [&](const std::string& what) {
    const std::string server_log = readFile(log) + readFile(server_log_path);
    cluster->stop();
    throw std::runtime_error(what + "\n" + server_log);
  };

  // initdb takes about a second; a copy of its result takes a few milliseconds.
  const fs::path cached = templateDir();
  if (!cached.empty() && fs::exists(cached / "PG_VERSION")) {
    if (run({"cp", "-a", cached.string(), data}, log, false) != 0) {
      fail("cannot copy the PostgreSQL template " + cached.string());
    }
    if (isRoot()) {
      run({"chown", "-R", "postgres:postgres", data}, log, false);
    }
  } else {
    if (run({bin + "/initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
             "--no-locale", "--no-sync", "--wal-segsize=1"},
            log, true) != 0) {
      fail("initdb failed");
    }
    if (!cached.empty()) {
      // Publish atomically: concurrent test processes may race to create it; one rename wins.
      const std::string staging = cached.string() + ".tmp." + std::to_string(getpid());
      std::error_code ec;
      fs::create_directories(cached.parent_path(), ec);
      if (run({"cp", "-a", data, staging}, "/dev/null", false) == 0) {
        fs::rename(staging, cached, ec);
      }
      fs::remove_all(staging, ec);
    }
  }

  for (int attempt = 0;; ++attempt) {
    cluster->port_ = freeLoopbackPort();
    const std::string options = "-p " + std::to_string(cluster->port_) + " -k " + cluster->dir_ +
                                " -c listen_addresses=127.0.0.1 -c fsync=off"
                                " -c synchronous_commit=off -c full_page_writes=off";
    if (run({bin + "/pg_ctl", "-D", data, "-o", options, "-l", server_log_path, "-w", "-t", "30",
             "start"},
            log, true) == 0) {
      break;
    }
    if (attempt == 2) {  // most likely another process took the port between probe and start
      fail("pg_ctl start failed");
    }
  }
  cluster->postmaster_pid_ = readPostmasterPid(data);
  cluster->slot_ = registerCluster(cluster->dir_, cluster->postmaster_pid_);
  return cluster;
}

PostgresCluster::~PostgresCluster() { stop(); }

void PostgresCluster::stop() {
  if (dir_.empty() || getpid() != owner_pid_) {
    return;
  }
  if (slot_ >= 0) {
    registry[static_cast<std::size_t>(slot_)].postmaster_pid.store(0);
    slot_ = -1;
  }
  destroyClusterDir(dir_);
  dir_.clear();
}

std::string PostgresCluster::url(std::string_view database) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + std::string(database);
}

std::string PostgresCluster::createDatabase(std::string_view name) {
  std::string unique;
  for (char c : name) {  // keep it a plain identifier
    const bool plain = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    unique += plain ? c : (c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : '_');
  }
  unique = unique.substr(0, 40) + "_" + std::to_string(getpid()) + "_" +
           std::to_string(database_counter.fetch_add(1));
  try {
    pqxx::connection admin(url("postgres"));
    pqxx::nontransaction tx(admin);
    // FILE_COPY is the faster strategy when fsync is off (its checkpoints cost nothing).
    tx.exec("CREATE DATABASE " + tx.quote_name(unique) + " STRATEGY FILE_COPY");
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot create database " + unique + ": " + e.what());
  }
  return url(unique);
}

PostgresCluster& sharedPostgres() {
  // Destroyed by the static destructors at exit, which stops the server.
  static std::unique_ptr<PostgresCluster> cluster = PostgresCluster::start();
  return *cluster;
}

}  // namespace kefu::test
