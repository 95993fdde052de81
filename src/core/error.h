#pragma once

#include <string>
#include <string_view>

namespace kefu {

/** What went wrong, in words every protocol boundary can map to its own status codes. */
enum class ErrorCode {
  InvalidArgument,  // the caller sent something wrong; `field` names it when there is one
  NotFound,
  AlreadyExists,  // a unique name or number is taken
  Conflict,       // the change contradicts stored state (e.g. deleting a skill still in use)
  Unauthenticated,
  PermissionDenied,
  Unavailable,  // a dependency (database, peer) cannot be reached now
  Internal,
};

std::string_view toString(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::Internal;
  std::string message;
  std::string field;  // the offending input field (`skills[2].level`), empty when none

  static Error invalid(std::string field, std::string message) {
    return {ErrorCode::InvalidArgument, std::move(message), std::move(field)};
  }
  static Error notFound(std::string message) {
    return {ErrorCode::NotFound, std::move(message), {}};
  }
  static Error internal(std::string message) {
    return {ErrorCode::Internal, std::move(message), {}};
  }
};

}  // namespace kefu
