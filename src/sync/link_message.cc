#include "sync/link_message.h"

#include <nlohmann/json.hpp>

namespace kefu::sync {
namespace {

using Json = nlohmann::json;

bool isName(std::string_view s, std::size_t max) {
  if (s.empty() || s.size() > max) {
    return false;
  }
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-')) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string encodeLinkMessage(const LinkMessage& m) {
  Json j{{"v", 1},
         {"origin", m.origin},
         {"seq", m.seq},
         {"entity_type", m.entity_type},
         {"entity_id", m.entity_id},
         {"op", m.op},
         {"payload", m.payload},
         {"at_ms", m.at_ms},
         {"base", m.base}};
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Result<LinkMessage> decodeLinkMessage(std::string_view bytes) {
  if (bytes.size() > MaxLinkMessageBytes) {
    return Error::invalid("message",
                          "larger than " + std::to_string(MaxLinkMessageBytes) + " bytes");
  }
  Json j = Json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Error::invalid("message", "not a JSON object");
  }
  auto text = [&](const char* key, std::string& out) -> bool {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) {
      return false;
    }
    out = it->get<std::string>();
    return true;
  };
  auto integer = [&](const char* key, std::int64_t& out) -> bool {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number_integer()) {
      return false;
    }
    out = it->get<std::int64_t>();
    return out >= 0;
  };
  std::int64_t version = 0;
  if (!integer("v", version) || version != 1) {
    return Error::invalid("v", "must be 1");
  }
  LinkMessage m;
  if (!text("origin", m.origin) || !isName(m.origin, 63)) {
    return Error::invalid("origin", "must be a site name");
  }
  if (!integer("seq", m.seq) || m.seq == 0) {
    return Error::invalid("seq", "must be a positive integer");
  }
  if (!text("entity_type", m.entity_type) || !isName(m.entity_type, 63)) {
    return Error::invalid("entity_type", "must be a name");
  }
  if (!text("entity_id", m.entity_id) || !isName(m.entity_id, 128)) {
    return Error::invalid("entity_id", "must be an id");
  }
  if (!text("op", m.op) || (m.op != "upsert" && m.op != "delete")) {
    return Error::invalid("op", "must be upsert or delete");
  }
  if (!text("payload", m.payload)) {
    return Error::invalid("payload", "must be a string");
  }
  if (!integer("at_ms", m.at_ms)) {
    return Error::invalid("at_ms", "must be a non-negative integer");
  }
  if (!integer("base", m.base) || m.base >= m.seq) {
    return Error::invalid("base", "must be a non-negative integer below seq");
  }
  return m;
}

}  // namespace kefu::sync
