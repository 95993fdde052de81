// The dialog half of SofiaSipStack: incoming and outgoing INVITEs, the requests inside a dialog
// (re-INVITE, UPDATE, REFER, INFO) and the commands call control posts about them. Everything
// here runs on the SIP thread except the public methods, which only post.

#include <sofia-sip/msg.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <optional>

#include "sip/internal/sofia_message.h"
#include "sip/internal/sofia_stack.h"
#include "sip/refer_to.h"

namespace kefu::sip::internal {
namespace {

std::string bodyOf(const sip_t* sip) {
  if (sip == nullptr || sip->sip_payload == nullptr || sip->sip_payload->pl_data == nullptr) {
    return {};
  }
  return {sip->sip_payload->pl_data, sip->sip_payload->pl_len};
}

// @return the SDP body of a message, or "" when it has none or another type of body.
std::string sdpOf(const sip_t* sip) {
  if (sip == nullptr || sip->sip_content_type == nullptr ||
      sip->sip_content_type->c_type == nullptr ||
      strcasecmp(sip->sip_content_type->c_type, "application/sdp") != 0) {
    return {};
  }
  return bodyOf(sip);
}

// @return a display name as a quoted-string (RFC 3261 25.1), escaping quotes and backslashes and
// dropping control characters that would break the header.
std::string quoteDisplay(const std::string& display) {
  std::string out = "\"";
  for (char c : display) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      continue;
    }
    out.push_back(c);
  }
  return out + "\"";
}

// @return the realm of the first challenge in a 401/407, quotes included as NUTAG_AUTH wants it.
std::string challengeRealm(const sip_t* sip) {
  const msg_auth_t* challenge = nullptr;
  if (sip != nullptr) {
    challenge = sip->sip_www_authenticate != nullptr ? sip->sip_www_authenticate
                                                     : sip->sip_proxy_authenticate;
  }
  if (challenge == nullptr) {
    return {};
  }
  const char* realm = msg_params_find(challenge->au_params, "realm=");
  return realm != nullptr ? std::string(realm) : std::string();
}

std::string schemeOf(const sip_t* sip) {
  const msg_auth_t* challenge = sip->sip_www_authenticate != nullptr ? sip->sip_www_authenticate
                                                                     : sip->sip_proxy_authenticate;
  return challenge != nullptr && challenge->au_scheme != nullptr ? challenge->au_scheme : "Digest";
}

}  // namespace

// ---- Commands (any thread: they post) -------------------------------------------------------

void SofiaSipStack::answerInvite(DialogId dialog, int status, std::string reason, std::string sdp) {
  post([this, dialog, status, reason = std::move(reason), sdp = std::move(sdp)] {
    Dialog* d = findDialog(dialog);
    if (d == nullptr || d->outgoing || d->final_sent) {
      return;  // unknown, ours, or a final answer was already sent
    }
    decided(*d);
    const char* phrase = stablePhrase(status, reason);
    if (status >= 200) {
      d->final_sent = true;
      d->final_status = status;
      d->established = status < 300;
    }
    nua_respond(d->nh, status, phrase,
                TAG_IF(!sdp.empty(), SIPTAG_CONTENT_TYPE_STR("application/sdp")),
                TAG_IF(!sdp.empty(), SIPTAG_PAYLOAD_STR(sdp.c_str())), TAG_END());
    countResponse(status);
  });
}

void SofiaSipStack::rejectInvite(DialogId dialog, int status, std::string reason,
                                 int retry_after_s) {
  post([this, dialog, status, reason = std::move(reason), retry_after_s] {
    Dialog* d = findDialog(dialog);
    if (d == nullptr || d->outgoing || d->final_sent || status < 300 || status > 699) {
      return;
    }
    decided(*d);
    d->final_sent = true;
    d->final_status = status;
    const std::string retry = retry_after_s > 0 ? std::to_string(retry_after_s) : std::string();
    nua_respond(d->nh, status, stablePhrase(status, reason),
                TAG_IF(!retry.empty(), SIPTAG_RETRY_AFTER_STR(retry.c_str())), TAG_END());
    countResponse(status);
  });
}

