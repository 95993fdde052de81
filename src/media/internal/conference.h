#pragma once

#include <cstdint>
#include <vector>

#include "media/engine.h"
#include "media/mixer.h"

namespace kefu::media {

class Leg;

/** An N-party conference on one media thread: its mixer and its member legs. */
class Conference {
 public:
  explicit Conference(ConferenceId id) : id_(id) {}

  ConferenceId id() const { return id_; }
  bool empty() const { return members_.empty(); }

  void add(Leg& leg, Mixer::Role role, const Leg* whisper_target);
  void remove(Leg& leg);
  void setMuted(const Leg& leg, bool muted);
  /** Mixes one tick from the members' received audio (after their tickReceive). */
  void mix();
  /** @return what `leg` hears this tick. */
  const AudioFrame& outputFor(const Leg& leg) const;

 private:
  struct Member {
    Leg* leg;
    Mixer::ParticipantId participant;
  };
  Mixer::ParticipantId participantOf(const Leg* leg) const;

  ConferenceId id_;
  Mixer mixer_;
  std::vector<Member> members_;
  Mixer::ParticipantId next_participant_ = 1;
};

}  // namespace kefu::media
