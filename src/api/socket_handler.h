#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "api/json_mapping.h"
#include "auth/authenticator.h"

namespace kefu::api {

/** Sends one text frame to one event socket; any thread. @return false once the socket is gone. */
using SocketSend = std::function<bool(std::string frame)>;

/** The id of one event socket, unique for the server's life. */
using SocketId = std::uint64_t;

/**
 * What the event WebSocket (GET /api/v1/events) does with the messages a client sends: the site
 * implements it (the browser softphone). The HTTP server parses each text frame and hands over
 * only JSON objects with a string `type`; anything else is answered with a `softphone.error`
 * naming the field. Calls for one socket come one at a time, in order, on the blocking pool, so
 * an implementation may block on storage or the control loop.
 */
class SocketHandler {
 public:
  virtual ~SocketHandler() = default;
  /** A client message on `socket` of `user`; replies go through `send`. Blocking pool. */
  virtual void onSocketMessage(SocketId socket, const auth::Principal& user, const Json& message,
                               const SocketSend& send) = 0;
  /** The socket closed: whatever belongs to it is dropped. Blocking pool. */
  virtual void onSocketClosed(SocketId socket, const auth::Principal& user) = 0;
};

/** @return a `softphone.error` frame naming `field` (empty: none) with `message`. */
std::string socketErrorFrame(std::string_view field, std::string_view message);

}  // namespace kefu::api
