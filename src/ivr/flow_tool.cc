#include "ivr/flow_tool.h"

#include <fmt/format.h>

#include <cctype>
#include <ostream>

#include "ivr/flow_driver.h"
#include "ivr/flow_loader.h"

namespace kefu::ivr {
namespace {

/** @return the stub's answer; nullopt when `stub` is none of the accepted forms. */
std::optional<HttpAnswer> parseStub(const std::string& stub) {
  if (stub.empty() || stub == "fail") {
    return HttpAnswer{HttpAnswer::Kind::Failure, 0, stub.empty() ? "no --http-stub given" : "stub"};
  }
  if (stub == "timeout") {
    return HttpAnswer{HttpAnswer::Kind::Timeout, 0, ""};
  }
  if (stub.size() >= 3 && std::isdigit(static_cast<unsigned char>(stub[0])) &&
      std::isdigit(static_cast<unsigned char>(stub[1])) &&
      std::isdigit(static_cast<unsigned char>(stub[2])) && (stub.size() == 3 || stub[3] == ':')) {
    int status = std::stoi(stub.substr(0, 3));
    if (status < 100) {
      return std::nullopt;
    }
    return HttpAnswer{HttpAnswer::Kind::Response, status,
                      stub.size() > 4 ? stub.substr(4) : std::string()};
  }
  if (stub.front() == '{' || stub.front() == '[') {
    return HttpAnswer{HttpAnswer::Kind::Response, 200, stub};
  }
  return std::nullopt;
}

}  // namespace

std::optional<SystemTime> parseUtcTime(const std::string& text) {
  int year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  char tail = 0;
  int fields = std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &year, &month, &day, &hour,
                           &minute, &second, &tail);
  if (fields != 7) {
    second = 0;
    fields = std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d%c", &year, &month, &day, &hour, &minute,
                         &tail);
    if (fields != 6) {
      return std::nullopt;
    }
  }
  if (tail != 'Z' || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 ||
      second > 59) {
    return std::nullopt;
  }
  // Days from 1970-01-01 to the civil date, counting in 400-year eras from 0000-03-01.
  int y = year - (month <= 2 ? 1 : 0);
  long era = (y >= 0 ? y : y - 399) / 400;
  long yoe = y - era * 400;
  long doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  long days = era * 146097 + doe - 719468;
  return SystemTime{std::chrono::seconds{days * 86400L + hour * 3600L + minute * 60L + second}};
}

int checkFlowFiles(const std::vector<std::string>& files, std::ostream& out, std::ostream& err) {
  int status = 0;
  for (const auto& file : files) {
    auto loaded = loadFlowFile(file);
    if (loaded.flow) {
      out << fmt::format("{}: OK ({} nodes, version {})\n", file, loaded.flow->nodes.size(),
                         loaded.flow->version);
      continue;
    }
    status = 1;
    for (const auto& error : loaded.errors) {
      err << format(error, file) << "\n";
    }
    err << fmt::format("{}: {} error{}\n", file, loaded.errors.size(),
                       loaded.errors.size() == 1 ? "" : "s");
  }
  return status;
}

int tryFlowFile(const TryOptions& options, std::ostream& out, std::ostream& err) {
  auto stub = parseStub(options.http_stub);
  if (!stub) {
    err << "kefu: error: --http-stub must be JSON (answered with 200), STATUS, STATUS:BODY, fail "
           "or timeout\n";
    return 2;
  }
  SimulatedTime time;
  SystemTime at = std::chrono::system_clock::now();
  if (!options.at.empty()) {
    auto parsed = parseUtcTime(options.at);
    if (!parsed) {
      err << "kefu: error: --at must be a UTC time such as 2026-11-24T03:00:00Z\n";
      return 2;
    }
    at = *parsed;
  }
  time.advance(at - time.systemTime());
  auto loaded = loadFlowFile(options.file);
  if (!loaded.flow) {
    for (const auto& error : loaded.errors) {
      err << format(error, options.file) << "\n";
    }
    return 1;
  }
  DriverOptions driver_options;
  driver_options.session.caller = options.caller;
  driver_options.session.dialed = options.dialed;
  driver_options.http = [answer = *stub](const HttpRequest&) { return answer; };
  SystemTimeZones zones;
  FlowDriver driver(loaded.flow, time, zones, std::move(driver_options));
  for (const auto& line : driver.run(splitInputs(options.inputs))) {
    out << line << "\n";
  }
  return driver.session().finished() ? 0 : 1;
}

}  // namespace kefu::ivr
