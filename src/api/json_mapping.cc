#include "api/json_mapping.h"

#include <algorithm>
#include <chrono>
#include <set>

namespace kefu::api {
namespace {

const std::set<std::string_view> ReadOnlyFields{"id", "created_at", "updated_at"};

/**
 * Reads the fields of one JSON object, keeping the first error. Callers read every field, then
 * finish() reports that error, or the first field nobody read.
 */
class ObjectReader {
 public:
  ObjectReader(const Json& object, std::string prefix)
      : object_(object), prefix_(std::move(prefix)) {}

  /** @return the string at `key`; nullopt when absent (an error when required) or invalid. */
  std::optional<std::string> string(std::string_view key, bool required) {
    const Json* v = field(key, required);
    if (v == nullptr) {
      return std::nullopt;
    }
    if (!v->is_string()) {
      fail(key, "must be a string");
      return std::nullopt;
    }
    return v->get<std::string>();
  }

  std::optional<std::int64_t> integer(std::string_view key, bool required) {
    const Json* v = field(key, required);
    if (v == nullptr) {
      return std::nullopt;
    }
    if (!v->is_number_integer()) {
      fail(key, "must be an integer");
      return std::nullopt;
    }
    return v->get<std::int64_t>();
  }

  std::optional<double> number(std::string_view key, bool required) {
    const Json* v = field(key, required);
    if (v == nullptr) {
      return std::nullopt;
    }
    if (!v->is_number()) {
      fail(key, "must be a number");
      return std::nullopt;
    }
    return v->get<double>();
  }

  std::optional<bool> boolean(std::string_view key, bool required) {
    const Json* v = field(key, required);
    if (v == nullptr) {
      return std::nullopt;
    }
    if (!v->is_boolean()) {
      fail(key, "must be true or false");
      return std::nullopt;
    }
    return v->get<bool>();
  }

  /** @return a count or duration at `key` that must not be negative; nullopt when absent. */
  std::optional<std::int64_t> natural(std::string_view key, bool required) {
    auto n = integer(key, required);
    if (n && *n < 0) {
      fail(key, "must not be negative, got " + std::to_string(*n));
      return std::nullopt;
    }
    return n;
  }

  /** @return the array at `key`, or nullptr when absent or invalid. */
  const Json* array(std::string_view key, bool required) {
    const Json* v = field(key, required);
    if (v != nullptr && !v->is_array()) {
      fail(key, "must be an array");
      return nullptr;
    }
    return v;
  }

  void fail(std::string_view key, std::string message) {
    if (!error_) {
      error_ = Error::invalid(prefix_ + std::string(key), std::move(message));
    }
  }

  bool failed() const { return error_.has_value(); }

  Result<void> finish() {
    if (error_) {
      return *error_;
    }
    for (auto it = object_.begin(); it != object_.end(); ++it) {
      if (!read_.contains(it.key()) && !(prefix_.empty() && ReadOnlyFields.contains(it.key()))) {
        return Error::invalid(prefix_ + it.key(), "unknown field");
      }
    }
    return {};
  }

 private:
  const Json* field(std::string_view key, bool required) {
    read_.emplace(key);
    if (error_) {
      return nullptr;
    }
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) {
      if (required) {
        fail(key, "is required");
      }
      return nullptr;
    }
    return &*it;
  }