void SofiaSipStack::challengeInvite(DialogId dialog, std::string proxy_authenticate) {
  post([this, dialog, proxy_authenticate = std::move(proxy_authenticate)] {
    Dialog* d = findDialog(dialog);
    if (d == nullptr || d->outgoing || d->final_sent) {
      return;
    }
    decided(*d);
    d->final_sent = true;
    d->final_status = 407;
    nua_respond(d->nh, 407, "Proxy Authentication Required",
                SIPTAG_PROXY_AUTHENTICATE_STR(proxy_authenticate.c_str()), TAG_END());
    countResponse(407);
  });
}

void SofiaSipStack::hangUp(DialogId dialog) {
  post([this, dialog] {
    Dialog* d = findDialog(dialog);
    if (d == nullptr || d->hangup_requested) {
      return;
    }
    decided(*d);
    if (d->outgoing) {
      d->hangup_requested = true;
      if (!d->final_received) {
        nua_cancel(d->nh, TAG_END());  // a 2xx racing the CANCEL is answered by BYE
        if (!d->provisional_received) {
          // The CANCEL waits for a first response, which may take until the INVITE times out
          // (32 s); call control is released now and the handle lives on without it.
          emit(DialogEvent{dialog, DialogEvent::Kind::Failed, 487, "Request Terminated"});
          detached_.insert(d->nh);
          releaseDialog(dialog, 487, "Request Terminated", false);
        }
      } else if (d->established) {
        nua_bye(d->nh, TAG_END());
      }
      return;
    }
    if (!d->final_sent) {
      // BYE is only for a confirmed dialog; an INVITE still ringing is refused instead.
      d->final_sent = true;
      d->final_status = 480;
      nua_respond(d->nh, 480, "Temporarily Unavailable", TAG_END());
      countResponse(480);
      return;
    }
    if (d->established) {
      d->hangup_requested = true;
      nua_bye(d->nh, TAG_END());
    }
  });
}

DialogId SofiaSipStack::invite(OutgoingInvite invite) {
  const DialogId id = next_dialog_++;
  post([this, id, invite = std::move(invite)] { startInvite(id, invite); });
  return id;
}

void SofiaSipStack::reinvite(DialogId dialog, std::string sdp) {
  post([this, dialog, sdp = std::move(sdp)] {
    Dialog* d = findDialog(dialog);
    if (d == nullptr || !d->established || d->hangup_requested || d->reinvite_out) {
      return;
    }
    d->reinvite_out = true;
    ++counters_.reinvites_sent;
    nua_invite(d->nh, TAG_IF(!sdp.empty(), SIPTAG_CONTENT_TYPE_STR("application/sdp")),
               TAG_IF(!sdp.empty(), SIPTAG_PAYLOAD_STR(sdp.c_str())), TAG_END());
  });
}

