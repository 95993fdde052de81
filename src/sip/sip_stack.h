#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/time_source.h"
#include "sip/registrar.h"
#include "sip/registration.h"

namespace kefu::sip {

/** Where the stack listens. An empty host disables that listener. */
struct SipListen {
  std::string host;  // an IP address ("0.0.0.0" for all)
  uint16_t port = 0;
};

/** How the SIP stack runs; see docs/sip.md. */
struct SipConfig {
  /** UDP and TCP share one address and port (sofia binds both from one `sip:` URL); either can be
   *  switched off. */
  SipListen sip{"127.0.0.1", 5060};
  /** The host written in the Via and Contact of what the stack sends (e.g. the public address
   *  when listening on 0.0.0.0); empty: the listen address. */
  std::string advertised_host;
  bool udp = true;
  bool tcp = true;
  /** TLS (`sips:`); off when `tls.host` is empty. */
  SipListen tls;
  /** A directory holding `agent.pem` (certificate and private key) and optionally `cafile.pem`. */
  std::string tls_certificate_dir;
  std::string user_agent = "Kefu";
  RegistrarConfig registrar;
  /** Largest SIP message accepted (bytes); larger ones are refused and counted as malformed. */
  std::size_t max_message_size = 65536;

  // Overload (docs/sip.md, "Overload"): a new INVITE is answered 503 with Retry-After on the SIP
  // thread, before call control hears of it, while any of these says so. Requests inside
  // dialogs are always served.
  /** The process's CPU budget in percent of all cores, judged over the last second with
   *  hysteresis (normal again below 90 % of it); 0: no CPU budget. */
  double cpu_budget_percent = 0;
  /** INVITEs handed to call control that it has not answered yet, beyond which new ones are
   *  refused (what grows when the control loop falls behind a flood); 0: no limit. */
  std::size_t max_pending_invites = 0;
  /** An extra overload signal read for every new INVITE on the SIP thread (an operator's
   *  switch, tests); empty: none. */
  std::function<bool()> overload_signal;
  /** The Retry-After (seconds) of those 503s. */
  int overload_retry_after_s = 10;
};

/** A dialog (an incoming or an outgoing INVITE) as call control names it; never reused in a
 *  process. */
using DialogId = uint64_t;

/** An INVITE that created a new dialog, in value types. */
struct IncomingInvite {
  DialogId dialog = 0;
  std::string request_uri;
  std::string from_uri;
  std::string from_display;
  std::string to_uri;
  std::string call_id;
  std::string content_type;  // empty when there is no body
  std::string sdp;           // the offer (empty: the offer will come in our 200's answer / ACK)
  std::string user_agent;
  /** The Contact URI ("sip:caller@127.0.0.1:5070;transport=tcp"); empty when there is none. */
  std::string contact_uri;
  std::string source;  // the transport's peer address ("udp:127.0.0.1:5062")
  /** The source address alone ("127.0.0.1"), for trunk matching by address. */
  std::string source_host;
  /** A Replaces header (RFC 3891) when the INVITE replaces a dialog of ours (attended transfer
   *  done by the phones); empty otherwise. */
  std::string replaces_call_id;
  std::string replaces_to_tag;
  std::string replaces_from_tag;
  /** The Proxy-Authorization header's value (an inbound trunk's answer to our 407 challenge,
   *  `Digest username=…`); empty when absent. */
  std::string proxy_authorization;
};

/** An INVITE call control sends (a B2BUA leg to an agent's phone, a gateway, a callback). */
struct OutgoingInvite {
  std::string request_uri;   // where it goes: a registered contact or `sip:number@gateway`
  std::string from_uri;      // our identity for the callee ("sip:4000@kefu.local")
  std::string from_display;  // the caller's number or name, shown on the phone
  std::string to_uri;        // usually the request URI without parameters
  std::string sdp;           // our offer (the media engine's)
  /** Digest credentials for a gateway that challenges with 401/407; empty: none. */
  std::string auth_user;
  std::string auth_password;
  /** Extra headers, one "Name: value" per entry (e.g. "X-Kefu-Call: <id>"). */
  std::vector<std::string> headers;
};

/** What happened to a dialog after its INVITE. */
struct DialogEvent {
  enum class Kind {
    Cancelled,    // the caller sent CANCEL before we answered (487 has been sent)
    Acked,        // our 2xx was acknowledged (once; `sdp`: the answer if our 2xx had the offer)
    ByeReceived,  // the peer hung up (200 has been sent)
    Terminated,   // the dialog is gone; its DialogId is released after this event

