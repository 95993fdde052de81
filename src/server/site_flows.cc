#include "server/site_flows.h"

#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>

#include "ivr/flow_loader.h"

namespace kefu::server {
namespace {

/** @return the 1-based line of the document's top-level `name:` key, 0 when it has none. */
int nameLine(std::string_view yaml) {
  int line = 1;
  for (std::size_t at = 0; at < yaml.size(); ++line) {
    auto end = yaml.find('\n', at);
    if (end == std::string_view::npos) {
      end = yaml.size();
    }
    if (yaml.substr(at, end - at).starts_with("name:")) {
      return line;
    }
    at = end + 1;
  }
  return 0;
}

/** Flow ids appear in URLs, entry-point targets and file names: keep them plain. */
bool validId(std::string_view id) {
  if (id.empty() || id.size() > 64) {
    return false;
  }
  for (char c : id) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '_';
    if (!plain) {
      return false;
    }
  }
  return true;
}

std::int64_t modifiedAtMs(const std::filesystem::path& file) {
  std::error_code ec;
  const auto written = std::filesystem::last_write_time(file, ec);
  if (ec) {
    return 0;
  }
  const auto system = std::chrono::file_clock::to_sys(written);
  return std::chrono::duration_cast<std::chrono::milliseconds>(system.time_since_epoch()).count();
}

}  // namespace

SiteFlows::SiteFlows(ivr::FlowDocumentRepository& repository, const TimeSource& time,
                     std::filesystem::path flows_dir, Install install, Uninstall uninstall)
    : repository_(repository),
      time_(time),
      flows_dir_(std::move(flows_dir)),
      install_(std::move(install)),
      uninstall_(std::move(uninstall)) {}

ivr::LoadedFlow SiteFlows::load(std::string_view id, std::string_view yaml) const {
  ivr::LoadOptions options;
  options.prompt_exists = [](const std::string& file) {
    std::error_code ignored;
    return std::filesystem::is_regular_file(file, ignored);
  };
  // Relative prompt files are found next to the flow files, wherever the document came from.
  const auto source = (flows_dir_ / (std::string(id) + ".yaml")).string();
  auto loaded = ivr::loadFlow(yaml, source, options);
  if (!validId(id)) {
    loaded.errors.insert(loaded.errors.begin(),
                         {0, "the flow id must be 1 to 64 letters, digits, '-' or '_'"});
  } else if (loaded.flow && !loaded.flow->name.empty() && loaded.flow->name != id) {
    loaded.errors.push_back({nameLine(yaml), "the flow is named " + loaded.flow->name +
                                                 " but is saved as " + std::string(id)});
  }
  if (!loaded.errors.empty()) {
    loaded.flow = nullptr;
  }
  return loaded;
}

ivr::FlowPtr SiteFlows::importFile(const std::filesystem::path& file) {
  const auto id = file.stem().string();
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) {
    spdlog::error("flows: cannot read {}", file.string());
    return nullptr;
  }
  auto last_change = repository_.lastChangeAt(id);
  if (!last_change) {
    spdlog::error("flows: {}: {}", id, last_change.error().message);
    return nullptr;
  }
  if (*last_change >= modifiedAtMs(file)) {
    return nullptr;  // saved (or deleted) through the API after the file was written: that wins
  }
  const auto yaml = text.str();
  auto loaded = load(id, yaml);
  if (!loaded.flow) {
    for (const auto& problem : loaded.errors) {
      spdlog::error("flows: {} (skipped)", ivr::format(problem, file.string()));
    }
    return nullptr;
  }
  auto saved = repository_.save(id, yaml, "file:" + file.filename().string(),
                                toUnixMillis(time_.systemTime()));
  if (!saved) {
    spdlog::error("flows: saving {}: {}", file.string(), saved.error().message);
    return nullptr;
  }
  spdlog::info("flows: {} saved as version {} of {}", file.string(), saved->version, id);
  return std::move(loaded.flow);
}

std::vector<std::pair<std::filesystem::path, std::int64_t>> SiteFlows::changedFiles() {
  std::vector<std::pair<std::filesystem::path, std::int64_t>> changed;
  std::error_code ec;
  if (!std::filesystem::is_directory(flows_dir_, ec)) {
    return changed;
  }
  for (const auto& entry : std::filesystem::directory_iterator(flows_dir_, ec)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".yaml") {
      continue;
    }
    const auto modified = modifiedAtMs(entry.path());
    auto& seen = seen_[entry.path()];
    if (seen != modified) {
      seen = modified;
      changed.emplace_back(entry.path(), modified);
    }
  }
  return changed;
}

int SiteFlows::rescan() {
  std::lock_guard lock(files_mutex_);
  int installed = 0;
  for (const auto& [file, modified] : changedFiles()) {
    if (auto flow = importFile(file)) {
      install_(file.stem().string(), std::move(flow));
      ++installed;
    }
  }
  return installed;
}

Result<int> SiteFlows::start() {
  {
    std::lock_guard lock(files_mutex_);
    for (const auto& [file, modified] : changedFiles()) {
      importFile(file);  // installed below with every stored flow
    }
  }
  auto stored = repository_.list();
  if (!stored) {
    return stored.error();
  }
  int installed = 0;
  for (const auto& document : *stored) {
    auto loaded = load(document.id, document.yaml);
    if (!loaded.flow) {
      // A prompt file may have gone since the save: say so and leave the flow out.
      for (const auto& problem : loaded.errors) {
        spdlog::error("flows: version {} of {}: {}", document.version, document.id,
                      ivr::format(problem, document.id));
      }
      continue;
    }
    install_(document.id, std::move(loaded.flow));
    ++installed;
  }
  return installed;
}

Result<std::vector<ivr::FlowDocument>> SiteFlows::list() { return repository_.list(); }

Result<ivr::FlowDocument> SiteFlows::current(std::string_view id) {
  return repository_.current(id);
}

Result<ivr::FlowDocument> SiteFlows::version(std::string_view id, int version) {
  return repository_.version(id, version);
}

Result<std::vector<ivr::FlowDocument>> SiteFlows::versions(std::string_view id) {
  return repository_.versions(id);
}

std::vector<ivr::Diagnostic> SiteFlows::check(std::string_view id, std::string_view yaml) {
  return load(id, yaml).errors;
}

Result<ivr::FlowDocument> SiteFlows::save(std::string_view id, std::string_view yaml,
                                          std::string_view saved_by) {
  auto loaded = load(id, yaml);
  if (!loaded.flow) {
    return ivr::toResult(std::move(loaded), id).error();
  }
  auto saved = repository_.save(id, yaml, saved_by, toUnixMillis(time_.systemTime()));
  if (!saved) {
    return saved.error();
  }
  install_(saved->id, std::move(loaded.flow));
  spdlog::info("flows: {} saved version {} of {}", saved_by, saved->version, saved->id);
  return saved;
}

Result<void> SiteFlows::remove(std::string_view id, std::string_view removed_by) {
  KEFU_TRY(repository_.remove(id, removed_by, toUnixMillis(time_.systemTime())));
  uninstall_(std::string(id));
  spdlog::info("flows: {} deleted {}", removed_by, id);
  return {};
}

}  // namespace kefu::server
