#include "store/schema.h"

#include <array>

namespace kefu::store {
namespace {

using privacy::DataClass;

// Staff accounts, agent seats, skills and queues are the contact center's own configuration, not
// customer personal or financial data, so they are all operational: the edge site may hold them.
// (password_hash and sip_password are secrets, but secrecy is the API's job, not residency's.)
constexpr auto O = DataClass::Operational;
// Customers' personal fields are core-class: they stay on the core site, sealed at rest. Tokens
// and audit records identify nobody without the core site's keys, so they are operational.
constexpr auto C = DataClass::Core;

constexpr std::array<ColumnClass, 135> Columns{{
    {"users", "id", O},
    {"users", "username", O},
    {"users", "display_name", O},
    {"users", "role", O},
    {"users", "password_hash", O},
    {"users", "created_at", O},
    {"users", "updated_at", O},
    {"sessions", "token_hash", O},
    {"sessions", "user_id", O},
    {"sessions", "created_at", O},
    {"sessions", "expires_at", O},
    {"skills", "id", O},
    {"skills", "name", O},
    {"skills", "description", O},
    {"skills", "created_at", O},
    {"skills", "updated_at", O},
    {"agents", "id", O},
    {"agents", "name", O},
    {"agents", "extension", O},
    {"agents", "sip_password", O},
    {"agents", "user_id", O},
    {"agents", "created_at", O},
    {"agents", "updated_at", O},
    {"agent_skills", "agent_id", O},
    {"agent_skills", "skill_id", O},
    {"agent_skills", "level", O},
    {"queues", "id", O},
    {"queues", "name", O},
    {"queues", "strategy", O},
    {"queues", "service_level_seconds", O},
    {"queues", "created_at", O},
    {"queues", "updated_at", O},
    {"queue_skills", "queue_id", O},
    {"queue_skills", "skill_id", O},
    {"queue_skills", "min_level", O},
    {"customers", "id", O},
    {"customers", "name", C},
    {"customers", "phones", C},
    {"customers", "id_number", C},
    {"customers", "accounts", C},
    {"customers", "created_at", O},
    {"customers", "updated_at", O},
    {"customer_tokens", "customer_id", O},
    {"customer_tokens", "token", O},
    {"customer_tokens", "kind", O},
    {"audit_log", "seq", O},
    {"audit_log", "at_ms", O},
    {"audit_log", "site", O},
    {"audit_log", "actor", O},
    {"audit_log", "action", O},
    {"audit_log", "entity", O},
    {"audit_log", "entity_id", O},
    {"audit_log", "field", O},
    {"audit_log", "prev_hash", O},
    {"audit_log", "hash", O},
    {"audit_head", "id", O},
    {"audit_head", "seq", O},
    {"audit_head", "hash", O},
    // The outbox holds what may cross the link: a customer's id and tokens, never its values.
    {"sync_outbox", "seq", O},
    {"sync_outbox", "entity_type", O},
    {"sync_outbox", "entity_id", O},
    {"sync_outbox", "op", O},
    {"sync_outbox", "payload", O},
    {"sync_outbox", "created_at", O},
    {"sync_counter", "id", O},
    {"sync_counter", "seq", O},
    {"sync_inbox", "origin", O},
    {"sync_inbox", "entity_type", O},
    {"sync_inbox", "entity_id", O},
    {"sync_inbox", "last_seq", O},
    // Version 4. Queue settings, chat capacity and entry points are configuration: operational.
    {"queues", "max_size", O},
    {"queues", "wrap_up_ms", O},
    {"queues", "alert_timeout_ms", O},
    {"queues", "sticky_window_ms", O},
    {"queues", "callback_timeout_ms", O},
    {"queues", "short_abandon_ms", O},
    {"queues", "callback_enabled", O},
    {"queue_relaxation_steps", "queue_id", O},
    {"queue_relaxation_steps", "after_ms", O},
    {"queue_relaxation_steps", "min_level", O},
    {"queue_overflow_rules", "queue_id", O},
    {"queue_overflow_rules", "position", O},
    {"queue_overflow_rules", "after_wait_ms", O},
    {"queue_overflow_rules", "above_size", O},
    {"queue_overflow_rules", "target", O},
    {"agents", "chat_capacity", O},
    {"entry_points", "id", O},
    {"entry_points", "number", O},
    {"entry_points", "name", O},
    {"entry_points", "target_kind", O},
    {"entry_points", "target_id", O},
    {"entry_points", "greeting", O},
    {"entry_points", "priority", O},
    {"entry_points", "enabled", O},
    {"entry_points", "created_at", O},
    {"entry_points", "updated_at", O},
    // A call record's caller is a customer's phone number: core-class, so an edge site keeps only
    // its token (which identifies nobody without the core site's key). The rest describes the
    // call itself: our own numbers, ids, times, causes and media quality.
    {"call_events", "seq", O},
    {"call_events", "call_id", O},
    {"call_events", "type", O},
    {"call_events", "at_ms", O},
    {"call_events", "caller", C},
    {"call_events", "caller_token", O},
    {"call_events", "dialed", O},
    {"call_events", "entry_point_id", O},
    {"call_events", "queue_id", O},
    {"call_events", "agent_id", O},
    {"call_events", "target", O},
    {"call_events", "cause", O},
    {"call_events", "detail", O},
    {"call_events", "mos", O},
    {"call_events", "loss_pct", O},
    {"call_events", "jitter_ms", O},
    {"call_events", "round_trip_ms", O},
    // The routing log names interactions, queues and agents by id, never a customer.
    {"routing_events", "seq", O},
    {"routing_events", "type", O},
    {"routing_events", "at_ms", O},
    {"routing_events", "interaction_id", O},
    {"routing_events", "queue_id", O},
    {"routing_events", "agent_id", O},
    {"routing_events", "target", O},
    {"routing_events", "channel", O},
    {"routing_events", "state", O},
    {"routing_events", "reason", O},
    // Flows are configuration; prompts name no customer.
    {"flow_versions", "flow_id", O},
    {"flow_versions", "version", O},
    {"flow_versions", "document", O},
    {"flow_versions", "deleted", O},
    {"flow_versions", "saved_by", O},
    {"flow_versions", "saved_at_ms", O},
    // Version 7. A wrap-up's disposition is a code from the contact center's own list; its notes
    // are the agent's free text about the customer's request: content, like transcripts.
    {"wrap_ups", "call_id", O},
    {"wrap_ups", "agent_id", O},
    {"wrap_ups", "at_ms", O},
    {"wrap_ups", "queue_id", O},
    {"wrap_ups", "disposition", O},
    {"wrap_ups", "notes", DataClass::Content},
}};

}  // namespace

std::span<const ColumnClass> schemaColumns() { return Columns; }

}  // namespace kefu::store
