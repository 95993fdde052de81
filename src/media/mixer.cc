#include "media/mixer.h"

#include <algorithm>

#include "core/assert.h"

namespace kefu::media {
namespace {

int16_t saturate(int32_t value) {
  return static_cast<int16_t>(std::clamp<int32_t>(value, INT16_MIN, INT16_MAX));
}

}  // namespace

Mixer::Participant* Mixer::find(ParticipantId id) {
  for (auto& participant : participants_) {
    if (participant->id == id) {
      return participant.get();
    }
  }
  return nullptr;
}

const Mixer::Participant* Mixer::find(ParticipantId id) const {
  for (const auto& participant : participants_) {
    if (participant->id == id) {
      return participant.get();
    }
  }
  return nullptr;
}

bool Mixer::contains(ParticipantId id) const { return find(id) != nullptr; }

void Mixer::add(ParticipantId id, Role role, ParticipantId whisper_target) {
  if (Participant* existing = find(id)) {
    existing->role = role;
    existing->whisper_target = whisper_target;
  } else {
    auto participant = std::make_unique<Participant>();
    participant->id = id;
    participant->role = role;
    participant->whisper_target = whisper_target;
    participants_.push_back(std::move(participant));
  }
  resolveTargets();
}

void Mixer::remove(ParticipantId id) {
  std::erase_if(participants_, [id](const auto& participant) { return participant->id == id; });
  resolveTargets();
}

void Mixer::setRole(ParticipantId id, Role role, ParticipantId whisper_target) {
  Participant* participant = find(id);
  if (participant == nullptr) {
    KEFU_BUG("Mixer::setRole for a participant that is not in the mix");
    return;
  }
  participant->role = role;
  participant->whisper_target = whisper_target;
  resolveTargets();
}

void Mixer::setMuted(ParticipantId id, bool muted) {
  if (Participant* participant = find(id)) {
    participant->muted = muted;
  } else {
    KEFU_BUG("Mixer::setMuted for a participant that is not in the mix");
  }
}

void Mixer::resolveTargets() {
  // Resolving whisper targets here keeps mix() free of lookups: it stays O(N).
  whisper_targets_.assign(participants_.size(), nullptr);
  for (std::size_t i = 0; i < participants_.size(); ++i) {
    const Participant& participant = *participants_[i];
    if (participant.role == Role::Whisperer && participant.whisper_target != participant.id) {
      whisper_targets_[i] = find(participant.whisper_target);
    }
  }
}

AudioFrame& Mixer::input(ParticipantId id) {
  Participant* participant = find(id);
  KEFU_ASSERT(participant != nullptr);
  return participant->input;
}

const AudioFrame& Mixer::output(ParticipantId id) const {
  const Participant* participant = find(id);
  KEFU_ASSERT(participant != nullptr);
  return participant->output;
}

void Mixer::mix() {
  total_.fill(0);
  for (std::size_t i = 0; i < participants_.size(); ++i) {
    Participant& participant = *participants_[i];
    if (participant.muted) {
      continue;
    }
    if (participant.role == Role::Speaker) {
      for (std::size_t s = 0; s < FrameSamples; ++s) {
        total_[s] += participant.input.samples[s];
      }
    } else if (participant.role == Role::Whisperer && whisper_targets_[i] != nullptr) {
      Participant& target = *whisper_targets_[i];
      if (!target.has_whispers) {
        target.whispers.fill(0);
        target.has_whispers = true;
      }
      for (std::size_t s = 0; s < FrameSamples; ++s) {
        target.whispers[s] += participant.input.samples[s];
      }
    }
  }
  for (auto& entry : participants_) {
    Participant& participant = *entry;
    const bool heard = participant.role == Role::Speaker && !participant.muted;
    for (std::size_t s = 0; s < FrameSamples; ++s) {
      int32_t value = total_[s];
      if (heard) {
        value -= participant.input.samples[s];
      }
      if (participant.has_whispers) {
        value += participant.whispers[s];
      }
      participant.output.samples[s] = saturate(value);
    }
    participant.has_whispers = false;
  }
  for (auto& entry : participants_) {
    entry->input.samples.fill(0);
  }
}

}  // namespace kefu::media