    // Our outgoing INVITE (SipStack::invite).
    Progress,  // a provisional response: `status` (180, 183), `sdp` when it carries early media
    Answered,  // 2xx: `sdp` is the answer; the stack has sent the ACK
    Failed,    // a final status >= 300 (`status`, `reason`); Terminated follows

    // In-dialog requests from the peer (either direction of dialog).
    ReinviteReceived,  // a re-INVITE or an UPDATE with `sdp` (an offer; may be empty): answer it
                       // with SipStack::answerReinvite()
    ReinviteAnswered,  // our re-INVITE's final `status` and the peer's answer `sdp`
    ReferReceived,     // REFER (202 has been sent): `refer_to` and, for an attended transfer,
                       // its Replaces parts; report the outcome with notifyReferProgress()
    InfoReceived,      // INFO (200 has been sent): `content_type` and `body` (e.g. DTMF)
  };
  DialogId dialog = 0;
  Kind kind = Kind::Terminated;
  int status = 0;        // Terminated: the final status that ended it, when known; Progress,
                         // Answered, Failed, ReinviteAnswered: the response's status
  std::string reason;    // the phrase or the Reason header
  std::string sdp;       // Progress, Answered, ReinviteReceived, ReinviteAnswered, Acked
  std::string refer_to;  // ReferReceived: the Refer-To URI without its Replaces parameter
  std::string replaces_call_id;  // ReferReceived: the Refer-To's embedded Replaces, if any
  std::string replaces_to_tag;
  std::string replaces_from_tag;
  std::string content_type;  // InfoReceived
  std::string body;          // InfoReceived
};

/** Figures for /metrics. Every field is atomic; read from any thread. */
struct SipCounters {
  std::atomic<uint64_t> requests_invite{0};
  std::atomic<uint64_t> requests_register{0};
  std::atomic<uint64_t> requests_options{0};
  std::atomic<uint64_t> requests_other{0};  // every other method, known or not
  std::atomic<uint64_t> malformed{0};       // requests answered 400 by us and bad messages sofia
                                            // dropped or answered itself
  std::atomic<uint64_t> responses_1xx{0};   // responses we sent, by class (final ones we chose)
  std::atomic<uint64_t> responses_2xx{0};
  std::atomic<uint64_t> responses_3xx{0};
  std::atomic<uint64_t> responses_4xx{0};
  std::atomic<uint64_t> responses_5xx{0};
  std::atomic<uint64_t> responses_6xx{0};
  std::atomic<uint64_t> dialogs_active{0};
  std::atomic<uint64_t> invites_sent{0};    // outgoing INVITEs (SipStack::invite)
  std::atomic<uint64_t> reinvites_sent{0};  // outgoing re-INVITEs
  // Overload: new INVITEs refused with 503 on the SIP thread.
  std::atomic<uint64_t> invites_refused_cpu{0};      // CPU budget or the overload signal
  std::atomic<uint64_t> invites_refused_backlog{0};  // max_pending_invites reached
  std::atomic<uint64_t> invites_pending{0};          // handed to call control, not answered yet
  std::atomic<uint64_t> cpu_usage_permille{0};       // the process's CPU, per mille of all cores
};

/**
 * Registration changes and dialogs. Every method is called on the SIP thread: an implementation
 * posts what it needs to its own loop and returns at once; it must not call back into the stack
 * synchronously except through the posted commands (which are safe from any thread).
 */
class SipStackListener {
 public:
  virtual ~SipStackListener() = default;
  /** A binding appeared, was removed (unregister) or expired. */
  virtual void onRegistration(const BindingChange& change) = 0;
};

/**
 * The call layer's view of incoming dialogs. Without one, INVITEs are answered 480 Temporarily
 * Unavailable. Called on the SIP thread; post and return.
 */
class SipCallListener {
 public:
  virtual ~SipCallListener() = default;
  /** A new INVITE; answer it with SipStack::answerInvite() (from any thread). */
  virtual void onIncomingInvite(const IncomingInvite& invite) = 0;
  /** CANCEL, ACK, BYE or the end of a dialog. */
  virtual void onDialogEvent(const DialogEvent& event) = 0;
};

/**
 * Kefu's SIP stack: one SIP thread running sofia-sip's su_root with one nua (UDP, TCP, TLS), the
 * registrar, OPTIONS and the INVITE entry for call control. Public methods may be called from
 * any thread: those that act on SIP post a command to the SIP thread (through an eventfd the
 * su_root watches) and never wait for it. Destroying the stack shuts nua down (pending
 * transactions are answered or dropped) and joins the thread.
 */
class SipStack {
 public:
  virtual ~SipStack() = default;

