#pragma once

#include <filesystem>
#include <string_view>

#include "core/result.h"

namespace kefu::stats {

/** This process's resource use, as the standard Prometheus `process_*` metrics report it. */
struct ProcessFigures {
  double cpu_seconds = 0;  // user + system
  double resident_bytes = 0;
  double virtual_bytes = 0;
  double open_fds = 0;
  double max_fds = 0;             // the soft limit; +Inf when unlimited
  double start_time_seconds = 0;  // since the Unix epoch
  double threads = 0;
};

/**
 * Reads the figures of the calling process from `proc` (Linux's /proc: self/stat, self/fd,
 * self/limits and stat). @return an error naming the file that could not be read or parsed.
 * Any thread; costs a few system calls.
 */
[[nodiscard]] Result<ProcessFigures> readProcessFigures(
    const std::filesystem::path& proc = "/proc");

/** The fields of /proc/<pid>/stat that ProcessFigures uses, in clock ticks and pages. */
struct ProcStat {
  double utime_ticks = 0;
  double stime_ticks = 0;
  double threads = 0;
  double start_ticks = 0;  // since boot
  double virtual_bytes = 0;
  double resident_pages = 0;
};

/** @return the fields of a /proc/<pid>/stat line, or an error when it is malformed. */
[[nodiscard]] Result<ProcStat> parseProcStat(std::string_view text);

}  // namespace kefu::stats
