#include "media/internal/conference.h"

#include <algorithm>

#include "media/internal/leg.h"

namespace kefu::media {

Mixer::ParticipantId Conference::participantOf(const Leg* leg) const {
  for (const Member& member : members_) {
    if (member.leg == leg) {
      return member.participant;
    }
  }
  return 0;
}

void Conference::add(Leg& leg, Mixer::Role role, const Leg* whisper_target) {
  Mixer::ParticipantId target = participantOf(whisper_target);
  if (Mixer::ParticipantId existing = participantOf(&leg); existing != 0) {
    mixer_.setRole(existing, role, target);
    return;
  }
  Mixer::ParticipantId participant = next_participant_++;
  mixer_.add(participant, role, target);
  members_.push_back({&leg, participant});
  leg.setConference(this);
}

void Conference::remove(Leg& leg) {
  auto it = std::find_if(members_.begin(), members_.end(),
                         [&](const Member& member) { return member.leg == &leg; });
  if (it == members_.end()) {
    return;
  }
  mixer_.remove(it->participant);
  members_.erase(it);
  leg.setConference(nullptr);
}

void Conference::setMuted(const Leg& leg, bool muted) {
  if (Mixer::ParticipantId participant = participantOf(&leg); participant != 0) {
    mixer_.setMuted(participant, muted);
  }
}

void Conference::mix() {
  for (const Member& member : members_) {
    mixer_.input(member.participant) = member.leg->receivedAudio();
  }
  mixer_.mix();
}

const AudioFrame& Conference::outputFor(const Leg& leg) const {
  return mixer_.output(participantOf(&leg));
}

}  // namespace kefu::media