  /** Swaps the credentials the registrar checks against. Any thread. */
  virtual void setCredentials(CredentialMapPtr credentials) = 0;
  /** Sets (or clears, with nullptr) the call listener; it must outlive the stack or be cleared
   *  first. Any thread; takes effect for INVITEs that arrive after the SIP thread applies it. */
  virtual void setCallListener(SipCallListener* listener) = 0;

  /** Answers an incoming INVITE: 1xx (180, 183 with `sdp` for early media) or a final status (2xx
   *  with our answer `sdp`). Unknown or finished dialogs are ignored. Any thread (posted). */
  virtual void answerInvite(DialogId dialog, int status, std::string reason, std::string sdp) = 0;
  /** Refuses an incoming INVITE with a final status >= 300, adding `Retry-After: seconds` when
   *  `retry_after_s` > 0 (503 under overload). Any thread (posted). */
  virtual void rejectInvite(DialogId dialog, int status, std::string reason, int retry_after_s) = 0;
  /** Answers an incoming INVITE 407 Proxy Authentication Required with `proxy_authenticate` as
   *  its Proxy-Authenticate value (`Digest realm="…", nonce="…"`). Any thread (posted). */
  virtual void challengeInvite(DialogId dialog, std::string proxy_authenticate) = 0;
  /** Ends a dialog: BYE when established, CANCEL for our unanswered INVITE, 480 for an
   *  unanswered incoming one. Any thread (posted). */
  virtual void hangUp(DialogId dialog) = 0;

  /** Sends an INVITE; @return its DialogId at once (events follow: Progress, Answered or Failed,
   *  then Terminated). Digest challenges are answered with the invite's credentials. PRACK (100rel)
   *  and session timers are handled by the stack when the peer asks for them. Any thread. */
  virtual DialogId invite(OutgoingInvite invite) = 0;
  /** Sends a re-INVITE with our new offer `sdp` in an established dialog (hold, resume, new
   *  media); the outcome comes as ReinviteAnswered. Any thread (posted). */
  virtual void reinvite(DialogId dialog, std::string sdp) = 0;
  /** Answers a ReinviteReceived: 200 with our answer `sdp`, or a status >= 400 (488 for an
   *  offer we cannot take). Any thread (posted). */
  virtual void answerReinvite(DialogId dialog, int status, std::string sdp) = 0;
  /** Reports a received REFER's progress to its sender by NOTIFY with a `message/sipfrag` body
   *  ("SIP/2.0 <status> <reason>"); a final status (>= 200) ends the implicit subscription.
   *  Any thread (posted). */
  virtual void notifyReferProgress(DialogId dialog, int status, std::string reason) = 0;

  /** @return every registered contact now (a snapshot). Any thread. */
  virtual std::vector<Registration> registrations() const = 0;
  /** @return where to send a call for `extension`: its registered contact URIs, newest first.
   *  Any thread (reads the snapshot). */
  virtual std::vector<std::string> contactsOf(std::string_view extension) const = 0;

  /** @return the stack's counters. Any thread. */
  virtual const SipCounters& counters() const = 0;
  /** @return the registrar's counters. Any thread. */
  virtual const RegistrarCounters& registrarCounters() const = 0;
};
using SipStackPtr = std::unique_ptr<SipStack>;

/**
 * Starts the SIP thread and binds the listeners; @return an error naming the bad setting
 * (`sip.listen` when a port is taken, `sip.tls.certificate_dir` when the certificate cannot be
 * loaded). `listener` and `time` outlive the stack.
 */
Result<SipStackPtr> startSipStack(const SipConfig& config, SipStackListener& listener,
                                  const TimeSource& time);

}  // namespace kefu::sip
