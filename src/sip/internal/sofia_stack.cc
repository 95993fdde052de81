#include "sip/internal/sofia_stack.h"

#include <netdb.h>
#include <sofia-sip/msg.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/tport_tag.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "sip/internal/sofia_message.h"

namespace kefu::sip::internal {
namespace {

constexpr const char* Allow =
    "INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER, PRACK, UPDATE, REFER, INFO, NOTIFY";
// Session timers (RFC 4028): what we ask for on our INVITEs and the smallest interval we accept;
// nua refreshes or sends BYE when the session expires, whoever the refresher is.
constexpr unsigned SessionExpiresS = 1800;
constexpr unsigned MinSessionExpiresS = 90;
constexpr su_duration_t ExpiryTickMs = 1000;
constexpr su_duration_t CpuSampleMs = 250;

bool isSipUri(const url_t* url) {
  return url != nullptr && (url->url_type == url_sip || url->url_type == url_sips);
}

std::string listenUrl(const char* scheme, const SipListen& listen, const char* transport) {
  std::string host = listen.host;
  if (host.find(':') != std::string::npos && host.front() != '[') {
    host = "[" + host + "]";  // an IPv6 address
  }
  std::string url = std::string(scheme) + ":" + host + ":" + std::to_string(listen.port);
  if (transport != nullptr) {
    url += std::string(";transport=") + transport;
  }
  return url;
}

}  // namespace

SofiaSipStack::SofiaSipStack(SipConfig config, SipStackListener& listener, const TimeSource& time)
    : listener_(listener),
      time_(time),
      config_(std::move(config)),
      registrar_(config_.registrar, time, randomBytes(32)),
      cpu_meter_(
          CpuMeterConfig{.budget_percent = config_.cpu_budget_percent, .cores = availableCores()}),
      retry_after_(std::to_string(std::max(1, config_.overload_retry_after_s))) {}

SofiaSipStack::~SofiaSipStack() {
  if (thread_.joinable()) {
    post([this] {
      if (nua_ != nullptr) {
        nua_shutdown(nua_);  // nua_r_shutdown breaks the root when it completes
      } else {
        su_root_break(root_);
      }
    });
    thread_.join();
  }
  if (event_fd_ >= 0) {
    ::close(event_fd_);
  }
}

Result<void> SofiaSipStack::start() {
  event_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (event_fd_ < 0) {
    return Error::internal(std::string("eventfd: ") + std::strerror(errno));
  }
  std::promise<Result<void>> started;
  auto result = started.get_future();
  thread_ = std::thread([this, &started] { run(started); });
  Result<void> outcome = result.get();
  if (!outcome.ok()) {
    thread_.join();
  }
  return outcome;
}

void SofiaSipStack::run(std::promise<Result<void>>& started) {
  su_init();
  root_ = su_root_create(nullptr);
  if (root_ == nullptr) {
    su_deinit();
    started.set_value(Error::internal("su_root_create failed"));
    return;
  }
  Result<void> created = createNua();
  if (!created.ok()) {
    su_root_destroy(root_);
    root_ = nullptr;
    su_deinit();
    started.set_value(created);
    return;
  }
  su_wait_create(&wait_, event_fd_, SU_WAIT_IN);
  wait_index_ = su_root_register(root_, &wait_, &SofiaSipStack::wakeup, this, 0);
  expiry_timer_ = su_timer_create(su_root_task(root_), ExpiryTickMs);
  su_timer_set_for_ever(expiry_timer_, &SofiaSipStack::expiryTimer, this);
  // The CPU is sampled on this thread: under a flood it is the busy one, and its timers still
  // run between messages.
  cpu_meter_.add(readCpuSample());
  cpu_timer_ = su_timer_create(su_root_task(root_), CpuSampleMs);
  su_timer_set_for_ever(cpu_timer_, &SofiaSipStack::cpuTimer, this);
  started.set_value(Result<void>{});  // `started` is gone after this line

  su_root_run(root_);

  su_timer_destroy(expiry_timer_);
  su_timer_destroy(cpu_timer_);
  su_root_deregister(root_, wait_index_);
  for (auto& [id, dialog] : dialogs_) {
    if (dialog.reinvite_request != nullptr) {
      msg_destroy(dialog.reinvite_request);
    }
    nua_handle_destroy(dialog.nh);
  }
  dialogs_.clear();
  for (nua_handle_t* nh : detached_) {
    nua_handle_destroy(nh);
  }
  detached_.clear();
  dialog_of_handle_.clear();
  counters_.dialogs_active = 0;
  nua_destroy(nua_);
  nua_ = nullptr;
  su_root_destroy(root_);
  root_ = nullptr;
  su_deinit();
}

Result<void> SofiaSipStack::createNua() {
  if (!config_.udp && !config_.tcp && config_.tls.host.empty()) {
    return Error::invalid("sip.listen", "no SIP transport is enabled");
  }
  const char* transport = nullptr;
  if (config_.udp && !config_.tcp) {
    transport = "udp";
  } else if (config_.tcp && !config_.udp) {
    transport = "tcp";
  }
  std::string sip_url = listenUrl("sip", config_.sip, transport);
  if (!config_.advertised_host.empty()) {
    // sofia binds to `maddr` and writes the URL's host in Via and Contact.
    sip_url = listenUrl("sip", SipListen{config_.advertised_host, config_.sip.port}, transport) +
              ";maddr=" + config_.sip.host;
  }
  const bool tls = !config_.tls.host.empty();
  const std::string sips_url = tls ? listenUrl("sips", config_.tls, nullptr) : std::string();
  if (tls) {
    // sofia only logs a bad certificate and carries on without TLS, so check it here.
    const std::string agent = config_.tls_certificate_dir + "/agent.pem";
    if (::access(agent.c_str(), R_OK) != 0) {
      return Error::invalid("sip.tls.certificate_dir", "cannot read " + agent);
    }
  }
  const bool plain = config_.udp || config_.tcp;
  nua_ = nua_create(
      root_, &SofiaSipStack::nuaCallback, reinterpret_cast<nua_magic_t*>(this),
      TAG_IF(plain, NUTAG_URL(sip_url.c_str())), TAG_IF(tls, NUTAG_SIPS_URL(sips_url.c_str())),
      TAG_IF(tls, TPTAG_CERTIFICATE(config_.tls_certificate_dir.c_str())),
      NUTAG_USER_AGENT(config_.user_agent.c_str()), NUTAG_ALLOW("REGISTER"),
      NUTAG_APPL_METHOD("REGISTER"), NUTAG_APPL_METHOD("OPTIONS"),
      // An UPDATE's offer needs call control's answer: nua alone would send 200 without SDP.
      NUTAG_APPL_METHOD("UPDATE"), NUTAG_MEDIA_ENABLE(0), NUTAG_AUTOANSWER(0), NUTAG_AUTOALERT(0),
      NUTAG_AUTOACK(1),
      // Reliable provisional responses (RFC 3262) when the caller supports them, and session
      // timers (RFC 4028) when the peer asks; nua answers PRACK and refreshes the session itself.
      NUTAG_SUPPORTED("timer, 100rel, replaces"), NUTAG_SESSION_TIMER(SessionExpiresS),
      NUTAG_MIN_SE(MinSessionExpiresS), NUTAG_SESSION_REFRESHER(nua_any_refresher),
      NUTAG_UPDATE_REFRESH(0),
      // Answer to the source port even without rport: phones behind NAT and test tools that
      // put an unreachable sent-by in Via still get their responses.
      NTATAG_SERVER_RPORT(2), NTATAG_MAXSIZE(config_.max_message_size), TAG_END());
  if (nua_ == nullptr) {
    std::string where = plain ? sip_url : std::string();
    if (tls) {
      where += (where.empty() ? "" : " or ") + sips_url;
    }
    return Error::invalid(plain ? "sip.listen" : "sip.tls.listen",
                          "cannot listen on " + where + " (address in use or not local?)");
  }
  nua_set_params(nua_, SIPTAG_ALLOW_STR(Allow), SIPTAG_ACCEPT_STR("application/sdp"), TAG_END());
  return {};
}

void SofiaSipStack::post(Command command) {
  {
    const std::lock_guard lock(commands_mutex_);
    commands_.push_back(std::move(command));
  }
  const uint64_t one = 1;
  if (::write(event_fd_, &one, sizeof one) != sizeof one) {
    // The counter is full only after 2^64 - 1 unread posts; the pending wakeup drains them all.
  }
}

int SofiaSipStack::wakeup(su_root_magic_t* /*magic*/, su_wait_t* /*wait*/, su_wakeup_arg_t* arg) {
  static_cast<SofiaSipStack*>(static_cast<void*>(arg))->drainCommands();
  return 0;
}

void SofiaSipStack::drainCommands() {
  uint64_t count = 0;
  if (::read(event_fd_, &count, sizeof count) < 0) {
    // EAGAIN: another wakeup already drained the counter; the queue is still checked below.
  }
  std::vector<Command> batch;
  {
    const std::lock_guard lock(commands_mutex_);
    batch.swap(commands_);
  }
  for (auto& command : batch) {
    command();
  }
}

void SofiaSipStack::expiryTimer(su_root_magic_t* /*magic*/, su_timer_t* /*timer*/,
                                su_timer_arg_t* arg) {
  static_cast<SofiaSipStack*>(static_cast<void*>(arg))->onExpiryTimer();
}

void SofiaSipStack::onExpiryTimer() {
  for (const auto& change : registrar_.expire()) {
    listener_.onRegistration(change);
  }
}

void SofiaSipStack::setCredentials(CredentialMapPtr credentials) {
  registrar_.setCredentials(std::move(credentials));
}

void SofiaSipStack::setCallListener(SipCallListener* listener) { call_listener_ = listener; }

std::vector<Registration> SofiaSipStack::registrations() const {
  return registrar_.registrations();
}

std::vector<std::string> SofiaSipStack::contactsOf(std::string_view extension) const {
  std::vector<Registration> mine;
  for (auto& r : registrar_.registrations()) {
    if (r.extension == extension) {
      mine.push_back(std::move(r));
    }
  }
  std::stable_sort(mine.begin(), mine.end(), [](const Registration& a, const Registration& b) {
    return a.registered_at > b.registered_at;
  });
  std::vector<std::string> out;
  for (auto& r : mine) {
    out.push_back(std::move(r.contact));
  }
  return out;
}

void SofiaSipStack::nuaCallback(nua_event_t event, int status, char const* phrase, nua_t* /*nua*/,
                                nua_magic_t* magic, nua_handle_t* nh, nua_hmagic_t* /*hmagic*/,
                                sip_t const* sip, tagi_t tags[]) {
  static_cast<SofiaSipStack*>(static_cast<void*>(magic))
      ->onNuaEvent(event, status, phrase, nh, sip, tags);
}

const char* SofiaSipStack::stablePhrase(int status, const std::string& reason) {
  constexpr std::size_t MaxPhrases = 256;
  const char* standard = sip_status_phrase(status);
  if (reason.empty() || (standard != nullptr && reason == standard)) {
    return standard != nullptr ? standard : "";
  }
  if (auto it = phrases_.find(reason); it != phrases_.end()) {
    return it->c_str();
  }
  if (phrases_.size() >= MaxPhrases) {
    return standard != nullptr ? standard : "";
  }
  return phrases_.insert(reason).first->c_str();
}

void SofiaSipStack::countRequest(nua_event_t event) {
  switch (event) {
    case nua_i_invite:
      ++counters_.requests_invite;
      break;
    case nua_i_register:
      ++counters_.requests_register;
      break;
    case nua_i_options:
      ++counters_.requests_options;
      break;
    default:
      ++counters_.requests_other;
      break;
  }
}

void SofiaSipStack::countResponse(int status) {
  if (status < 200) {
    ++counters_.responses_1xx;
  } else if (status < 300) {
    ++counters_.responses_2xx;
  } else if (status < 400) {
    ++counters_.responses_3xx;
  } else if (status < 500) {
    ++counters_.responses_4xx;
  } else if (status < 600) {
    ++counters_.responses_5xx;
  } else {
    ++counters_.responses_6xx;
  }
}

void SofiaSipStack::onNuaEvent(nua_event_t event, int status, const char* phrase, nua_handle_t* nh,
                               const sip_t* sip, tagi_t tags[]) {
  switch (event) {
    case nua_i_register:
      countRequest(event);
      onRegister(nh, sip);
      return;
    case nua_i_options:
      countRequest(event);
      onOptions(nh, sip);
      return;
    case nua_i_invite:
      countRequest(event);
      onInvite(status, nh, sip);
      return;
    case nua_i_cancel:
      dialogEvent(nh, DialogEvent::Kind::Cancelled, 487, "Request Terminated");
      return;
    case nua_i_ack:
      onAck(nh, sip);
      return;
    case nua_i_bye:
      countRequest(event);
      dialogEvent(nh, DialogEvent::Kind::ByeReceived, 0, {});
      return;
    case nua_r_invite:
      onInviteResponse(status, phrase, nh, sip);
      return;
    case nua_i_refer:
      countRequest(event);
      onRefer(nh, sip, tags);
      return;
    case nua_i_info:
      countRequest(event);
      onInfo(nh, sip);
      return;
    case nua_i_update:
      countRequest(event);
      if (Dialog* dialog = dialogOf(nh); dialog != nullptr && status < 200) {
        onReinvite(*dialog, sip, true);  // (nua may have refused it itself, e.g. 491 on glare)
      }
      return;
    case nua_r_notify:
    case nua_r_bye:
    case nua_r_cancel:
      if (status >= 300) {
        spdlog::debug("sip: {} answered {} {}", nua_event_name(event), status,
                      phrase != nullptr ? phrase : "");
      }
      return;
    case nua_i_state:
      onCallState(nh, tags);
      return;
    case nua_r_shutdown:
      if (status >= 200) {
        su_root_break(root_);
      }
      return;
    case nua_i_error:
      spdlog::debug("sip: nua error {} {}", status, phrase != nullptr ? phrase : "");
      return;
    case nua_i_message:
    case nua_i_method:
    case nua_i_subscribe:
    case nua_i_notify:
    case nua_i_publish:
    case nua_i_prack:
      countRequest(event);
      onOtherRequest(event, nh, sip);
      return;
    default:
      return;
  }
}

std::string SofiaSipStack::sourceOfCurrentRequest() {
  msg_t* msg = nua_current_request(nua_);
  if (msg == nullptr) {
    return {};
  }
  su_addrinfo_t* ai = msg_addrinfo(msg);
  if (ai == nullptr || ai->ai_addr == nullptr) {
    return {};
  }
  char host[NI_MAXHOST] = {};
  char port[NI_MAXSERV] = {};
  if (getnameinfo(ai->ai_addr, static_cast<socklen_t>(ai->ai_addrlen), host, sizeof host, port,
                  sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return {};
  }
  return std::string(host) + ":" + port;
}

// Answers 400 (or 416 for a Request-URI we cannot route) when the request cannot be acted on;
// @return true when it did.
bool SofiaSipStack::refuseBadRequest(nua_handle_t* nh, const sip_t* sip, bool destroy_handle) {
  int status = 0;
  std::string phrase;
  if (sip == nullptr || sip->sip_request == nullptr) {
    status = 400;
    phrase = "Bad Request";
  } else if (auto bad = badEssentialHeader(*sip)) {
    status = 400;
    phrase = "Bad " + *bad + " Header";
  } else if (sip->sip_cseq == nullptr || sip->sip_request->rq_method != sip->sip_cseq->cs_method ||
             (sip->sip_request->rq_method == sip_method_unknown &&
              std::strcmp(sip->sip_request->rq_method_name, sip->sip_cseq->cs_method_name) != 0)) {
    status = 400;
    phrase = "CSeq Method Does Not Match";
  } else if (!isSipUri(sip->sip_request->rq_url) && sip->sip_request->rq_url->url_type != url_tel) {
    status = 416;
    phrase = "Unsupported URI Scheme";
  }
  if (status == 0) {
    return false;
  }
  if (status == 400) {
    ++counters_.malformed;
  }
  nua_respond(nh, status, stablePhrase(status, phrase), NUTAG_WITH_THIS(nua_), TAG_END());
  countResponse(status);
  if (destroy_handle) {
    nua_handle_destroy(nh);
  }
  return true;
}

void SofiaSipStack::onRegister(nua_handle_t* nh, const sip_t* sip) {
  if (refuseBadRequest(nh, sip, true)) {
    return;
  }
  const RegisterRequest request = readRegister(*sip, sourceOfCurrentRequest(), viaTransport(*sip));
  std::vector<BindingChange> changes;
  const RegisterResponse answer = registrar_.handle(request, changes);
  if (answer.status == 400) {
    ++counters_.malformed;
  }
  std::string contacts;
  for (const auto& c : answer.contacts) {
    contacts += (contacts.empty() ? "" : ", ") + c;
  }
  const std::string min_expires =
      answer.min_expires ? std::to_string(*answer.min_expires) : std::string();
  nua_respond(nh, answer.status, stablePhrase(answer.status, answer.reason), NUTAG_WITH_THIS(nua_),
              TAG_IF(!answer.www_authenticate.empty(),
                     SIPTAG_WWW_AUTHENTICATE_STR(answer.www_authenticate.c_str())),
              TAG_IF(!contacts.empty(), SIPTAG_CONTACT_STR(contacts.c_str())),
              TAG_IF(!min_expires.empty(), SIPTAG_MIN_EXPIRES_STR(min_expires.c_str())), TAG_END());
  countResponse(answer.status);
  nua_handle_destroy(nh);
  for (const auto& change : changes) {
    listener_.onRegistration(change);
  }
}

void SofiaSipStack::onOptions(nua_handle_t* nh, const sip_t* sip) {
  if (refuseBadRequest(nh, sip, true)) {
    return;
  }
  nua_respond(nh, 200, "OK", NUTAG_WITH_THIS(nua_), SIPTAG_ALLOW_STR(Allow),
              SIPTAG_ACCEPT_STR("application/sdp"), TAG_END());
  countResponse(200);
  nua_handle_destroy(nh);
}

void SofiaSipStack::onOtherRequest(nua_event_t event, nua_handle_t* nh, const sip_t* sip) {
  // nua has answered these already (405 for methods we do not allow, 501 for unknown ones, 481
  // outside a dialog); a handle it created for a request outside a dialog is ours to release.
  (void)event;
  (void)sip;
  if (dialog_of_handle_.find(nh) == dialog_of_handle_.end()) {
    nua_handle_destroy(nh);
  }
}

}  // namespace kefu::sip::internal

namespace kefu::sip {

Result<SipStackPtr> startSipStack(const SipConfig& config, SipStackListener& listener,
                                  const TimeSource& time) {
  auto stack = std::make_unique<internal::SofiaSipStack>(config, listener, time);
  KEFU_TRY(stack->start());
  return SipStackPtr(std::move(stack));
}

}  // namespace kefu::sip
