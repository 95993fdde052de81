#include "ivr/tts.h"

namespace kefu::ivr {

CachedSynthesizer::CachedSynthesizer(SpeechSynthesizer& engine, std::size_t capacity)
    : engine_(engine), capacity_(capacity == 0 ? 1 : capacity) {}

Result<SpeechAudioPtr> CachedSynthesizer::synthesize(const std::string& text,
                                                     const std::string& voice) {
  Key key{voice, text};
  {
    std::lock_guard lock(mutex_);
    if (auto it = entries_.find(key); it != entries_.end()) {
      recent_.splice(recent_.begin(), recent_, it->second.second);
      ++hits_;
      return it->second.first;
    }
    ++misses_;
  }
  // Rendering happens outside the lock so that cached prompts stay instant meanwhile.
  auto rendered = engine_.synthesize(text, voice);
  if (!rendered.ok()) {
    return rendered;  // failures are not cached: the next call tries again
  }
  std::lock_guard lock(mutex_);
  if (auto it = entries_.find(key); it != entries_.end()) {
    return it->second.first;  // another thread rendered it meanwhile
  }
  recent_.push_front(key);
  entries_.emplace(key, std::pair{*rendered, recent_.begin()});
  while (entries_.size() > capacity_) {
    entries_.erase(recent_.back());
    recent_.pop_back();
  }
  return rendered;
}

std::uint64_t CachedSynthesizer::hits() const {
  std::lock_guard lock(mutex_);
  return hits_;
}

std::uint64_t CachedSynthesizer::misses() const {
  std::lock_guard lock(mutex_);
  return misses_;
}

}  // namespace kefu::ivr
