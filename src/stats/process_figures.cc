#include "stats/process_figures.h"

#include <unistd.h>

#include <charconv>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

namespace kefu::stats {
namespace {

Result<std::string> readFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) {
    return Error::internal("cannot read " + path.string());
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool parseNumber(std::string_view word, double* out) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), value);
  if (ec != std::errc() || end != word.data() + word.size()) {
    return false;
  }
  *out = static_cast<double>(value);
  return true;
}

std::vector<std::string_view> splitWords(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t')) {
      ++i;
    }
    std::size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\n' && text[i] != '\t') {
      ++i;
    }
    if (i > start) {
      words.push_back(text.substr(start, i - start));
    }
  }
  return words;
}

// "Max open files            1024                 1048576              files" -> 1024.
Result<double> parseMaxOpenFiles(std::string_view limits) {
  constexpr std::string_view Key = "Max open files";
  auto at = limits.find(Key);
  if (at == std::string_view::npos) {
    return Error::internal("no 'Max open files' line in limits");
  }
  auto line = limits.substr(at + Key.size());
  line = line.substr(0, line.find('\n'));
  auto words = splitWords(line);
  if (words.empty()) {
    return Error::internal("malformed 'Max open files' line in limits");
  }
  if (words[0] == "unlimited") {
    return std::numeric_limits<double>::infinity();
  }
  double value = 0;
  if (!parseNumber(words[0], &value)) {
    return Error::internal("malformed 'Max open files' line in limits");
  }
  return value;
}

// The "btime" line of /proc/stat: the boot time in seconds since the epoch.
Result<double> parseBootTime(std::string_view stat) {
  for (std::size_t at = 0; at < stat.size();) {
    auto end = stat.find('\n', at);
    auto line = stat.substr(at, end == std::string_view::npos ? stat.npos : end - at);
    if (line.starts_with("btime ")) {
      double value = 0;
      auto words = splitWords(line);
      if (words.size() == 2 && parseNumber(words[1], &value)) {
        return value;
      }
      break;
    }
    if (end == std::string_view::npos) {
      break;
    }
    at = end + 1;
  }
  return Error::internal("no btime line in stat");
}

}  // namespace

Result<ProcStat> parseProcStat(std::string_view text) {
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so fields are counted
  // from the last ')'. After it come fields 3 (state) onwards of proc(5).
  auto close = text.rfind(')');
  if (close == std::string_view::npos) {
    return Error::internal("malformed stat: no ')'");
  }
  auto words = splitWords(text.substr(close + 1));
  auto field = [&words](int number) { return words[static_cast<std::size_t>(number - 3)]; };
  if (words.size() < 22) {
    return Error::internal("malformed stat: too few fields");
  }
  ProcStat stat;
  if (!parseNumber(field(14), &stat.utime_ticks) || !parseNumber(field(15), &stat.stime_ticks) ||
      !parseNumber(field(20), &stat.threads) || !parseNumber(field(22), &stat.start_ticks) ||
      !parseNumber(field(23), &stat.virtual_bytes) ||
      !parseNumber(field(24), &stat.resident_pages)) {
    return Error::internal("malformed stat: a number field is not a number");
  }
  return stat;
}

Result<ProcessFigures> readProcessFigures(const std::filesystem::path& proc) {
  const auto self = proc / "self";
  auto stat_text = readFile(self / "stat");
  KEFU_TRY(stat_text);
  auto stat = parseProcStat(*stat_text);
  KEFU_TRY(stat);
  auto limits_text = readFile(self / "limits");
  KEFU_TRY(limits_text);
  auto max_fds = parseMaxOpenFiles(*limits_text);
  KEFU_TRY(max_fds);
  auto system_stat = readFile(proc / "stat");
  KEFU_TRY(system_stat);
  auto boot_time = parseBootTime(*system_stat);
  KEFU_TRY(boot_time);

  std::error_code ec;
  double open_fds = 0;
  for (std::filesystem::directory_iterator it(self / "fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++open_fds;
  }
  if (ec) {
    return Error::internal("cannot list " + (self / "fd").string() + ": " + ec.message());
  }

  const double ticks_per_second = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page_bytes = static_cast<double>(sysconf(_SC_PAGESIZE));
  ProcessFigures figures;
  figures.cpu_seconds = (stat->utime_ticks + stat->stime_ticks) / ticks_per_second;
  figures.resident_bytes = stat->resident_pages * page_bytes;
  figures.virtual_bytes = stat->virtual_bytes;
  figures.open_fds = open_fds;
  figures.max_fds = *max_fds;
  figures.start_time_seconds = *boot_time + stat->start_ticks / ticks_per_second;
  figures.threads = stat->threads;
  return figures;
}

}  // namespace kefu::stats
