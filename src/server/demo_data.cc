#include "server/demo_data.h"

#include <array>
#include <map>

#include "auth/password.h"
#include "call/entry_point.h"
#include "core/id.h"

namespace kefu::server {
namespace {

struct DemoUser {
  const char* username;
  const char* display_name;
  auth::Role role;
  const char* password;
};
constexpr std::array<DemoUser, 3> DemoUsers{{
    {"supervisor", "Wang Fang (supervisor)", auth::Role::Supervisor, "supervisor-demo"},
    {"agent1001", "Li Wei (agent 1001)", auth::Role::Agent, "agent-demo"},
    {"auditor", "Zhao Min (auditor)", auth::Role::Auditor, "auditor-demo"},
}};

struct DemoSkill {
  const char* name;
  const char* description;
};
constexpr std::array<DemoSkill, 5> DemoSkills{{
    {"mandarin", "Speaks Mandarin with callers"},
    {"english", "Speaks English with callers"},
    {"cards", "Lost, stolen and blocked cards"},
    {"loans", "Loan and mortgage questions"},
    {"billing", "Statements, fees and payments"},
}};

struct DemoAgent {
  const char* name;
  const char* extension;
  std::map<std::string, int> skills;
};

/** The number of the bank's IVR (deploy/flows/bank.yaml). */
constexpr std::string_view BankLine = "4010";

/** Adds the entry point of the bank's IVR flow unless its number is taken (also to a directory
 *  seeded before the IVR existed). */
Result<void> seedBankLine(store::Store& store, const TimeSource& time, std::int64_t now) {
  auto entries = store.entryPoints().list();
  if (!entries) {
    return entries.error();
  }
  for (const auto& entry : *entries) {
    if (entry.number == BankLine) {
      return {};
    }
  }
  call::EntryPoint entry{newId("ep", time),
                         std::string(BankLine),
                         "Kefu Bank (IVR flow bank)",
                         {call::TargetKind::Flow, "bank"},
                         {},
                         0,
                         true,
                         now,
                         now};
  return store.entryPoints().create(entry);
}

}  // namespace

Result<void> seedDemoData(store::Store& store, const TimeSource& time) {
  auto now = toUnixMillis(time.systemTime());
  std::map<std::string, std::string> user_ids;
  for (const auto& u : DemoUsers) {
    auto existing = store.users().getByUsername(u.username);
    if (existing) {
      user_ids[u.username] = existing->id;
      continue;
    }
    auto hash = auth::hashPassword(u.password);
    if (!hash) {
      return hash.error();
    }
    auth::User user{newId("usr", time), u.username, u.display_name, u.role, *hash, now, now};
    KEFU_TRY(store.users().create(user));
    user_ids[u.username] = user.id;
  }

  auto skills = store.skills().list();
  if (!skills) {
    return skills.error();
  }
  if (!skills->empty()) {
    // The directory was seeded (or configured by hand) before: leave it alone, but for the
    // bank's IVR line, which came later.
    return seedBankLine(store, time, now);
  }
  std::map<std::string, std::string> skill_ids;
  for (const auto& s : DemoSkills) {
    acd::Skill skill{newId("sk", time), s.name, s.description, now, now};
    KEFU_TRY(store.skills().create(skill));
    skill_ids[s.name] = skill.id;
  }

  const std::array<DemoAgent, 6> agents{{
      {"Li Wei", "1001", {{"mandarin", 9}, {"english", 6}, {"cards", 7}}},
      {"Chen Jing", "1002", {{"mandarin", 10}, {"loans", 8}}},
      {"Emily Zhang", "1003", {{"english", 10}, {"mandarin", 7}, {"billing", 6}}},
      {"Liu Yang", "1004", {{"mandarin", 8}, {"billing", 9}}},
      {"Sun Hao", "1005", {{"mandarin", 7}, {"cards", 9}, {"english", 4}}},
      {"Grace Huang", "1006", {{"english", 9}, {"loans", 7}}},
  }};
  for (const auto& a : agents) {
    acd::Agent agent{newId("ag", time),
                     a.name,
                     a.extension,
                     std::string("sip-") + a.extension + "-demo",
                     std::string(a.extension) == "1001" ? user_ids["agent1001"] : "",
                     {},
                     now,
                     now};
    for (const auto& [name, level] : a.skills) {
      agent.skills.push_back({skill_ids[name], level});
    }
    KEFU_TRY(store.agents().create(agent));
  }

  struct DemoQueue {
    const char* name;
    acd::RoutingStrategy strategy;
    std::map<std::string, int> required;
    int service_level_seconds;
  };
  const std::array<DemoQueue, 3> queues{{
      {"general", acd::RoutingStrategy::LongestIdle, {{"mandarin", 3}}, 20},
      {"lost-cards", acd::RoutingStrategy::SkillsBestMatch, {{"cards", 5}}, 10},
      {"loans", acd::RoutingStrategy::LeastOccupied, {{"loans", 5}}, 30},
  }};
  std::map<std::string, std::string> queue_ids;
  for (const auto& q : queues) {
    acd::Queue queue{newId("q", time), q.name, q.strategy, {}, q.service_level_seconds, now, now};
    for (const auto& [name, level] : q.required) {
      queue.required_skills.push_back({skill_ids[name], level});
    }
    KEFU_TRY(store.queues().create(queue));
    queue_ids[q.name] = queue.id;
  }

  // Dialed numbers: one per queue, as a bank's service line would publish them.
  const std::array<std::pair<const char*, const char*>, 3> numbers{{
      {"4000", "general"},
      {"4001", "lost-cards"},
      {"4002", "loans"},
  }};
  for (const auto& [number, queue] : numbers) {
    call::EntryPoint entry{newId("ep", time),
                           number,
                           std::string("Demo line ") + queue,
                           {call::TargetKind::Queue, queue_ids[queue]},
                           {},
                           0,
                           true,
                           now,
                           now};
    KEFU_TRY(store.entryPoints().create(entry));
  }
  return seedBankLine(store, time, now);
}

std::string demoLoginsText(const std::optional<std::string>& admin_password) {
  std::string out = "Demo logins (POST /api/v1/auth/login):\n";
  if (admin_password) {
    out += "  admin       / " + *admin_password + "   (from auth.admin_password)\n";
  }
  for (const auto& u : DemoUsers) {
    std::string name = u.username;
    name.resize(11, ' ');
    out += "  " + name + " / " + u.password + "\n";
  }
  out += "Demo SIP phones: extensions 1001-1006, password sip-<extension>-demo\n";
  out +=
      "Demo numbers: 4000 (general), 4001 (lost-cards), 4002 (loans), 4010 (the bank's IVR: "
      "deploy/flows/bank.yaml)\n";
  return out;
}

}  // namespace kefu::server
