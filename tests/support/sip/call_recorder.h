#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "sip/sip_stack.h"

namespace kefu::sip::testing {

/**
 * A SipCallListener that keeps every INVITE and dialog event the SIP thread reports, for the test
 * thread to wait on. An optional hook runs on the SIP thread for each new INVITE (to answer it
 * through the stack's posted commands). Test-only.
 */
class CallRecorder : public SipCallListener {
 public:
  using InviteHook = std::function<void(const IncomingInvite&)>;

  /** Sets what runs on the SIP thread for each new INVITE; call before the stack reports any. */
  void onInvite(InviteHook hook) { hook_ = std::move(hook); }

  void onIncomingInvite(const IncomingInvite& invite) override;
  void onDialogEvent(const DialogEvent& event) override;

  /** @return the first INVITE, or nullopt after `timeout`. */
  std::optional<IncomingInvite> waitInvite(std::chrono::milliseconds timeout);
  /** @return the first event of `kind` for `dialog` (0: any dialog), or nullopt after
   *  `timeout`. */
  std::optional<DialogEvent> waitEvent(DialogEvent::Kind kind, DialogId dialog,
                                       std::chrono::milliseconds timeout);
  /** @return how many events of `kind` arrived so far. */
  std::size_t count(DialogEvent::Kind kind);
  /** @return every event so far, in order. */
  std::vector<DialogEvent> events();

 private:
  InviteHook hook_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<IncomingInvite> invites_;
  std::vector<DialogEvent> events_;
};

}  // namespace kefu::sip::testing
