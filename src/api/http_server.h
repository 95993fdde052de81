#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "api/rest_api.h"
#include "api/socket_handler.h"
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
  /** The built web app served for GETs outside /api, /metrics and /healthz; empty or a missing
   *  directory: API only. */
  std::string web_root;
};

/**
 * The HTTP and WebSocket front door (Boost.Beast, C++20 coroutines, on its own threads). Requests
 * are read and written on the API threads and answered by the RestApi on the blocking pool;
 * GET /api/v1/events upgrades to a WebSocket that streams the event bus and reads the client's
 * messages (handed to the SocketHandler); other GETs outside the API serve the web app's files.
 */
class HttpServer {
 public:
  HttpServer(HttpServerOptions options, const RestApi& api, stats::Metrics& metrics,
             EventBus& events, auth::Authenticator& authenticator, BlockingPool& pool);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /** Sets who answers client messages on event sockets (nullptr: they get a softphone.error).
   *  Call before start(); `handler` outlives the server. */
  void setSocketHandler(SocketHandler* handler);
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
