// Per-interval figures of a queue or an agent over a wall-clock window, from the site's
// FigureBook through the ContactCenter.

#include "api/figure_routes.h"

#include <charconv>
#include <string>
#include <vector>

#include "api/rest_api.h"
#include "api/route_support.h"

namespace kefu::api {
namespace {

using auth::Role;

constexpr std::int64_t DayMs = 86'400'000;
constexpr std::int64_t MaxIntervals = 31 * 96;  // a month of quarter hours

/** @return a non-negative integer of at most 15 digits, nullopt otherwise. */
std::optional<std::int64_t> parseCount(std::string_view text) {
  if (text.empty() || text.size() > 15) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < 0) {
    return std::nullopt;
  }
  return value;
}

void writeOptional(JsonWriter& w, std::string_view key, std::optional<double> value) {
  w.key(key);
  if (value) {
    w.value(*value);
  } else {
    w.null();
  }
}

void writeCount(JsonWriter& w, std::string_view key, std::uint64_t value) {
  w.key(key).value(static_cast<std::int64_t>(value));
}

void writeQueueInterval(JsonWriter& w, const acd::IntervalFigures<acd::QueueFigures>& interval,
                        std::int64_t length_ms) {
  const auto& f = interval.figures;
  w.beginObject();
  w.key("start_ms").value(interval.start_ms).key("end_ms").value(interval.start_ms + length_ms);
  writeCount(w, "offered", f.offered);
  writeCount(w, "overflow_in", f.overflow_in);
  writeCount(w, "transfer_in", f.transfer_in);
  writeCount(w, "answered", f.answered);
  writeCount(w, "answered_within_threshold", f.answered_within_threshold);
  writeCount(w, "abandoned", f.abandoned);
  writeCount(w, "short_abandoned", f.short_abandoned);
  writeCount(w, "overflowed", f.overflowed);
  writeCount(w, "callbacks_requested", f.callbacks_requested);
  writeCount(w, "callbacks_connected", f.callbacks_connected);
  writeCount(w, "transfers_out", f.transfers_out);
  writeCount(w, "handled", f.handled);
  w.key("talk_ms").value(f.talk_ms).key("hold_ms").value(f.hold_ms);
  w.key("wrap_up_ms").value(f.wrap_up_ms).key("longest_wait_ms").value(f.longest_wait_ms);
  writeOptional(w, "service_level", f.serviceLevel());
  writeOptional(w, "abandon_rate", f.abandonRate());
  writeOptional(w, "average_speed_of_answer_ms", f.averageSpeedOfAnswerMs());
  writeOptional(w, "average_handle_ms", f.averageHandleMs());
  w.endObject();
}

void writeAgentInterval(JsonWriter& w, const acd::IntervalFigures<acd::AgentFigures>& interval,
                        std::int64_t length_ms) {
  const auto& f = interval.figures;
  w.beginObject();
  w.key("start_ms").value(interval.start_ms).key("end_ms").value(interval.start_ms + length_ms);
  writeCount(w, "reserved", f.reserved);
  writeCount(w, "no_answer", f.no_answer);
  writeCount(w, "answered", f.answered);
  writeCount(w, "transfers_in", f.transfers_in);
  writeCount(w, "transfers_out", f.transfers_out);
  writeCount(w, "handled", f.handled);
  w.key("talk_ms").value(f.talk_ms).key("hold_ms").value(f.hold_ms);
  w.key("wrap_up_ms").value(f.wrap_up_ms).key("staffed_ms").value(f.staffed_ms);
  w.key("not_ready_ms").value(f.not_ready_ms).key("working_ms").value(f.working_ms);
  writeOptional(w, "occupancy", f.occupancy());
  writeOptional(w, "average_handle_ms", f.averageHandleMs());
  w.endObject();
}

/** Writes the response head shared by both routes and leaves the `intervals` array open. */
void beginFigures(JsonWriter& w, std::string_view id_key, std::string_view id,
                  const FigureWindow& window) {
  w.beginObject().key(id_key).value(id);
  w.key("interval_seconds").value(window.interval_seconds);
  w.key("from_ms").value(window.from_ms).key("to_ms").value(window.to_ms);
  w.key("intervals").beginArray();
}

}  // namespace

