#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "api/rest_api.h"
#include "auth/authenticator.h"
#include "core/blocking_pool.h"
#include "core/event_bus.h"
#include "core/result.h"
#include "stats/metrics.h"

namespace kefu::api {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: any free port (see HttpServer::port())
  std::size_t threads = 2;
  std::size_t max_body_bytes = 1 << 20;
  std::size_t event_buffer = 1024;  // events queued per WebSocket subscriber before it is dropped
};

/**
 * The HTTP and WebSocket front door (Boost.Beast, C++20 coroutines, on its own threads). Requests
 * are read and written on the API threads and answered by the RestApi on the blocking pool;
 * GET /api/v1/events upgrades to a WebSocket that streams the event bus.
 */
class HttpServer {
 public:
  HttpServer(HttpServerOptions options, const RestApi& api, stats::Metrics& metrics,
             EventBus& events, auth::Authenticator& authenticator, BlockingPool& pool);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /** Binds and starts the API threads; @return Unavailable when the address cannot be bound. */
  Result<void> start();
  /** @return the bound port (useful with port 0). */
  std::uint16_t port() const;
  /**
   * Stops accepting, lets requests in flight finish (up to `grace`), closes WebSockets with
   * "going away" and joins the API threads. Idempotent.
   */
  void stop(std::chrono::milliseconds grace);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kefu::api