  const Json& object_;
  std::string prefix_;
  std::set<std::string, std::less<>> read_;
  std::optional<Error> error_;
};

/** Reads `[{"skill_id": "...", LEVEL_KEY: n}, …]` into pairs. */
template <class Item>
Result<std::vector<Item>> readSkillList(const Json& list, std::string_view field,
                                        std::string_view level_key) {
  std::vector<Item> out;
  if (list.size() > 200) {
    return Error::invalid(std::string(field), "at most 200 entries");
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    auto prefix = std::string(field) + "[" + std::to_string(i) + "]";
    if (!list[i].is_object()) {
      return Error::invalid(prefix, "must be an object");
    }
    ObjectReader item(list[i], prefix + ".");
    auto skill_id = item.string("skill_id", true);
    auto level = item.integer(level_key, true);
    if (level && (*level < acd::MinSkillLevel || *level > acd::MaxSkillLevel)) {
      item.fail(level_key, "must be between 1 and 10, got " + std::to_string(*level));
    }
    KEFU_TRY(item.finish());
    out.push_back({*skill_id, static_cast<int>(*level)});
  }
  return out;
}

/**
 * Reads a JSON array of objects with `read_item(reader, index)`, each object's fields read through
 * its own ObjectReader (prefix `field[i].`), so errors name the item's field.
 */
template <class Item, class ReadItem>
Result<std::vector<Item>> readObjectList(const Json& list, std::string_view field,
                                         ReadItem read_item) {
  std::vector<Item> out;
  if (list.size() > acd::MaxQueueRules) {
    return Error::invalid(std::string(field),
                          "at most " + std::to_string(acd::MaxQueueRules) + " entries");
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    auto prefix = std::string(field) + "[" + std::to_string(i) + "]";
    if (!list[i].is_object()) {
      return Error::invalid(prefix, "must be an object");
    }
    ObjectReader item(list[i], prefix + ".");
    Item value = read_item(item);
    KEFU_TRY(item.finish());
    out.push_back(std::move(value));
  }
  return out;
}

acd::RelaxationStep readRelaxationStep(ObjectReader& item) {
  auto after = item.natural("after_ms", true);
  auto level = item.integer("min_level", true);
  return {std::chrono::milliseconds{after.value_or(0)},
          static_cast<int>(level.value_or(acd::MinSkillLevel))};
}

acd::OverflowRule readOverflowRule(ObjectReader& item) {
  auto after_wait = item.natural("after_wait_ms", false);
  auto above_size = item.natural("above_size", false);
  auto target = item.string("target", true);
  return {std::chrono::milliseconds{after_wait.value_or(0)},
          static_cast<std::size_t>(above_size.value_or(0)), target.value_or("")};
}

/** Writes a boolean (JsonWriter's value(int) would write 1). */
void writeBool(JsonWriter& out, bool value) { out.raw(value ? "true" : "false"); }

template <class Item, class LevelOf>
void writeSkillList(JsonWriter& out, const std::vector<Item>& items, std::string_view level_key,
                    LevelOf level_of) {
  out.beginArray();
  for (const auto& item : items) {
    out.beginObject()
        .key("skill_id")
        .value(item.skill_id)
        .key(level_key)
        .value(level_of(item))
        .endObject();
  }
  out.endArray();
}

/** Writes the two timestamps every entity has. */
void writeTimes(JsonWriter& out, std::int64_t created_at_ms, std::int64_t updated_at_ms) {
  out.key("created_at").value(formatTime(created_at_ms));
  out.key("updated_at").value(formatTime(updated_at_ms));
}

}  // namespace

Result<Json> parseObject(std::string_view body) {
  if (body.empty()) {
    return Error::invalid("body", "must be a JSON object, got an empty body");
  }
  try {
    auto j = Json::parse(body);
    if (!j.is_object()) {
      return Error::invalid("body", "must be a JSON object");
    }
    return j;
  } catch (const Json::exception& e) {
    return Error::invalid("body", std::string("malformed JSON: ") + e.what());
  }
}

std::string formatTime(std::int64_t ms) {
  // Civil date from days since the epoch (H. Hinnant's algorithm): no locale, no time zone lookup.
  std::int64_t seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  int millis = static_cast<int>(ms - seconds * 1000);
  std::int64_t days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400;
  int second_of_day = static_cast<int>(seconds - days * 86400);
  days += 719468;
  std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  auto day_of_era = static_cast<unsigned>(days - era * 146097);
  unsigned year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  unsigned day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  unsigned mp = (5 * day_of_year + 2) / 153;
  unsigned day = day_of_year - (153 * mp + 2) / 5 + 1;
  unsigned month = mp < 10 ? mp + 3 : mp - 9;
  std::int64_t year = static_cast<std::int64_t>(year_of_era) + era * 400 + (month <= 2 ? 1 : 0);

  char buf[] = "0000-00-00T00:00:00.000Z";
  auto put = [&buf](int at, std::int64_t value, int width) {
    for (int i = width - 1; i >= 0; --i, value /= 10) {
      buf[at + i] = static_cast<char>('0' + value % 10);
    }
  };
  put(0, std::clamp<std::int64_t>(year, 0, 9999), 4);
  put(5, month, 2);
  put(8, day, 2);
  put(11, second_of_day / 3600, 2);
  put(14, second_of_day / 60 % 60, 2);
  put(17, second_of_day % 60, 2);
  put(20, millis, 3);
  return std::string(buf, 24);
}

