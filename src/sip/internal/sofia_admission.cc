// Overload admission of SofiaSipStack: a new INVITE is refused with 503 and Retry-After on the
// SIP thread, before call control hears of it, while the process is over its CPU budget, the
// overload signal says so, or too many INVITEs wait for call control's answer. Everything here
// runs on the SIP thread.

#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_tag.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>

#include "sip/internal/sofia_stack.h"

namespace kefu::sip::internal {

void SofiaSipStack::cpuTimer(su_root_magic_t* /*magic*/, su_timer_t* /*timer*/,
                             su_timer_arg_t* arg) {
  static_cast<SofiaSipStack*>(static_cast<void*>(arg))->onCpuTimer();
}

void SofiaSipStack::onCpuTimer() {
  const bool changed = cpu_meter_.add(readCpuSample());
  counters_.cpu_usage_permille = static_cast<uint64_t>(std::lround(cpu_meter_.usagePercent() * 10));
  if (changed) {
    // The refusals themselves are logged once per episode (refuseOverloaded); this is detail.
    spdlog::debug("sip: CPU {:.0f} % of the machine, {} the budget of {:.0f} %",
                  cpu_meter_.usagePercent(), cpu_meter_.overloaded() ? "above" : "back under",
                  config_.cpu_budget_percent);
  }
}

bool SofiaSipStack::refuseOverloaded(SofiaDialog& dialog) {
  const char* why = nullptr;
  if (cpu_meter_.overloaded()) {
    why = "over the CPU budget";
    ++counters_.invites_refused_cpu;
  } else if (config_.overload_signal && config_.overload_signal()) {
    why = "overload signalled";
    ++counters_.invites_refused_cpu;
  } else if (config_.max_pending_invites > 0 && pending_invites_ >= config_.max_pending_invites) {
    why = "too many INVITEs waiting for call control";
    ++counters_.invites_refused_backlog;
  }
  if (why == nullptr) {
    if (overload_episode_) {
      overload_episode_ = false;
      const auto lasted = std::chrono::duration_cast<std::chrono::milliseconds>(
          time_.monotonicTime() - episode_started_);
      spdlog::info("sip: overload over after {} ms: {} new INVITE(s) were refused with 503",
                   lasted.count(), episode_refused_);
    }
    return false;
  }
  if (!overload_episode_) {
    // Once per episode, not once per INVITE: a flood would otherwise flood the log too.
    overload_episode_ = true;
    episode_refused_ = 0;
    episode_started_ = time_.monotonicTime();
    spdlog::warn(
        "sip: overloaded ({}; CPU {:.0f} % of {} cores, {} INVITEs waiting): new INVITEs get "
        "503 Retry-After {} until it passes",
        why, cpu_meter_.usagePercent(), availableCores(), pending_invites_, retry_after_);
  }
  ++episode_refused_;
  dialog.final_sent = true;
  dialog.final_status = 503;
  nua_respond(dialog.nh, 503, "Service Unavailable", NUTAG_WITH_THIS(nua_),
              SIPTAG_RETRY_AFTER_STR(retry_after_.c_str()), TAG_END());
  countResponse(503);
  return true;
}

void SofiaSipStack::handedToCallControl(SofiaDialog& dialog) {
  dialog.reported = true;
  dialog.awaiting_decision = true;
  ++pending_invites_;
  counters_.invites_pending = pending_invites_;
}

void SofiaSipStack::decided(SofiaDialog& dialog) {
  if (!dialog.awaiting_decision) {
    return;
  }
  dialog.awaiting_decision = false;
  --pending_invites_;
  counters_.invites_pending = pending_invites_;
}

}  // namespace kefu::sip::internal