void SofiaSipStack::answerReinvite(DialogId dialog, int status, std::string sdp) {
  post([this, dialog, status, sdp = std::move(sdp)] {
    Dialog* d = findDialog(dialog);
    if (d == nullptr || !d->reinvite_in || status < 200) {
      return;
    }
    d->reinvite_in = false;
    // Named explicitly: without NUTAG_WITH nua answers the handle's first pending server request,
    // which need not be this one.
    msg_t* request = d->reinvite_request;
    d->reinvite_request = nullptr;
    nua_respond(d->nh, status,
                sip_status_phrase(status) != nullptr ? sip_status_phrase(status) : "",
                TAG_IF(request != nullptr, NUTAG_WITH(request)),
                TAG_IF(!sdp.empty() && status < 300, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
                TAG_IF(!sdp.empty() && status < 300, SIPTAG_PAYLOAD_STR(sdp.c_str())), TAG_END());
    countResponse(status);
    if (request != nullptr) {
      msg_destroy(request);
    }
  });
}

void SofiaSipStack::notifyReferProgress(DialogId dialog, int status, std::string reason) {
  post([this, dialog, status, reason = std::move(reason)] {
    Dialog* d = findDialog(dialog);
    if (d == nullptr || d->refer_event.empty() || status < 100 || status > 699) {
      return;
    }
    const char* phrase = stablePhrase(status, reason);
    const std::string frag = "SIP/2.0 " + std::to_string(status) + " " + phrase + "\r\n";
    const bool final = status >= 200;
    nua_notify(d->nh, SIPTAG_EVENT_STR(d->refer_event.c_str()),
               NUTAG_SUBSTATE(final ? nua_substate_terminated : nua_substate_active),
               SIPTAG_CONTENT_TYPE_STR("message/sipfrag;version=2.0"),
               SIPTAG_PAYLOAD_STR(frag.c_str()), TAG_END());
    if (final) {
      d->refer_event.clear();
    }
  });
}

// ---- The dialog table (SIP thread) ------------------------------------------------------------

SofiaSipStack::Dialog* SofiaSipStack::findDialog(DialogId id) {
  auto it = dialogs_.find(id);
  return it == dialogs_.end() ? nullptr : &it->second;
}

SofiaSipStack::Dialog* SofiaSipStack::dialogOf(nua_handle_t* nh) {
  auto it = dialog_of_handle_.find(nh);
  return it == dialog_of_handle_.end() ? nullptr : findDialog(it->second);
}

DialogId SofiaSipStack::addDialog(DialogId id, nua_handle_t* nh, bool outgoing) {
  Dialog dialog;
  dialog.nh = nh;
  dialog.outgoing = outgoing;
  dialog.reported = outgoing;
  dialogs_.emplace(id, std::move(dialog));
  dialog_of_handle_.emplace(nh, id);
  ++counters_.dialogs_active;
  return id;
}

void SofiaSipStack::releaseDialog(DialogId id, int status, std::string reason,
                                  bool destroy_handle) {
  auto it = dialogs_.find(id);
  if (it == dialogs_.end()) {
    return;
  }
  // The table and the counter are updated before the listener hears of it, so what it reads
  // from the stack after Terminated is already true.
  nua_handle_t* nh = it->second.nh;
  decided(it->second);
  const bool reported = it->second.reported;
  if (it->second.reinvite_request != nullptr) {
    msg_destroy(it->second.reinvite_request);
  }
  if (status == 0) {
    status = it->second.final_status;
  }
  dialog_of_handle_.erase(nh);
  dialogs_.erase(it);
  --counters_.dialogs_active;
  if (reported) {
    emit(DialogEvent{id, DialogEvent::Kind::Terminated, status, std::move(reason)});
  }
  if (destroy_handle) {
    nua_handle_destroy(nh);
  }
}

void SofiaSipStack::emit(const DialogEvent& event) {
  if (SipCallListener* call_listener = call_listener_.load()) {
    call_listener->onDialogEvent(event);
  }
}

void SofiaSipStack::dialogEvent(nua_handle_t* nh, DialogEvent::Kind kind, int status,
                                std::string reason) {
  Dialog* dialog = dialogOf(nh);
  if (dialog == nullptr || !dialog->reported) {
    return;  // ours to finish alone (refused before call control heard of it)
  }
  emit(DialogEvent{dialog_of_handle_.at(nh), kind, status, std::move(reason)});
}

// ---- Incoming requests (SIP thread) -----------------------------------------------------------

void SofiaSipStack::onInvite(int status, nua_handle_t* nh, const sip_t* sip) {
  if (Dialog* existing = dialogOf(nh)) {
    if (status < 200) {
      onReinvite(*existing, sip, false);  // else nua refused it itself (491 on glare, 500 ...)
    }
    return;
  }
  const DialogId id = addDialog(next_dialog_++, nh, false);
  Dialog& dialog = dialogs_.at(id);
  // The handle stays ours until nua reports the call terminated (onCallState releases it).
  auto refuse = [&](int status) {
    dialog.final_sent = true;
    dialog.final_status = status;
  };
  if (refuseBadRequest(nh, sip, false)) {
    refuse(400);
    return;
  }
  if (refuseOverloaded(dialog)) {
    return;
  }
  if (sip->sip_payload != nullptr && sip->sip_payload->pl_len > 0) {
    const bool is_sdp = sip->sip_content_type != nullptr &&
                        sip->sip_content_type->c_type != nullptr &&
                        strcasecmp(sip->sip_content_type->c_type, "application/sdp") == 0;
    if (!is_sdp) {
      nua_respond(nh, 415, "Unsupported Media Type", SIPTAG_ACCEPT_STR("application/sdp"),
                  TAG_END());
      countResponse(415);
      refuse(415);
      return;
    }
  }
  if (!acceptsSdp(*sip)) {
    // Our answer would have to be SDP, which the caller says it cannot take (RFC 4475 3.3.15).
    nua_respond(nh, 406, "Not Acceptable", SIPTAG_ACCEPT_STR("application/sdp"),
                SIPTAG_WARNING_STR("399 kefu \"The answer can only be application/sdp\""),
                TAG_END());
    countResponse(406);
    refuse(406);
    return;
  }
  SipCallListener* call_listener = call_listener_.load();
  if (call_listener == nullptr) {
    nua_respond(nh, 480, "Temporarily Unavailable", TAG_END());
    countResponse(480);
    refuse(480);
    return;
  }
  IncomingInvite invite;
  invite.dialog = id;
  invite.request_uri = urlToString(sip->sip_request->rq_url);
  if (sip->sip_from != nullptr) {
    invite.from_uri = urlToString(sip->sip_from->a_url);
    if (sip->sip_from->a_display != nullptr) {
      invite.from_display = unquote(sip->sip_from->a_display);
    }
  }
  if (sip->sip_to != nullptr) {
    invite.to_uri = urlToString(sip->sip_to->a_url);
  }
  if (sip->sip_call_id != nullptr && sip->sip_call_id->i_id != nullptr) {
    invite.call_id = sip->sip_call_id->i_id;
  }
  if (sip->sip_payload != nullptr && sip->sip_payload->pl_data != nullptr) {
    invite.content_type = "application/sdp";
    invite.sdp.assign(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
  }
  if (sip->sip_user_agent != nullptr && sip->sip_user_agent->g_string != nullptr) {
    invite.user_agent = sip->sip_user_agent->g_string;
  }
  if (sip->sip_contact != nullptr) {
    invite.contact_uri = urlToString(sip->sip_contact->m_url);
  }
  invite.proxy_authorization = credentialsValue(sip->sip_proxy_authorization);
  const std::string source = sourceOfCurrentRequest();
  invite.source = viaTransport(*sip) + ":" + source;
  invite.source_host = hostOfSource(source);
  if (const sip_replaces_t* rp = sip->sip_replaces; rp != nullptr && rp->rp_call_id != nullptr &&
                                                    rp->rp_to_tag != nullptr &&
                                                    rp->rp_from_tag != nullptr) {
    invite.replaces_call_id = rp->rp_call_id;
    invite.replaces_to_tag = rp->rp_to_tag;
    invite.replaces_from_tag = rp->rp_from_tag;
  }
  handedToCallControl(dialog);
  call_listener->onIncomingInvite(invite);
}

void SofiaSipStack::onReinvite(Dialog& dialog, const sip_t* sip, bool update) {
  const std::string sdp = sdpOf(sip);
  if (update && sdp.empty()) {
    // An UPDATE without an offer only refreshes the session (RFC 4028) or the target.
    nua_respond(dialog.nh, 200, "OK", NUTAG_WITH_THIS(nua_), TAG_END());
    countResponse(200);
    return;
  }
  if (dialog.reinvite_in) {
    // RFC 3261 14.2: a second offer while one waits for its answer.
    nua_respond(dialog.nh, 500, "Overlapping Offer/Answer", SIPTAG_RETRY_AFTER_STR("1"), TAG_END());
    countResponse(500);
    return;
  }
  dialog.reinvite_in = true;
  msg_t* request = nua_current_request(nua_);
  dialog.reinvite_request = request != nullptr ? msg_ref_create(request) : nullptr;
  DialogEvent event{dialog_of_handle_.at(dialog.nh), DialogEvent::Kind::ReinviteReceived};
  event.sdp = sdp;
  emit(std::move(event));
}

void SofiaSipStack::onRefer(nua_handle_t* nh, const sip_t* sip, tagi_t tags[]) {
  Dialog* dialog = dialogOf(nh);
  if (dialog == nullptr) {
    // nua answered a REFER outside any call of ours; the handle it made is ours to release.
    nua_handle_destroy(nh);
    return;
  }
  const sip_event_t* refer_event = nullptr;
  tl_gets(tags, NUTAG_REFER_EVENT_REF(refer_event), TAG_END());
  dialog->refer_event = refer_event != nullptr
                            ? headerValue(reinterpret_cast<const sip_header_t*>(refer_event))
                            : std::string("refer");
  std::optional<ReferTarget> target;
  if (sip != nullptr && sip->sip_refer_to != nullptr) {
    target = parseReferTo(headerValue(reinterpret_cast<const sip_header_t*>(sip->sip_refer_to)));
  }
  if (!target) {
    // nua has sent 202 already; the transfer fails at once, and call control never sees it.
    ++counters_.malformed;
    nua_notify(nh, SIPTAG_EVENT_STR(dialog->refer_event.c_str()),
               NUTAG_SUBSTATE(nua_substate_terminated),
               SIPTAG_CONTENT_TYPE_STR("message/sipfrag;version=2.0"),
               SIPTAG_PAYLOAD_STR("SIP/2.0 400 Bad Refer-To\r\n"), TAG_END());
    dialog->refer_event.clear();
    return;
  }
  // RFC 3515 2.4.4: the first NOTIFY goes out at once; nua 1.12.11 leaves it to us.
  nua_notify(nh, SIPTAG_EVENT_STR(dialog->refer_event.c_str()), NUTAG_SUBSTATE(nua_substate_active),
             SIPTAG_CONTENT_TYPE_STR("message/sipfrag;version=2.0"),
             SIPTAG_PAYLOAD_STR("SIP/2.0 100 Trying\r\n"), TAG_END());
  DialogEvent event{dialog_of_handle_.at(nh), DialogEvent::Kind::ReferReceived};
  event.refer_to = std::move(target->uri);
  if (target->replaces) {
    event.replaces_call_id = std::move(target->replaces->call_id);
    event.replaces_to_tag = std::move(target->replaces->to_tag);
    event.replaces_from_tag = std::move(target->replaces->from_tag);
  }
  emit(std::move(event));
}

void SofiaSipStack::onAck(nua_handle_t* nh, const sip_t* sip) {
  Dialog* dialog = dialogOf(nh);
  if (dialog == nullptr || dialog->acked) {
    return;  // the ACK of a re-INVITE's answer is nothing call control waits for
  }
  dialog->acked = true;
  DialogEvent event{dialog_of_handle_.at(nh), DialogEvent::Kind::Acked};
  event.sdp = sdpOf(sip);  // the answer, when our 2xx carried the offer
  emit(std::move(event));
}

void SofiaSipStack::onInfo(nua_handle_t* nh, const sip_t* sip) {
  auto it = dialog_of_handle_.find(nh);
  if (it == dialog_of_handle_.end()) {
    nua_handle_destroy(nh);  // INFO outside a dialog (nua answered it)
    return;
  }
  DialogEvent event{it->second, DialogEvent::Kind::InfoReceived};
  if (sip != nullptr && sip->sip_content_type != nullptr &&
      sip->sip_content_type->c_type != nullptr) {
    event.content_type = sip->sip_content_type->c_type;
  }
  event.body = bodyOf(sip);
  emit(std::move(event));
}

// ---- Outgoing INVITE (SIP thread) -----------------------------------------------------------

void SofiaSipStack::startInvite(DialogId id, const OutgoingInvite& invite) {
  const std::string from =
      (invite.from_display.empty() ? std::string() : quoteDisplay(invite.from_display) + " ") +
      "<" + invite.from_uri + ">";
  const std::string to = "<" + (invite.to_uri.empty() ? invite.request_uri : invite.to_uri) + ">";
  nua_handle_t* nh = nua_handle(nua_, nullptr, SIPTAG_FROM_STR(from.c_str()),
                                SIPTAG_TO_STR(to.c_str()), TAG_END());
  if (nh == nullptr) {
    emit(DialogEvent{id, DialogEvent::Kind::Failed, 500, "Cannot create the request"});
    emit(DialogEvent{id, DialogEvent::Kind::Terminated, 500, {}});
    return;
  }
  addDialog(id, nh, true);
  Dialog& dialog = dialogs_.at(id);
  dialog.auth_user = invite.auth_user;
  dialog.auth_password = invite.auth_password;
  std::string headers;
  for (const auto& header : invite.headers) {
    if (header.find_first_of("\r\n") != std::string::npos ||
        header.find(':') == std::string::npos) {
      spdlog::warn("sip: dropped a malformed extra header on an outgoing INVITE");
      continue;
    }
    headers += (headers.empty() ? "" : "\r\n") + header;
  }
  ++counters_.invites_sent;
  nua_invite(nh, NUTAG_URL(invite.request_uri.c_str()),
             TAG_IF(!invite.sdp.empty(), SIPTAG_CONTENT_TYPE_STR("application/sdp")),
             TAG_IF(!invite.sdp.empty(), SIPTAG_PAYLOAD_STR(invite.sdp.c_str())),
             TAG_IF(!headers.empty(), SIPTAG_HEADER_STR(headers.c_str())), TAG_END());
}

void SofiaSipStack::onInviteResponse(int status, const char* phrase, nua_handle_t* nh,
                                     const sip_t* sip) {
  auto it = dialog_of_handle_.find(nh);
  if (it == dialog_of_handle_.end()) {
    if (detached_.count(nh) != 0 && status >= 200 && status < 300) {
      nua_bye(nh, TAG_END());  // answered after we gave up on it
    }
    return;
  }
  const DialogId id = it->second;
  Dialog& dialog = dialogs_.at(id);
  const std::string reason = phrase != nullptr ? phrase : "";
  if (status < 200) {
    dialog.provisional_received = true;
  }
  if (dialog.established) {
    // The answer to our re-INVITE (nua sends its ACK).
    if (dialog.reinvite_out && status >= 200) {
      dialog.reinvite_out = false;
      DialogEvent event{id, DialogEvent::Kind::ReinviteAnswered, status, reason};
      event.sdp = sdpOf(sip);
      emit(std::move(event));
    }
    return;
  }
  if (!dialog.outgoing) {
    return;
  }
  if (status < 200) {
    if (status > 100 && !dialog.hangup_requested) {
      DialogEvent event{id, DialogEvent::Kind::Progress, status, reason};
      event.sdp = sdpOf(sip);
      emit(std::move(event));
    }
    return;
  }
  if ((status == 401 || status == 407) && !dialog.auth_tried && !dialog.auth_user.empty() &&
      !dialog.hangup_requested && sip != nullptr) {
    const std::string realm = challengeRealm(sip);
    if (!realm.empty()) {
      dialog.auth_tried = true;
      const std::string auth =
          schemeOf(sip) + ":" + realm + ":" + dialog.auth_user + ":" + dialog.auth_password;
      nua_authenticate(nh, NUTAG_AUTH(auth.c_str()), TAG_END());
      return;
    }
  }
  dialog.final_received = true;
  dialog.final_status = status;
  if (status < 300) {
    dialog.established = true;
    if (dialog.hangup_requested) {
      nua_bye(nh, TAG_END());  // the answer crossed our CANCEL
      return;
    }
    DialogEvent event{id, DialogEvent::Kind::Answered, status, reason};
    event.sdp = sdpOf(sip);
    emit(std::move(event));
    return;
  }
  emit(DialogEvent{id, DialogEvent::Kind::Failed, status, reason});
  if (status == 401 || status == 407) {
    // nua keeps a challenged call alive for nua_authenticate(); we give up on it here.
    releaseDialog(id, status, reason);
  }
}

void SofiaSipStack::onCallState(nua_handle_t* nh, tagi_t tags[]) {
  int state = nua_callstate_init;
  tl_gets(tags, NUTAG_CALLSTATE_REF(state), TAG_END());
  if (state != nua_callstate_terminated) {
    return;
  }
  auto it = dialog_of_handle_.find(nh);
  if (it != dialog_of_handle_.end()) {
    releaseDialog(it->second, 0, {});
  } else if (detached_.erase(nh) != 0) {
    nua_handle_destroy(nh);
  }
}

}  // namespace kefu::sip::internal
