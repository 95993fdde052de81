#pragma once

#include <sofia-sip/nua.h>
#include <sofia-sip/su_wait.h>

#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "sip/cpu_meter.h"
#include "sip/sip_stack.h"

namespace kefu::sip::internal {

/** What the SIP thread knows of one dialog (an INVITE usage of a nua handle). */
struct SofiaDialog {
  nua_handle_t* nh = nullptr;
  bool outgoing = false;
  bool final_sent = false;      // incoming: our final response to the INVITE went out
  bool final_received = false;  // outgoing: the INVITE's final response came in
  bool established = false;     // a 2xx was sent or received
  bool hangup_requested = false;
  bool provisional_received = false;  // outgoing: a 1xx came, so CANCEL can go out
  bool acked = false;                 // incoming: the ACK of our 2xx came
  bool auth_tried = false;            // outgoing: a 401/407 was answered once
  bool reinvite_out = false;          // our re-INVITE waits for its final response
  bool reinvite_in = false;           // the peer's re-INVITE or UPDATE waits for answerReinvite()
  msg_t* reinvite_request = nullptr;  // that request (a reference we own), for NUTAG_WITH
  int final_status = 0;               // the status that ended or answered the INVITE
  bool reported = false;              // call control knows it (its INVITE reached the listener,
                                      // or it is ours); others end without events
  bool awaiting_decision = false;     // incoming: call control has not answered it yet
  std::string auth_user;
  std::string auth_password;
  std::string refer_event;  // the Event header for NOTIFYs about the last REFER ("refer;id=5")
};

/**
 * The SipStack on sofia-sip. The SIP thread (started by start()) owns the su_root, the nua, the
 * registrar's bindings and the dialog table; everything in the "SIP thread" group below is touched
 * only there. Other threads reach it through post(), which queues a command and signals an eventfd
 * that the su_root watches: an eventfd rather than su_msg because it needs no sofia task on the
 * posting thread (call control and the API threads are not sofia threads), and the queue is ours
 * to bound and drain in order.
 */
class SofiaSipStack final : public SipStack {
 public:
  SofiaSipStack(SipConfig config, SipStackListener& listener, const TimeSource& time);
  ~SofiaSipStack() override;

  /** Starts the SIP thread; @return an error naming the bad setting. Called once, by the owner. */
  Result<void> start();

  void setCredentials(CredentialMapPtr credentials) override;
  void setCallListener(SipCallListener* listener) override;
  void answerInvite(DialogId dialog, int status, std::string reason, std::string sdp) override;
  void rejectInvite(DialogId dialog, int status, std::string reason, int retry_after_s) override;
  void challengeInvite(DialogId dialog, std::string proxy_authenticate) override;
  void hangUp(DialogId dialog) override;
  DialogId invite(OutgoingInvite invite) override;
  void reinvite(DialogId dialog, std::string sdp) override;
  void answerReinvite(DialogId dialog, int status, std::string sdp) override;
  void notifyReferProgress(DialogId dialog, int status, std::string reason) override;
  std::vector<Registration> registrations() const override;
  std::vector<std::string> contactsOf(std::string_view extension) const override;
  const SipCounters& counters() const override { return counters_; }
  const RegistrarCounters& registrarCounters() const override { return registrar_.counters(); }

 private:
  using Command = std::function<void()>;

  void post(Command command);
  void run(std::promise<Result<void>>& started);
  Result<void> createNua();
  void drainCommands();
  void onExpiryTimer();
  void onNuaEvent(nua_event_t event, int status, const char* phrase, nua_handle_t* nh,
                  const sip_t* sip, tagi_t tags[]);
  void onRegister(nua_handle_t* nh, const sip_t* sip);
  void onOptions(nua_handle_t* nh, const sip_t* sip);
  void onOtherRequest(nua_event_t event, nua_handle_t* nh, const sip_t* sip);
  bool refuseBadRequest(nua_handle_t* nh, const sip_t* sip, bool destroy_handle);
  void countResponse(int status);
  const char* stablePhrase(int status, const std::string& reason);
  void countRequest(nua_event_t event);
  std::string sourceOfCurrentRequest();

