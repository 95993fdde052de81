#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace kefu::test {

/**
 * A throwaway PostgreSQL 15 server for tests: its own directory in /dev/shm (/tmp when there is no
 * /dev/shm; $KEFU_PG_TMPDIR overrides), a free loopback port, its unix socket in that directory,
 * `trust` authentication for user `postgres`, and fsync off (nothing here must survive a crash).
 * Always torn down: the destructor, normal exit (for sharedPostgres()) and
 * SIGINT/SIGTERM/SIGHUP/SIGABRT stop it with `pg_ctl -m immediate` and delete the directory; a
 * later start also removes clusters left by a process that was killed outright.
 *
 * Starting copies a cached `initdb` result (`<build dir>/pg-template-15`, or $KEFU_PG_TEMPLATE_DIR)
 * instead of running initdb each time; the first start in a build dir creates it. Run as root,
 * the server runs as user `postgres` (through runuser); otherwise as the current user.
 * Binaries come from /usr/lib/postgresql/15/bin (or $KEFU_PG_BIN).
 *
 * Typical use, one fresh database per test:
 *   std::string url = kefu::test::sharedPostgres().createDatabase("agents_test");
 *   auto store = kefu::store::openStore(url);
 * Thread-safe. Failures (no PostgreSQL installed, a server that does not start) throw
 * std::runtime_error with the server's log, which GoogleTest reports as a test failure.
 */
class PostgresCluster {
 public:
  /** Starts a new cluster; @throws std::runtime_error when it cannot. */
  static std::unique_ptr<PostgresCluster> start();

  ~PostgresCluster();
  PostgresCluster(const PostgresCluster&) = delete;
  PostgresCluster& operator=(const PostgresCluster&) = delete;

  /**
   * Creates an empty database. `name` is a prefix: a unique suffix is added, so every call
   * gives a new database. @return its URL (`postgresql://postgres@127.0.0.1:PORT/NAME`).
   */
  std::string createDatabase(std::string_view name);
  /** @return the URL of an existing database on this cluster (`postgres` always exists). */
  std::string url(std::string_view database = "postgres") const;
  int port() const { return port_; }

  /** Stops the server at once and deletes its directory. Idempotent; the destructor calls it. */
  void stop();

 private:
  PostgresCluster() = default;

  std::string dir_;  // the temporary directory: data/, the socket, server.log
  int port_ = 0;
  int postmaster_pid_ = 0;
  int owner_pid_ = 0;  // a forked child that exits must not stop its parent's cluster
  int slot_ = -1;      // in the signal handler's registry
};
using PostgresClusterPtr = std::unique_ptr<PostgresCluster>;

/** The cluster shared by the whole test binary: started on the first call, stopped at exit. */
PostgresCluster& sharedPostgres();

}  // namespace kefu::test
