#pragma once

#include <string_view>
#include <vector>

#include "core/result.h"

namespace kefu {

/**
 * Stored entities of one type, by id. Domains alias it for their entities
 * (`using SkillRepository = Repository<Skill>`); `store/` implements it per backend. Every call
 * blocks on storage: call it from the blocking pool, never from an event loop. Thread-safe.
 */
template <class T>
class Repository {
 public:
  virtual ~Repository() = default;
  /** Stores a new entity; AlreadyExists when a unique field is taken, InvalidArgument when a
   * reference is unknown. */
  virtual Result<void> create(const T& entity) = 0;
  /** @return the entity, or NotFound. */
  virtual Result<T> get(std::string_view id) = 0;
  /** @return every entity, oldest first. */
  virtual Result<std::vector<T>> list() = 0;
  /** Replaces the stored entity with the same id (created_at is kept); NotFound when absent. */
  virtual Result<void> update(const T& entity) = 0;
  /** Deletes it; NotFound when absent, Conflict when other entities still refer to it. */
  virtual Result<void> remove(std::string_view id) = 0;
};

}  // namespace kefu
