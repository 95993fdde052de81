#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "api/router.h"
#include "core/event_bus.h"
#include "core/result.h"
#include "media/engine.h"
#include "server/config.h"
#include "store/store.h"

namespace kefu::server {

/**
 * One running site: storage, authentication, the event bus, the REST API and the HTTP server,
 * wired together. Built by start(), torn down in reverse order by stop() or the destructor.
 * Integration tests run a whole site in-process through this class.
 */
class Site {
 public:
  /** Opens and migrates storage, applies auth.admin_password and demo.seed, starts serving. */
  static Result<std::unique_ptr<Site>> start(const Config& config);
  ~Site();

  /** @return the HTTP port actually bound (useful with port 0). */
  std::uint16_t httpPort() const;
  /** Finishes requests in flight (up to `grace`), closes WebSockets, drains the pool, closes
   * storage. */
  void stop(std::chrono::milliseconds grace);
  /** @return every HTTP route the site serves (method, pattern, public or not). */
  std::vector<api::Router::RouteInfo> routes() const;
  /** @return the site's event bus, for tests that publish directly. */
  EventBus& eventsForTest();
  /** @return the site's media engine, for tests that create sessions directly. */
  media::MediaEngine& mediaForTest();

  struct Parts;

 private:
  explicit Site(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

/**
 * @return the store options `config` asks for: the residency policy of its role, and on a core or
 * all-in-one site the key file's cipher and tokenizer (the file is created when missing). The CLI
 * opens storage with the same options as the site.
 */
Result<store::StoreOptions> privacyStoreOptions(const Config& config);

/** Runs a site until SIGTERM or SIGINT; @return the process exit code (0 after a clean stop). */
int runSite(const Config& config);

}  // namespace kefu::server