Result<acd::Skill> skillFromJson(const Json& body, acd::Skill base) {
  ObjectReader r(body, "");
  auto name = r.string("name", true);
  auto description = r.string("description", false);
  KEFU_TRY(r.finish());
  base.name = *name;
  base.description = description.value_or("");
  return base;
}

Result<acd::Agent> agentFromJson(const Json& body, acd::Agent base, bool creating) {
  ObjectReader r(body, "");
  auto name = r.string("name", true);
  auto extension = r.string("extension", true);
  auto sip_password = r.string("sip_password", creating);
  auto user_id = r.string("user_id", false);
  const Json* skills = r.array("skills", false);
  auto chat_capacity = r.integer("chat_capacity", false);
  if (chat_capacity && (*chat_capacity < 0 || *chat_capacity > acd::MaxChatCapacity)) {
    r.fail("chat_capacity", "must be between 0 and " + std::to_string(acd::MaxChatCapacity));
  }
  KEFU_TRY(r.finish());
  base.chat_capacity = static_cast<int>(chat_capacity.value_or(acd::DefaultChatCapacity));
  base.name = *name;
  base.extension = *extension;
  if (sip_password) {
    base.sip_password = *sip_password;
  }
  base.user_id = user_id.value_or("");
  base.skills.clear();
  if (skills != nullptr) {
    auto list = readSkillList<acd::SkillLevel>(*skills, "skills", "level");
    if (!list) {
      return list.error();
    }
    base.skills = std::move(list).value();
  }
  return base;
}

Result<acd::Queue> queueFromJson(const Json& body, acd::Queue base) {
  ObjectReader r(body, "");
  auto name = r.string("name", true);
  auto strategy = r.string("strategy", false);
  auto service_level = r.integer("service_level_seconds", false);
  const Json* skills = r.array("required_skills", false);
  const Json* relaxation = r.array("relaxation", false);
  const Json* overflow = r.array("overflow", false);
  auto max_size = r.natural("max_size", false);
  // Durations are whole milliseconds; validate() checks their ranges and names the field.
  auto wrap_up = r.integer("wrap_up_ms", false);
  auto alert_timeout = r.integer("alert_timeout_ms", false);
  auto sticky_window = r.integer("sticky_window_ms", false);
  auto callback_timeout = r.integer("callback_timeout_ms", false);
  auto short_abandon = r.integer("short_abandon_ms", false);
  auto callback_enabled = r.boolean("callback_enabled", false);
  std::optional<acd::RoutingStrategy> parsed = acd::RoutingStrategy::LongestIdle;
  if (strategy) {
    parsed = acd::parseRoutingStrategy(*strategy);
    if (!parsed) {
      r.fail("strategy", "must be one of " + std::string(acd::routingStrategyNames()));
    }
  }
  if (service_level && (*service_level < 1 || *service_level > 3600)) {
    r.fail("service_level_seconds", "must be between 1 and 3600");
  }
  KEFU_TRY(r.finish());
  base.name = *name;
  base.strategy = *parsed;
  base.service_level_seconds = static_cast<int>(service_level.value_or(20));
  base.required_skills.clear();
  if (skills != nullptr) {
    auto list = readSkillList<acd::SkillRequirement>(*skills, "required_skills", "min_level");
    if (!list) {
      return list.error();
    }
    base.required_skills = std::move(list).value();
  }
  // What a body leaves out takes its default, as for the fields above: a PUT replaces the queue.
  const acd::Queue defaults;
  using std::chrono::milliseconds;
  base.max_size = max_size ? static_cast<std::size_t>(*max_size) : defaults.max_size;
  base.wrap_up = wrap_up ? milliseconds{*wrap_up} : defaults.wrap_up;
  base.alert_timeout = alert_timeout ? milliseconds{*alert_timeout} : defaults.alert_timeout;
  base.sticky_window = sticky_window ? milliseconds{*sticky_window} : defaults.sticky_window;
  base.callback_timeout =
      callback_timeout ? milliseconds{*callback_timeout} : defaults.callback_timeout;
  base.short_abandon = short_abandon ? milliseconds{*short_abandon} : defaults.short_abandon;
  base.callback_enabled = callback_enabled.value_or(defaults.callback_enabled);
  base.relaxation.clear();
  if (relaxation != nullptr) {
    auto list = readObjectList<acd::RelaxationStep>(*relaxation, "relaxation", readRelaxationStep);
    if (!list) {
      return list.error();
    }
    base.relaxation = std::move(list).value();
  }
  base.overflow.clear();
  if (overflow != nullptr) {
    auto list = readObjectList<acd::OverflowRule>(*overflow, "overflow", readOverflowRule);
    if (!list) {
      return list.error();
    }
    base.overflow = std::move(list).value();
  }
  return base;
}