Result<FigureWindow> figureWindowFromQuery(std::string_view query, std::int64_t now_ms) {
  std::optional<std::int64_t> from;
  std::optional<std::int64_t> to;
  std::optional<std::int64_t> interval;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (item.empty()) {
      continue;
    }
    const auto eq = item.find('=');
    const std::string_view name = item.substr(0, eq);
    const std::string_view text =
        eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
    std::optional<std::int64_t>* slot = name == "from"       ? &from
                                        : name == "to"       ? &to
                                        : name == "interval" ? &interval
                                                             : nullptr;
    const std::string field{name.substr(0, 64)};
    if (slot == nullptr) {
      return Error::invalid(field, "unknown query parameter (from, to and interval are known)");
    }
    if (slot->has_value()) {
      return Error::invalid(field, "given twice");
    }
    *slot = parseCount(text);
    if (!slot->has_value()) {
      return Error::invalid(field, name == "interval" ? "must be a whole number of seconds"
                                                      : "must be a time in Unix milliseconds");
    }
  }
  FigureWindow window;
  window.interval_seconds = interval.value_or(900);
  if (window.interval_seconds < 60 || window.interval_seconds > 86'400 ||
      86'400 % window.interval_seconds != 0) {
    return Error::invalid("interval",
                          "must be between 60 and 86400 seconds and divide a day (e.g. 900)");
  }
  window.to_ms = to.value_or(now_ms);
  window.from_ms = from.value_or(window.to_ms - DayMs);
  if (window.from_ms >= window.to_ms) {
    return Error::invalid("from", "must be before to");
  }
  if ((window.to_ms - window.from_ms) / (window.interval_seconds * 1000) >= MaxIntervals) {
    return Error::invalid("to", "the window holds more than " + std::to_string(MaxIntervals) +
                                    " intervals: narrow it or lengthen the interval");
  }
  return window;
}

void addFigureRoutes(Router& router, const RestDependencies& deps) {
  const Roles readers{Role::Admin, Role::Supervisor, Role::Auditor};

  router.add("GET", "/api/v1/queues/{id}/figures", readers,
             [&deps](const RouteContext& ctx) -> HttpResponse {
               auto queue = deps.queues.get(ctx.params[0]);
               if (!queue) {
                 return errorResponse(queue.error());
               }
               auto window =
                   figureWindowFromQuery(ctx.request.query, toUnixMillis(deps.time.systemTime()));
               if (!window) {
                 return errorResponse(window.error());
               }
               const std::int64_t length_ms = window->interval_seconds * 1000;
               const auto intervals = deps.contact_center.queueIntervals(queue->id, window->from_ms,
                                                                         window->to_ms, length_ms);
               std::string out;
               JsonWriter w(out);
               beginFigures(w, "queue_id", queue->id, *window);
               for (const auto& interval : intervals) {
                 writeQueueInterval(w, interval, length_ms);
               }
               w.endArray().endObject();
               return jsonResponse(200, std::move(out));
             });

  router.add("GET", "/api/v1/agents/{id}/figures", readers,
             [&deps](const RouteContext& ctx) -> HttpResponse {
               auto agent = deps.agents.get(ctx.params[0]);
               if (!agent) {
                 return errorResponse(agent.error());
               }
               auto window =
                   figureWindowFromQuery(ctx.request.query, toUnixMillis(deps.time.systemTime()));
               if (!window) {
                 return errorResponse(window.error());
               }
               const std::int64_t length_ms = window->interval_seconds * 1000;
               const auto intervals = deps.contact_center.agentIntervals(agent->id, window->from_ms,
                                                                         window->to_ms, length_ms);
               std::string out;
               JsonWriter w(out);
               beginFigures(w, "agent_id", agent->id, *window);
               for (const auto& interval : intervals) {
                 writeAgentInterval(w, interval, length_ms);
               }
               w.endArray().endObject();
               return jsonResponse(200, std::move(out));
             });
}

}  // namespace kefu::api
