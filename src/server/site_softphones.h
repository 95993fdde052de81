#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "acd/agent.h"
#include "api/socket_handler.h"
#include "core/blocking_pool.h"
#include "core/event_bus.h"
#include "media/engine.h"

namespace kefu::server {

/**
 * The browser softphones of a site (docs/cti.md). A user's event socket sends
 * `softphone.offer`; the media engine answers it as a WebRTC session (DTLS-SRTP, ICE-lite) that
 * stays up for the shift and belongs to the user's agent id (a supervisor without an agent: its
 * user id). Call control rings, bridges and releases it through callMedia(), whose destroy() of
 * a softphone session only detaches it; the session ends with `softphone.hangup` or the socket.
 * Call events on the bus become the socket's `softphone.alerting`, `softphone.connected` and
 * `softphone.released`. Thread-safe: sockets on the blocking pool, call control on the control
 * loop, the bus on its publishers' threads.
 */
class SiteSoftphones final : public api::SocketHandler {
 public:
  /** Everything passed outlives this. */
  SiteSoftphones(media::MediaEngine& engine, acd::AgentRepository& agents, EventBus& events);
  /** Leaves sessions to the engine (which stops first); unsubscribes from the bus. */
  ~SiteSoftphones() override;
  SiteSoftphones(const SiteSoftphones&) = delete;
  SiteSoftphones& operator=(const SiteSoftphones&) = delete;

  /** @return the engine call control uses: the site's, except that destroying a softphone's
   *  session detaches it (unbridge, leave the conference) instead. Any thread. */
  media::MediaEngine& callMedia();
  /** What call control does when a softphone with a call goes away (the socket closed,
   *  softphone.hangup): `answered` false declines the ring, true hangs the call up. */
  using DroppedCall =
      std::function<void(const std::string& key, const std::string& call_id, bool answered)>;
  /** Sets who hears of dropped calls; call before sockets connect. */
  void setDroppedCall(DroppedCall dropped);
  /** What a screen pop adds to `softphone.alerting`: the JSON of `customer` and of `history`. */
  struct ScreenPopJson {
    std::string customer = "null";
    std::string history = "[]";
  };
  /** Looks up the screen pop of a call ringing `agent_id` from `caller`; blocks on storage (runs
   *  on the blocking pool). */
  using ScreenPopLookup = std::function<ScreenPopJson(
      const std::string& call_id, const std::string& caller, const std::string& agent_id)>;
  /**
   * Sets the screen pop lookup and the pool it runs on; call before sockets connect. With one, a
   * ring's `softphone.alerting` is sent when its lookup is done, the frames of that call that
   * come meanwhile (connected, released) after it, and not at all when the ring ended first.
   * Without one the alert carries `"customer": null, "history": []` at once.
   */
  void setScreenPop(ScreenPopLookup lookup, BlockingPool& pool);
  /** @return the connected softphone's session of `key` (agent id or supervisor user id). Any
   *  thread. */
  std::optional<media::SessionId> sessionOf(std::string_view key) const;

  // api::SocketHandler (blocking pool).
  void onSocketMessage(api::SocketId socket, const auth::Principal& user, const api::Json& message,
                       const api::SocketSend& send) override;
  void onSocketClosed(api::SocketId socket, const auth::Principal& user) override;

  class Registry;

 private:
  class CallMedia;
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<CallMedia> call_media_;
  /** Subscribes to the bus while a softphone is connected, and only then. */
  void followCalls();
  EventBus& events_;               // not owned, outlives this
  std::mutex subscription_mutex_;  // never held by the bus callback
  EventBus::SubscriptionId subscription_ = 0;
};

}  // namespace kefu::server