Result<UserInput> userFromJson(const Json& body, auth::User base, bool creating) {
  ObjectReader r(body, "");
  auto username = r.string("username", true);
  auto display_name = r.string("display_name", false);
  auto role = r.string("role", true);
  auto password = r.string("password", creating);
  std::optional<auth::Role> parsed;
  if (role) {
    parsed = auth::parseRole(*role);
    if (!parsed) {
      r.fail("role", "must be one of admin, supervisor, agent, auditor");
    }
  }
  KEFU_TRY(r.finish());
  base.username = *username;
  base.display_name = display_name.value_or("");
  base.role = *parsed;
  return UserInput{std::move(base), password};
}

Result<acd::erlang::StaffingTarget> staffingTargetFromJson(const Json& body) {
  ObjectReader r(body, "");
  acd::erlang::StaffingTarget target;
  auto arrivals = r.number("arrivals_per_interval", true);
  auto interval = r.number("interval_seconds", false);
  auto aht = r.number("aht_seconds", true);
  auto service_level = r.number("target_service_level", false);
  auto answer = r.number("target_answer_seconds", false);
  auto max_occupancy = r.number("max_occupancy", false);
  KEFU_TRY(r.finish());
  target.arrivals_per_interval = *arrivals;
  target.interval_seconds = interval.value_or(target.interval_seconds);
  target.aht_seconds = *aht;
  target.target_service_level = service_level.value_or(target.target_service_level);
  target.target_answer_seconds = answer.value_or(target.target_answer_seconds);
  target.max_occupancy = max_occupancy;
  return target;
}

void writeJson(JsonWriter& out, const acd::erlang::StaffingFigures& figures) {
  out.beginObject();
  out.key("agents").value(figures.agents);
  out.key("traffic_erlangs").value(figures.traffic_erlangs);
  out.key("wait_probability").value(figures.wait_probability);
  out.key("service_level").value(figures.service_level);
  out.key("average_speed_of_answer_seconds").value(figures.average_speed_of_answer_seconds);
  out.key("occupancy").value(figures.occupancy);
  out.endObject();
}

void writeJson(JsonWriter& out, const acd::Skill& skill) {
  out.beginObject();
  out.key("id").value(skill.id);
  out.key("name").value(skill.name);
  out.key("description").value(skill.description);
  writeTimes(out, skill.created_at_ms, skill.updated_at_ms);
  out.endObject();
}

void writeJson(JsonWriter& out, const acd::Agent& agent) {
  out.beginObject();
  out.key("id").value(agent.id);
  out.key("name").value(agent.name);
  out.key("extension").value(agent.extension);
  out.key("user_id").valueOrNull(agent.user_id);
  out.key("skills");
  writeSkillList(out, agent.skills, "level", [](const auto& s) { return s.level; });
  out.key("chat_capacity").value(agent.chat_capacity);
  writeTimes(out, agent.created_at_ms, agent.updated_at_ms);
  out.endObject();
}

