#include "store/schema.h"

#include <array>

namespace kefu::store {
namespace {

using privacy::DataClass;

// Staff accounts, agent seats, skills and queues are the contact center's own configuration, not
// customer personal or financial data, so they are all operational: the edge site may hold them.
// (password_hash and sip_password are secrets, but secrecy is the API's job, not residency's.)
constexpr auto O = DataClass::Operational;

constexpr std::array<ColumnClass, 35> Columns{{
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
}};

}  // namespace

std::span<const ColumnClass> schemaColumns() { return Columns; }

}  // namespace kefu::store
