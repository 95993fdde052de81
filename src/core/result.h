#pragma once

#include <optional>
#include <utility>
#include <variant>

#include "core/assert.h"
#include "core/error.h"

namespace kefu {

/** A value or an Error: what anything that can fail because of input, storage or a peer returns. */
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value)
      : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    KEFU_ASSERT(ok());
    return std::get<0>(state_);
  }
  const T& value() const& {
    KEFU_ASSERT(ok());
    return std::get<0>(state_);
  }
  T&& value() && {
    KEFU_ASSERT(ok());
    return std::get<0>(std::move(state_));
  }
  const Error& error() const {
    KEFU_ASSERT(!ok());
    return std::get<1>(state_);
  }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const {
    KEFU_ASSERT(!ok());
    return *error_;
  }

 private:
  std::optional<Error> error_;
};

}  // namespace kefu

/** Returns the error of `expr` (a Result) from the enclosing function when it failed. */
#define KEFU_TRY(expr)                 \
  do {                                 \
    auto kefu_try_result_ = (expr);    \
    if (!kefu_try_result_.ok()) {      \
      return kefu_try_result_.error(); \
    }                                  \
  } while (false)