void writeJson(JsonWriter& out, const acd::Queue& queue) {
  out.beginObject();
  out.key("id").value(queue.id);
  out.key("name").value(queue.name);
  out.key("strategy").value(acd::toString(queue.strategy));
  out.key("service_level_seconds").value(queue.service_level_seconds);
  out.key("required_skills");
  writeSkillList(out, queue.required_skills, "min_level",
                 [](const auto& s) { return s.min_level; });
  out.key("relaxation").beginArray();
  for (const auto& step : queue.relaxation) {
    out.beginObject();
    out.key("after_ms").value(static_cast<std::int64_t>(step.after.count()));
    out.key("min_level").value(step.min_level);
    out.endObject();
  }
  out.endArray();
  out.key("max_size").value(static_cast<std::int64_t>(queue.max_size));
  out.key("overflow").beginArray();
  for (const auto& rule : queue.overflow) {
    out.beginObject();
    out.key("after_wait_ms").value(static_cast<std::int64_t>(rule.after_wait.count()));
    out.key("above_size").value(static_cast<std::int64_t>(rule.above_size));
    out.key("target").value(rule.target);
    out.endObject();
  }
  out.endArray();
  out.key("wrap_up_ms").value(static_cast<std::int64_t>(queue.wrap_up.count()));
  out.key("alert_timeout_ms").value(static_cast<std::int64_t>(queue.alert_timeout.count()));
  out.key("sticky_window_ms").value(static_cast<std::int64_t>(queue.sticky_window.count()));
  out.key("callback_timeout_ms").value(static_cast<std::int64_t>(queue.callback_timeout.count()));
  out.key("short_abandon_ms").value(static_cast<std::int64_t>(queue.short_abandon.count()));
  out.key("callback_enabled");
  writeBool(out, queue.callback_enabled);
  writeTimes(out, queue.created_at_ms, queue.updated_at_ms);
  out.endObject();
}

void writeJson(JsonWriter& out, const auth::User& user) {
  out.beginObject();
  out.key("id").value(user.id);
  out.key("username").value(user.username);
  out.key("display_name").value(user.display_name);
  out.key("role").value(auth::toString(user.role));
  writeTimes(out, user.created_at_ms, user.updated_at_ms);
  out.endObject();
}

std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

void writeJson(JsonWriter& out, const call::WrapUpRecord& wrap_up) {
  out.beginObject().key("agent_id").value(wrap_up.agent_id).key("at_ms").value(wrap_up.at_ms);
  out.key("disposition").value(wrap_up.disposition).key("notes").valueOrNull(wrap_up.notes);
  out.endObject();
}

void writeJson(JsonWriter& out, const PastCall& past) {
  out.beginObject().key("call_id").value(past.call_id).key("at_ms").value(past.at_ms);
  out.key("queue_id").valueOrNull(past.queue_id).key("agent_id").valueOrNull(past.agent_id);
  out.key("cause").valueOrNull(past.cause).key("disposition").valueOrNull(past.disposition);
  out.key("notes").valueOrNull(past.notes).endObject();
}

void writeJson(JsonWriter& out, const std::optional<CustomerCard>& card) {
  if (!card) {
    out.null();
    return;
  }
  out.beginObject().key("id").value(card->id).key("name");
  if (card->name) {
    out.value(*card->name);
  } else {
    out.null();
  }
  out.key("phones").beginArray();
  for (const auto& phone : card->phones) {
    out.value(phone);
  }
  out.endArray().key("unavailable").raw(card->unavailable ? "true" : "false").endObject();
}

void writeScreenPop(JsonWriter& out, std::string_view call_id, const ScreenPop& pop) {
  out.beginObject().key("call_id").value(call_id).key("customer");
  writeJson(out, pop.customer);
  out.key("history").beginArray();
  for (const auto& past : pop.history) {
    writeJson(out, past);
  }
  out.endArray().endObject();
}

}  // namespace kefu::api
