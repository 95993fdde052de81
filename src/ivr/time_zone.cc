#include "ivr/time_zone.h"

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iterator>

namespace kefu::ivr {
namespace {

std::int64_t readBig(const std::vector<unsigned char>& bytes, std::size_t at, int size) {
  std::uint64_t value = 0;
  for (int i = 0; i < size; ++i) {
    value = (value << 8) | bytes[at + static_cast<std::size_t>(i)];
  }
  if (size == 4) {
    return static_cast<std::int32_t>(static_cast<std::uint32_t>(value));
  }
  return static_cast<std::int64_t>(value);
}

}  // namespace

LocalTime toLocal(SystemTime time, long utc_offset_s) {
  std::int64_t seconds =
      std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count() +
      utc_offset_s;
  std::int64_t days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400;
  std::int64_t second_of_day = seconds - days * 86400;
  LocalTime out;
  out.minute_of_day = static_cast<int>(second_of_day / 60);
  out.weekday = static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday (4)
  // Days since the epoch to a proleptic Gregorian date, counting in 400-year eras from 0000-03-01.
  std::int64_t z = days + 719468;
  std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  std::int64_t doe = z - era * 146097;
  std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  std::int64_t mp = (5 * doy + 2) / 153;
  out.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  out.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  out.year = static_cast<int>(yoe + era * 400 + (out.month <= 2 ? 1 : 0));
  return out;
}

std::optional<long> parseFixedOffset(const std::string& zone) {
  if (zone == "UTC" || zone == "GMT" || zone == "Etc/UTC") {
    return 0;
  }
  // UTC+8, UTC+08:00, UTC-05:30
  if (zone.size() < 5 || zone.rfind("UTC", 0) != 0 || (zone[3] != '+' && zone[3] != '-')) {
    return std::nullopt;
  }
  std::string rest = zone.substr(4);
  int hours = 0;
  int minutes = 0;
  auto colon = rest.find(':');
  std::string h = rest.substr(0, colon);
  std::string m = colon == std::string::npos ? "0" : rest.substr(colon + 1);
  if (h.empty() || h.size() > 2 || m.empty() || m.size() > 2 ||
      !std::all_of(h.begin(), h.end(), ::isdigit) || !std::all_of(m.begin(), m.end(), ::isdigit)) {
    return std::nullopt;
  }
  hours = std::stoi(h);
  minutes = std::stoi(m);
  if (hours > 14 || minutes > 59) {
    return std::nullopt;
  }
  long offset = hours * 3600L + minutes * 60L;
  return zone[3] == '-' ? -offset : offset;
}

SystemTimeZones::SystemTimeZones(std::string directory) : directory_(std::move(directory)) {}

std::optional<SystemTimeZones::Zone> SystemTimeZones::load(const std::string& zone) const {
  // Names come from flow files: refuse anything that could leave the zone directory.
  if (zone.empty() || zone.find("..") != std::string::npos || zone.front() == '/') {
    return std::nullopt;
  }
  std::ifstream in(directory_ + "/" + zone, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
  // TZif (RFC 8536): a v1 block with 32-bit times, then (v2+) a header and a 64-bit block.
  auto header = [&](std::size_t at, std::int64_t counts[6]) {
    if (bytes.size() < at + 44 || bytes[at] != 'T' || bytes[at + 1] != 'Z' ||
        bytes[at + 2] != 'i' || bytes[at + 3] != 'f') {
      return false;
    }
    for (int i = 0; i < 6; ++i) {
      counts[i] = readBig(bytes, at + 20 + 4 * static_cast<std::size_t>(i), 4);
      if (counts[i] < 0 || counts[i] > 100000) {
        return false;
      }
    }
    return true;
  };
  // counts: isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  std::int64_t counts[6];
  if (!header(0, counts)) {
    return std::nullopt;
  }
  std::size_t at = 0;
  int time_size = 4;
  if (bytes[4] >= '2') {
    std::size_t v1 =
        44 + counts[3] * 5 + counts[4] * 6 + counts[5] + counts[2] * 8 + counts[1] + counts[0];
    if (!header(v1, counts)) {
      return std::nullopt;
    }
    at = v1;
    time_size = 8;
  }
  std::size_t timecnt = counts[3];
  std::size_t typecnt = counts[4];
  std::size_t times_at = at + 44;
  std::size_t index_at = times_at + timecnt * time_size;
  std::size_t types_at = index_at + timecnt;
  if (typecnt == 0 || bytes.size() < types_at + typecnt * 6) {
    return std::nullopt;
  }
  std::vector<long> type_offsets;
  for (std::size_t i = 0; i < typecnt; ++i) {
    type_offsets.push_back(static_cast<long>(readBig(bytes, types_at + i * 6, 4)));
  }
  Zone out;
  out.initial_offset = type_offsets[0];
  for (std::size_t i = 0; i < timecnt; ++i) {
    std::size_t type = bytes[index_at + i];
    if (type >= typecnt) {
      return std::nullopt;
    }
    out.transitions.push_back(readBig(bytes, times_at + i * time_size, time_size));
    out.offsets.push_back(type_offsets[type]);
  }
  return out;
}

std::optional<LocalTime> SystemTimeZones::localTime(const std::string& zone,
                                                    SystemTime time) const {
  if (auto fixed = parseFixedOffset(zone)) {
    return toLocal(time, *fixed);
  }
  std::unique_lock lock(mutex_);
  auto it = zones_.find(zone);
  if (it == zones_.end()) {
    it = zones_.emplace(zone, load(zone)).first;
  }
  if (!it->second) {
    return std::nullopt;
  }
  const Zone& found = *it->second;
  std::int64_t seconds =
      std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
  auto after = std::upper_bound(found.transitions.begin(), found.transitions.end(), seconds);
  long offset =
      after == found.transitions.begin()
          ? found.initial_offset
          : found.offsets[static_cast<std::size_t>(after - found.transitions.begin() - 1)];
  return toLocal(time, offset);
}

}  // namespace kefu::ivr
