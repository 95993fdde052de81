#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "media/audio.h"

namespace kefu::media {

/**
 * N-party conference mixing at the internal rate, with whisper and barge. Lives on one media
 * thread. add() and remove() may allocate; input(), mix() and output() do not. mix() is O(N): the
 * sum of every audible speaker, minus each participant's own contribution, plus the whispers aimed
 * at it, saturated from int32.
 */
class Mixer {
 public:
  using ParticipantId = uint32_t;
  enum class Role {
    Speaker,    // hears everyone, heard by everyone (normal party; a barging supervisor)
    Listener,   // hears everyone, heard by nobody (silent monitoring)
    Whisperer,  // hears everyone, heard only by its whisper target (coaching the agent)
  };

  /** Adds a participant (replacing its role if it is already there). */
  void add(ParticipantId id, Role role, ParticipantId whisper_target = 0);
  /** Removes a participant; whisperers aimed at it are then heard by nobody. */
  void remove(ParticipantId id);
  /** Changes a participant's role (e.g. a monitoring supervisor starts whispering, then barges). */
  void setRole(ParticipantId id, Role role, ParticipantId whisper_target = 0);
  /** A muted party is heard by nobody; it still hears. */
  void setMuted(ParticipantId id, bool muted);
  /** The frame `id` contributes this tick (write into it before mix(); silence when it sent none).
   */
  AudioFrame& input(ParticipantId id);
  /** Mixes one tick: each participant's output is the saturated sum of every input it may hear,
   *  never its own. Clears the inputs afterwards. */
  void mix();
  /** @return what `id` hears this tick (valid until the next mix()). */
  const AudioFrame& output(ParticipantId id) const;
  /** @return the number of participants. */
  std::size_t size() const { return participants_.size(); }
  /** @return true when `id` takes part. */
  bool contains(ParticipantId id) const;

 private:
  struct Participant {
    ParticipantId id = 0;
    Role role = Role::Speaker;
    ParticipantId whisper_target = 0;
    bool muted = false;
    AudioFrame input;
    AudioFrame output;
    std::array<int32_t, FrameSamples> whispers{};  // whispers aimed at this participant
    bool has_whispers = false;
  };

  Participant* find(ParticipantId id);
  const Participant* find(ParticipantId id) const;
  void resolveTargets();

  // Participants are held by pointer so the frames input() hands out stay put as others join.
  std::vector<std::unique_ptr<Participant>> participants_;
  std::vector<Participant*> whisper_targets_;  // per participant, resolved on add/remove/setRole
  std::array<int32_t, FrameSamples> total_{};
};

}  // namespace kefu::media
