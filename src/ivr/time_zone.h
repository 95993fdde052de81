#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/time_source.h"

namespace kefu::ivr {

/** A wall-clock reading in some time zone. */
struct LocalTime {
  int year = 1970;
  int month = 1;    // 1-12
  int day = 1;      // 1-31
  int weekday = 4;  // 0 = Sunday
  int minute_of_day = 0;
};

/** @return the civil time at `utc_offset_s` seconds east of UTC. */
LocalTime toLocal(SystemTime time, long utc_offset_s);

/** Turns a UTC instant into local time for a zone name; thread-safe. */
class TimeZones {
 public:
  virtual ~TimeZones() = default;
  /** @return the local time in `zone`, or nullopt when the zone is unknown. */
  virtual std::optional<LocalTime> localTime(const std::string& zone, SystemTime time) const = 0;
};

/**
 * Zones from the system's tz database (TZif files under /usr/share/zoneinfo, read once per zone
 * and cached), plus fixed offsets written `UTC`, `UTC+08:00` or `UTC-05:30`. Instants after a
 * zone's last listed transition keep that transition's offset.
 */
class SystemTimeZones final : public TimeZones {
 public:
  explicit SystemTimeZones(std::string directory = "/usr/share/zoneinfo");
  std::optional<LocalTime> localTime(const std::string& zone, SystemTime time) const override;

 private:
  struct Zone {
    std::vector<std::int64_t> transitions;  // UTC seconds
    std::vector<long> offsets;              // offset in force from each transition
    long initial_offset = 0;
  };
  std::optional<Zone> load(const std::string& zone) const;

  std::string directory_;
  mutable std::mutex mutex_;
  mutable std::map<std::string, std::optional<Zone>> zones_;
};

/** @return the offset in seconds of a fixed-offset zone name (UTC, UTC+08:00), or nullopt. */
std::optional<long> parseFixedOffset(const std::string& zone);

}  // namespace kefu::ivr