  // Overload (sofia_admission.cc), SIP thread.
  void onCpuTimer();
  bool refuseOverloaded(SofiaDialog& dialog);
  void handedToCallControl(SofiaDialog& dialog);
  void decided(SofiaDialog& dialog);
  static void cpuTimer(su_root_magic_t* magic, su_timer_t* timer, su_timer_arg_t* arg);

  // Dialogs (sofia_dialogs.cc), SIP thread.
  using Dialog = SofiaDialog;
  Dialog* findDialog(DialogId id);
  Dialog* dialogOf(nua_handle_t* nh);
  DialogId addDialog(DialogId id, nua_handle_t* nh, bool outgoing);
  void onInvite(int status, nua_handle_t* nh, const sip_t* sip);
  void onReinvite(Dialog& dialog, const sip_t* sip, bool update);
  void onInviteResponse(int status, const char* phrase, nua_handle_t* nh, const sip_t* sip);
  void onRefer(nua_handle_t* nh, const sip_t* sip, tagi_t tags[]);
  void onInfo(nua_handle_t* nh, const sip_t* sip);
  void onAck(nua_handle_t* nh, const sip_t* sip);
  void onCallState(nua_handle_t* nh, tagi_t tags[]);
  void startInvite(DialogId id, const OutgoingInvite& invite);
  void releaseDialog(DialogId id, int status, std::string reason, bool destroy_handle = true);
  void emit(const DialogEvent& event);
  void dialogEvent(nua_handle_t* nh, DialogEvent::Kind kind, int status, std::string reason);

  static void nuaCallback(nua_event_t event, int status, char const* phrase, nua_t* nua,
                          nua_magic_t* magic, nua_handle_t* nh, nua_hmagic_t* hmagic,
                          sip_t const* sip, tagi_t tags[]);
  static int wakeup(su_root_magic_t* magic, su_wait_t* wait, su_wakeup_arg_t* arg);
  static void expiryTimer(su_root_magic_t* magic, su_timer_t* timer, su_timer_arg_t* arg);

  // Not owned, outlive this.
  SipStackListener& listener_;
  const TimeSource& time_;
  std::atomic<SipCallListener*> call_listener_{nullptr};

  // Owned.
  const SipConfig config_;
  Registrar registrar_;
  SipCounters counters_;
  int event_fd_ = -1;
  std::mutex commands_mutex_;
  std::vector<Command> commands_;
  bool stopping_ = false;  // guarded by commands_mutex_
  std::thread thread_;

  // SIP thread.
  su_root_t* root_ = nullptr;
  nua_t* nua_ = nullptr;
  su_timer_t* expiry_timer_ = nullptr;
  su_timer_t* cpu_timer_ = nullptr;
  CpuMeter cpu_meter_;
  std::size_t pending_invites_ = 0;  // dialogs with awaiting_decision
  bool overload_episode_ = false;    // refusing since the last INVITE admitted
  uint64_t episode_refused_ = 0;
  MonotonicTime episode_started_;
  const std::string retry_after_;
  su_wait_t wait_{};
  int wait_index_ = -1;
  std::atomic<DialogId> next_dialog_{1};  // shared by incoming and outgoing dialogs (any thread)
  std::map<DialogId, Dialog> dialogs_;
  std::map<nua_handle_t*, DialogId> dialog_of_handle_;
  // Handles of outgoing INVITEs hung up before any response: call control has heard Terminated,
  // nua still owes the CANCEL (RFC 3261 9.1 waits for a provisional) or the timeout.
  std::set<nua_handle_t*> detached_;
  // nua_respond() copies its tags but keeps the phrase pointer until sofia's stack thread sends
  // the response, so every phrase we pass lives here (bounded) for the stack's lifetime.
  std::set<std::string, std::less<>> phrases_;
};

}  // namespace kefu::sip::internal
