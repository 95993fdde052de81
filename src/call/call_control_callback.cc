#include <spdlog/spdlog.h>

#include <optional>
#include <string>
#include <utility>

#include "call/call_control.h"
#include "call/internal/call.h"

// Queued callback: a caller waiting in a queue presses the callback key, keeps their place and
// hangs up; once the router reserves an agent, the agent's phone rings first and, when the agent
// answers, the customer is called back and bridged with them.

namespace kefu::call {

namespace {

using internal::Leg;

bool isNumber(std::string_view user) {
  return !user.empty() && user.find_first_not_of("+0123456789") == std::string_view::npos;
}

/** @return "<transport>:<host>:<port>" split into its transport and "host:port" (IPv6 hosts
 *  bracketed), or nullopt when it is not of that shape. */
std::optional<std::pair<std::string, std::string>> splitSource(std::string_view source) {
  auto first = source.find(':');
  auto last = source.rfind(':');
  if (first == std::string_view::npos || first == 0 || last <= first + 1 ||
      last + 1 >= source.size()) {
    return std::nullopt;
  }
  auto transport = std::string(source.substr(0, first));
  auto host = std::string(source.substr(first + 1, last - first - 1));
  auto port = source.substr(last + 1);
  if (port.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  if (host.find(':') != std::string::npos && host.front() != '[') {
    host = "[" + host + "]";
  }
  return std::pair{transport, host + ":" + std::string(port)};
}

/** @return `contact` without its headers part ("?...") when it is a sip: or sips: URI naming a
 *  host, or nullopt (empty, another scheme, or no host). */
std::optional<std::string> usableContact(std::string_view contact) {
  contact = contact.substr(0, contact.find('?'));
  const std::size_t scheme = contact.starts_with("sip:") ? 4 : contact.starts_with("sips:") ? 5 : 0;
  if (scheme == 0) {
    return std::nullopt;
  }
  auto rest = contact.substr(scheme);
  auto at = rest.find('@');
  auto host = at == std::string_view::npos ? rest : rest.substr(at + 1);
  if (host.empty() || host.front() == ':' || host.front() == ';') {
    return std::nullopt;
  }
  return std::string(contact);
}

}  // namespace

void CallControl::setCallbackUri(Call& call, const sip::IncomingInvite& invite) const {
  if (!config_.gateway.uri.empty() && isNumber(call.caller)) {
    call.callback_uri = "sip:" + call.caller + "@" + config_.gateway.uri;
    call.callback_via_gateway = true;
    return;
  }
  // Without a gateway the caller's phone is called back at its Contact, where it asked to be
  // reached (RFC 3261 12.1.1): over TCP or TLS the INVITE's source port is an ephemeral one that
  // nothing listens on once the connection is gone, and the Contact carries the transport.
  if (auto contact = usableContact(invite.contact_uri)) {
    call.callback_uri = std::move(*contact);
    return;
  }
  // No usable Contact: the From user at the INVITE's source address (phones send from the port
  // they listen on).
  auto split = splitSource(invite.source);
  if (!split) {
    call.callback_uri = invite.from_uri;
    return;
  }
  const auto& [transport, address] = *split;
  call.callback_uri = "sip:" + (call.caller.empty() ? std::string() : call.caller + "@") + address;
  if (transport == "tcp" || transport == "tls") {
    call.callback_uri += ";transport=" + transport;
  }
}

bool CallControl::maybeRequestCallback(Call& call, char digit) {
  if (config_.callback_key == '\0' || digit != config_.callback_key ||
      call.state != CallState::Queued || !call.routed || call.callback_uri.empty()) {
    return false;
  }
  auto requested = router_.requestCallback(call.id);
  if (!requested) {
    // The queue offers no callback, or an agent already rings: the caller keeps waiting.
    spdlog::info("call {}: callback refused: {}", call.id, requested.error().message);
    return false;
  }
  call.state = CallState::CallbackPending;
  emit(call, CallEventType::CallbackRequested, {}, {}, {}, call.callback_uri);
  stopMusic(call);
  auto confirmation =
      config_.callback_confirmation.empty() ? nullptr : prompt(config_.callback_confirmation);
  if (confirmation != nullptr) {
    call.callback_play = next_play_id_++;
    media_.play(call.caller_leg.session, confirmation, false, call.callback_play);
    return true;
  }
  releaseCallerForCallback(call);
  return true;
}

void CallControl::releaseCallerForCallback(Call& call) {
  auto& caller = call.caller_leg;
  if (caller.outgoing || caller.session == 0) {
    return;
  }
  if (call.party && call.party->answered) {
    // The agent answered while the confirmation played: they talk now, nothing to call back.
    return;
  }
  if (dialogs_.contains(caller.dialog)) {
    sip_.hangUp(caller.dialog);
    forgetDialog(caller.dialog);
  }
  destroySession(caller.session);
  caller = Leg{};
  call.music_play = 0;
  call.greeting_play = 0;
  call.callback_play = 0;
}

void CallControl::callbackAgentAnswered(Call& call) {
  KEFU_ASSERT(call.party.has_value());
  call.agent_id = call.party->agent_id;
  if (call.caller_leg.session != 0 && !call.caller_leg.outgoing) {
    // The caller is still on the line (the confirmation is playing): no need to call back.
    call.callback_play = 0;
    media_.stopPlay(call.caller_leg.session);
    connectCallback(call, {});
    return;
  }
  auto offer = media_.offer(media::SessionOptions{.affinity = call.seq});
  if (!offer) {
    spdlog::warn("call {}: no media session for the callback: {}", call.id, offer.error().message);
    failCallback(call, EndCause::Failed);
    return;
  }
  sip::OutgoingInvite invite;
  invite.request_uri = call.callback_uri;
  invite.from_uri =
      "sip:" + (call.dialed.empty() ? std::string("kefu") : call.dialed) + "@" + config_.sip_host;
  invite.from_display = call.dialed;
  auto semicolon = call.callback_uri.find(';');
  invite.to_uri = call.callback_uri.substr(0, semicolon);
  invite.sdp = std::move(offer->sdp);
  if (call.callback_via_gateway) {
    invite.auth_user = config_.gateway.auth_user;
    invite.auth_password = config_.gateway.auth_password;
  }
  invite.headers.push_back("X-Kefu-Call: " + call.id);
  auto dialog = sip_.invite(std::move(invite));

  Leg customer;
  customer.role = Leg::Role::Caller;
  customer.dialog = dialog;
  customer.session = offer->id;
  customer.outgoing = true;
  customer.target = "callback:" + call.callback_uri;
  call.caller_leg = std::move(customer);
  dialogs_[dialog] = call.id;
  ++counters_.legs_active;
  trackSession(call, offer->id);
  // The router's callback timeout covers the whole callback; this bounds the customer's ring.
  call.callback_timer = loop_.postAfter(config_.ring_timeout, [this, id = call.id] {
    if (auto* c = findCall(id); c != nullptr) {
      c->callback_timer = 0;
      failCallback(*c, EndCause::NoAnswer);
    }
  });
}

void CallControl::handleCallbackCustomerEvent(Call& call, const sip::DialogEvent& event) {
  using Kind = sip::DialogEvent::Kind;
  switch (event.kind) {
    case Kind::Progress:
      if ((event.status == 180 || event.status == 183) && !call.caller_leg.alerted) {
        call.caller_leg.alerted = true;
        emit(call, CallEventType::Ringing, {}, "callback", call.agent_id, call.caller_leg.target);
      }
      return;
    case Kind::Answered:
      connectCallback(call, event.sdp);
      return;
    case Kind::Failed:
    case Kind::Cancelled:
    case Kind::ByeReceived:
    case Kind::Terminated: {
      forgetDialog(call.caller_leg.dialog);
      bool busy = event.status == 486 || event.status == 600;
      failCallback(call, busy ? EndCause::Busy : EndCause::NoAnswer);
      return;
    }
    default:
      return;
  }
}

void CallControl::connectCallback(Call& call, const std::string& sdp) {
  auto& customer = call.caller_leg;
  if (customer.outgoing) {
    auto accepted = media_.acceptAnswer(customer.session, sdp);
    if (!accepted) {
      spdlog::warn("call {}: the customer answered the callback with SDP we cannot use: {}",
                   call.id, accepted.error().message);
      failCallback(call, EndCause::Failed);
      return;
    }
  }
  if (call.callback_timer != 0) {
    loop_.cancel(call.callback_timer);
    call.callback_timer = 0;
  }
  customer.answered = true;
  stopMusic(call);
  call.state = CallState::Talking;
  call.answered_ms = toUnixMillis(time_.systemTime());
  router_.callbackConnected(call.id);
  if (!bridgeParty(call)) {
    endCall(call, EndCause::Failed, "bridge failed");
    return;
  }
  emit(call, CallEventType::Answered, "callback", {}, call.agent_id, call.party->target);
  maybeStartRecording(call);
}

void CallControl::failCallback(Call& call, EndCause cause) {
  // The router hears it here (the agent is released); endCall must not report an abandon too.
  if (call.routed) {
    call.routed = false;
    router_.callbackFailed(call.id);
  }
  endCall(call, EndCause::CallbackFailed, std::string(toString(cause)));
}

}  // namespace kefu::call
