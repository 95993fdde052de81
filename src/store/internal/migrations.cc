#include "store/internal/migrations.h"

#include <array>

namespace kefu::store::internal {
namespace {

// Timestamps are Unix milliseconds. Every column added here must also be declared, with its data
// class, in store/schema.cc (a test compares both).

constexpr std::string_view V1Sqlite = R"sql(
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  role TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user_id ON sessions(user_id);
CREATE INDEX sessions_expires_at ON sessions(expires_at);
CREATE TABLE skills (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE agents (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  extension TEXT NOT NULL UNIQUE,
  sip_password TEXT NOT NULL,
  user_id TEXT REFERENCES users(id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX agents_user_id ON agents(user_id);
CREATE INDEX agents_created ON agents(created_at, id);
CREATE TABLE agent_skills (
  agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  skill_id TEXT NOT NULL REFERENCES skills(id) ON DELETE RESTRICT,
  level INTEGER NOT NULL,
  PRIMARY KEY (agent_id, skill_id)
);
CREATE INDEX agent_skills_skill_id ON agent_skills(skill_id);
CREATE TABLE queues (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  strategy TEXT NOT NULL,
  service_level_seconds INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE queue_skills (
  queue_id TEXT NOT NULL REFERENCES queues(id) ON DELETE CASCADE,
  skill_id TEXT NOT NULL REFERENCES skills(id) ON DELETE RESTRICT,
  min_level INTEGER NOT NULL,
  PRIMARY KEY (queue_id, skill_id)
);
CREATE INDEX queue_skills_skill_id ON queue_skills(skill_id);
)sql";

constexpr std::string_view V1Postgres = R"sql(
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  role TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user_id ON sessions(user_id);
CREATE INDEX sessions_expires_at ON sessions(expires_at);
CREATE TABLE skills (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE agents (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  extension TEXT NOT NULL UNIQUE,
  sip_password TEXT NOT NULL,
  user_id TEXT REFERENCES users(id) ON DELETE SET NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX agents_user_id ON agents(user_id);
CREATE INDEX agents_created ON agents(created_at, id);
CREATE TABLE agent_skills (
  agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  skill_id TEXT NOT NULL REFERENCES skills(id) ON DELETE RESTRICT,
  level INTEGER NOT NULL,
  PRIMARY KEY (agent_id, skill_id)
);
CREATE INDEX agent_skills_skill_id ON agent_skills(skill_id);
CREATE TABLE queues (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  strategy TEXT NOT NULL,
  service_level_seconds INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE queue_skills (
  queue_id TEXT NOT NULL REFERENCES queues(id) ON DELETE CASCADE,
  skill_id TEXT NOT NULL REFERENCES skills(id) ON DELETE RESTRICT,
  min_level INTEGER NOT NULL,
  PRIMARY KEY (queue_id, skill_id)
);
CREATE INDEX queue_skills_skill_id ON queue_skills(skill_id);
)sql";

// Version 2: the personal-data vault (customers, their identifier tokens) and the hash-chained
// audit trail. Personal fields hold sealed values (privacy/field_cipher.h), never clear text.
constexpr std::string_view V2Sqlite = R"sql(
CREATE TABLE customers (
  id TEXT PRIMARY KEY,
  name TEXT,
  phones TEXT,
  id_number TEXT,
  accounts TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX customers_created ON customers(created_at, id);
CREATE TABLE customer_tokens (
  customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  token TEXT NOT NULL,
  kind TEXT NOT NULL,
  PRIMARY KEY (customer_id, token)
);
CREATE INDEX customer_tokens_token ON customer_tokens(token);
CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY,
  at_ms INTEGER NOT NULL,
  site TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  entity TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  field TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE TABLE audit_head (
  id INTEGER PRIMARY KEY,
  seq INTEGER NOT NULL,
  hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
  VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
)sql";

constexpr std::string_view V2Postgres = R"sql(
CREATE TABLE customers (
  id TEXT PRIMARY KEY,
  name TEXT,
  phones TEXT,
  id_number TEXT,
  accounts TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX customers_created ON customers(created_at, id);
CREATE TABLE customer_tokens (
  customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  token TEXT NOT NULL,
  kind TEXT NOT NULL,
  PRIMARY KEY (customer_id, token)
);
CREATE INDEX customer_tokens_token ON customer_tokens(token);
CREATE TABLE audit_log (
  seq BIGINT PRIMARY KEY,
  at_ms BIGINT NOT NULL,
  site TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  entity TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  field TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE TABLE audit_head (
  id INTEGER PRIMARY KEY,
  seq BIGINT NOT NULL,
  hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
  VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
)sql";

// Version 3: the site link's outbox (changes waiting for the far site's acknowledgement, numbered
// by a counter row so that numbers follow commit order without gaps) and the inbox positions
// (the last change applied per origin site and entity, for idempotent, ordered applying).
constexpr std::string_view V3Sqlite = R"sql(
CREATE TABLE sync_outbox (
  seq INTEGER PRIMARY KEY,
  entity_type TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  op TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE sync_counter (
  id INTEGER PRIMARY KEY,
  seq INTEGER NOT NULL
);
INSERT INTO sync_counter (id, seq) VALUES (1, 0);
CREATE TABLE sync_inbox (
  origin TEXT NOT NULL,
  entity_type TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  last_seq INTEGER NOT NULL,
  PRIMARY KEY (origin, entity_type, entity_id)
);
)sql";

constexpr std::string_view V3Postgres = R"sql(
CREATE TABLE sync_outbox (
  seq BIGINT PRIMARY KEY,
  entity_type TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  op TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE sync_counter (
  id INTEGER PRIMARY KEY,
  seq BIGINT NOT NULL
);
INSERT INTO sync_counter (id, seq) VALUES (1, 0);
CREATE TABLE sync_inbox (
  origin TEXT NOT NULL,
  entity_type TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  last_seq BIGINT NOT NULL,
  PRIMARY KEY (origin, entity_type, entity_id)
);
)sql";

// Version 4: every routing setting of a queue (its relaxation steps and overflow rules in child
// tables, ordered by `after_ms` and `position`), agents' chat capacity, entry points (dialed
// numbers and where their calls go) and call records (an append-only event log). Existing rows get
// the defaults routing used before they were stored. Durations are milliseconds. An overflow
// target is a queue id or an external pool's name, so it has no foreign key: the repository checks
// it. A call event's caller is a phone number (core-class): sealed, or on a site that may not hold
// it, NULL beside its token.
constexpr std::string_view V4Sqlite = R"sql(
ALTER TABLE queues ADD COLUMN max_size INTEGER NOT NULL DEFAULT 0;
ALTER TABLE queues ADD COLUMN wrap_up_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE queues ADD COLUMN alert_timeout_ms INTEGER NOT NULL DEFAULT 20000;
ALTER TABLE queues ADD COLUMN sticky_window_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE queues ADD COLUMN callback_timeout_ms INTEGER NOT NULL DEFAULT 60000;
ALTER TABLE queues ADD COLUMN short_abandon_ms INTEGER NOT NULL DEFAULT 5000;
ALTER TABLE queues ADD COLUMN callback_enabled INTEGER NOT NULL DEFAULT 1;
CREATE TABLE queue_relaxation_steps (
  queue_id TEXT NOT NULL REFERENCES queues(id) ON DELETE CASCADE,
  after_ms INTEGER NOT NULL,
  min_level INTEGER NOT NULL,
  PRIMARY KEY (queue_id, after_ms)
);
CREATE TABLE queue_overflow_rules (
  queue_id TEXT NOT NULL REFERENCES queues(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  after_wait_ms INTEGER NOT NULL,
  above_size INTEGER NOT NULL,
  target TEXT NOT NULL,
  PRIMARY KEY (queue_id, position)
);
CREATE INDEX queue_overflow_rules_target ON queue_overflow_rules(target);
ALTER TABLE agents ADD COLUMN chat_capacity INTEGER NOT NULL DEFAULT 3;
CREATE TABLE entry_points (
  id TEXT PRIMARY KEY,
  number TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  target_kind TEXT NOT NULL,
  target_id TEXT NOT NULL,
  greeting TEXT NOT NULL,
  priority INTEGER NOT NULL,
  enabled INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX entry_points_created ON entry_points(created_at, id);
CREATE INDEX entry_points_target ON entry_points(target_kind, target_id);
CREATE TABLE call_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  call_id TEXT NOT NULL,
  type TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  caller TEXT,
  caller_token TEXT,
  dialed TEXT NOT NULL,
  entry_point_id TEXT NOT NULL,
  queue_id TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  target TEXT NOT NULL,
  cause TEXT NOT NULL,
  detail TEXT NOT NULL,
  mos REAL,
  loss_pct REAL,
  jitter_ms REAL,
  round_trip_ms REAL
);
CREATE INDEX call_events_call_id ON call_events(call_id, seq);
CREATE INDEX call_events_at_ms ON call_events(at_ms);
)sql";

constexpr std::string_view V4Postgres = R"sql(
ALTER TABLE queues ADD COLUMN max_size BIGINT NOT NULL DEFAULT 0;
ALTER TABLE queues ADD COLUMN wrap_up_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE queues ADD COLUMN alert_timeout_ms BIGINT NOT NULL DEFAULT 20000;
ALTER TABLE queues ADD COLUMN sticky_window_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE queues ADD COLUMN callback_timeout_ms BIGINT NOT NULL DEFAULT 60000;
ALTER TABLE queues ADD COLUMN short_abandon_ms BIGINT NOT NULL DEFAULT 5000;
ALTER TABLE queues ADD COLUMN callback_enabled INTEGER NOT NULL DEFAULT 1;
CREATE TABLE queue_relaxation_steps (
  queue_id TEXT NOT NULL REFERENCES queues(id) ON DELETE CASCADE,
  after_ms BIGINT NOT NULL,
  min_level INTEGER NOT NULL,
  PRIMARY KEY (queue_id, after_ms)
);
CREATE TABLE queue_overflow_rules (
  queue_id TEXT NOT NULL REFERENCES queues(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  after_wait_ms BIGINT NOT NULL,
  above_size BIGINT NOT NULL,
  target TEXT NOT NULL,
  PRIMARY KEY (queue_id, position)
);
CREATE INDEX queue_overflow_rules_target ON queue_overflow_rules(target);
ALTER TABLE agents ADD COLUMN chat_capacity INTEGER NOT NULL DEFAULT 3;
CREATE TABLE entry_points (
  id TEXT PRIMARY KEY,
  number TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  target_kind TEXT NOT NULL,
  target_id TEXT NOT NULL,
  greeting TEXT NOT NULL,
  priority INTEGER NOT NULL,
  enabled INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX entry_points_created ON entry_points(created_at, id);
CREATE INDEX entry_points_target ON entry_points(target_kind, target_id);
CREATE TABLE call_events (
  seq BIGSERIAL PRIMARY KEY,
  call_id TEXT NOT NULL,
  type TEXT NOT NULL,
  at_ms BIGINT NOT NULL,
  caller TEXT,
  caller_token TEXT,
  dialed TEXT NOT NULL,
  entry_point_id TEXT NOT NULL,
  queue_id TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  target TEXT NOT NULL,
  cause TEXT NOT NULL,
  detail TEXT NOT NULL,
  mos DOUBLE PRECISION,
  loss_pct DOUBLE PRECISION,
  jitter_ms DOUBLE PRECISION,
  round_trip_ms DOUBLE PRECISION
);
CREATE INDEX call_events_call_id ON call_events(call_id, seq);
CREATE INDEX call_events_at_ms ON call_events(at_ms);
)sql";

// The routing event log, from which a restarted site rebuilds its contact-center figures.
constexpr std::string_view V5Sqlite = R"sql(
CREATE TABLE routing_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  interaction_id TEXT NOT NULL,
  queue_id TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  target TEXT NOT NULL,
  channel TEXT NOT NULL,
  state TEXT NOT NULL,
  reason TEXT NOT NULL
);
CREATE INDEX routing_events_at_ms ON routing_events(at_ms);
)sql";

constexpr std::string_view V5Postgres = R"sql(
CREATE TABLE routing_events (
  seq BIGSERIAL PRIMARY KEY,
  type TEXT NOT NULL,
  at_ms BIGINT NOT NULL,
  interaction_id TEXT NOT NULL,
  queue_id TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  target TEXT NOT NULL,
  channel TEXT NOT NULL,
  state TEXT NOT NULL,
  reason TEXT NOT NULL
);
CREATE INDEX routing_events_at_ms ON routing_events(at_ms);
)sql";

// Flow documents keep every saved version; a deletion is a row of its own (`deleted` = 1) so that
// the version numbers of a flow never repeat, even when it is deleted and saved again.
constexpr std::string_view V6Sqlite = R"sql(
CREATE TABLE flow_versions (
  flow_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  document TEXT NOT NULL,
  deleted INTEGER NOT NULL,
  saved_by TEXT NOT NULL,
  saved_at_ms INTEGER NOT NULL,
  PRIMARY KEY (flow_id, version)
);
)sql";

constexpr std::string_view V6Postgres = R"sql(
CREATE TABLE flow_versions (
  flow_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  document TEXT NOT NULL,
  deleted INTEGER NOT NULL,
  saved_by TEXT NOT NULL,
  saved_at_ms BIGINT NOT NULL,
  PRIMARY KEY (flow_id, version)
);
)sql";

// Wrap-ups, one per call and agent (a second one replaces the first), and the index a screen
// pop's history reads a returning caller's calls by.
constexpr std::string_view V7Sqlite = R"sql(
CREATE TABLE wrap_ups (
  call_id TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  queue_id TEXT NOT NULL,
  disposition TEXT NOT NULL,
  notes TEXT NOT NULL,
  PRIMARY KEY (call_id, agent_id)
);
CREATE INDEX call_events_caller_token ON call_events(caller_token, type, at_ms);
)sql";

constexpr std::string_view V7Postgres = R"sql(
CREATE TABLE wrap_ups (
  call_id TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  at_ms BIGINT NOT NULL,
  queue_id TEXT NOT NULL,
  disposition TEXT NOT NULL,
  notes TEXT NOT NULL,
  PRIMARY KEY (call_id, agent_id)
);
CREATE INDEX call_events_caller_token ON call_events(caller_token, type, at_ms);
)sql";

constexpr std::array<Migration, 7> All{{
    {1, "users, sessions, skills, agents, queues", V1Sqlite, V1Postgres},
    {2, "customers, customer tokens, audit trail", V2Sqlite, V2Postgres},
    {3, "site link outbox and inbox", V3Sqlite, V3Postgres},
    {4, "queue routing settings, chat capacity, entry points, call records", V4Sqlite, V4Postgres},
    {5, "routing event log", V5Sqlite, V5Postgres},
    {6, "IVR flow versions", V6Sqlite, V6Postgres},
    {7, "wrap-ups, call records by caller token", V7Sqlite, V7Postgres},
}};

}  // namespace

std::span<const Migration> migrations() { return All; }

}  // namespace kefu::store::internal
