#include "server/cli.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <deque>
#include <exception>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "core/log.h"
#include "ivr/flow_tool.h"
#include "privacy/audit_chain.h"
#include "privacy/key_ring.h"
#include "server/site.h"
#include "store/store.h"

namespace kefu::server {
namespace {

constexpr int ExitOk = 0;
constexpr int ExitFailure = 1;
constexpr int ExitUsage = 2;  // bad command line or bad configuration

/** The options `addConfigOptions` adds to one subcommand, and the values CLI11 stores in them. */
class ParsedConfigOptions final : public ConfigOptions {
 public:
  void addTo(CLI::App& command) {
    command.add_option("-c,--config", file_, "YAML configuration file (default: none)")
        ->type_name("FILE");
    command.add_option("--set", sets_, "Set any configuration key; repeatable, applied last")
        ->type_name("KEY=VALUE");
    for (const auto& key : configKeys()) {
      KeyFlag& flag = key_flags_.emplace_back(KeyFlag{&key, key.flag(), {}, nullptr});
      std::string help = fmt::format("{} [{}; {}]", key.doc, key.type, key.envVar());
      if (key.bare_flag_value.empty()) {
        flag.option = command.add_option(flag.name, flag.value, help)->type_name("VALUE");
      } else {
        flag.option = command.add_flag(fmt::format("{}{{{}}}", flag.name, key.bare_flag_value),
                                       flag.value, help);
      }
      flag.option->group("Configuration keys (docs/configuration.md)");
    }
  }

  Result<Config> load(const Environment& env) const override {
    std::vector<ConfigOverride> overrides;
    for (const auto& flag : key_flags_) {
      if (flag.option->count() > 0) {
        overrides.push_back({flag.name, std::string(flag.key->name), flag.value});
      }
    }
    for (const auto& assignment : sets_) {
      auto parsed = parseSetOverride(assignment);
      if (!parsed.ok()) {
        return parsed.error();
      }
      overrides.push_back(std::move(parsed).value());
    }
    std::optional<std::filesystem::path> file;
    if (!file_.empty()) {
      file = file_;
    }
    return loadConfig(file, env, overrides);
  }

 private:
  struct KeyFlag {
    const ConfigKey* key;
    std::string name;  // "--http-listen"
    std::string value;
    CLI::Option* option;
  };

  std::string file_;
  std::vector<std::string> sets_;
  std::deque<KeyFlag> key_flags_;  // a deque: CLI11 keeps pointers to each `value`
};

void printError(const Error& error) { std::cerr << "kefu: error: " << error.message << "\n"; }

/** @return the configuration, after warning about KEFU_* variables that look like typos. */
Result<Config> loadAndWarn(const ConfigOptions& options) {
  Environment env = currentEnvironment();
  auto config = options.load(env);
  if (config.ok()) {
    for (const auto& variable : ignoredEnvironmentVariables(env)) {
      std::cerr << "kefu: warning: " << variable << " is not a configuration variable; ignored\n";
    }
  }
  return config;
}

// One function per subcommand: `add…Command` declares it, the function beside it runs it.

int serve(const ConfigOptions& options) {
  auto config = loadAndWarn(options);
  if (!config.ok()) {
    printError(config.error());
    return ExitUsage;
  }
  return runSite(*config);  // the site applies log.level first
}

void addServeCommand(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand("serve", "Run a site until SIGTERM or SIGINT");
  auto options = addConfigOptions(*command);
  command->callback([options, &exit_code] { exit_code = serve(*options); });
}

int checkConfig(const ConfigOptions& options) {
  auto config = loadAndWarn(options);
  if (!config.ok()) {
    printError(config.error());
    return ExitUsage;
  }
  std::cout << "config OK\n" << formatConfigYaml(*config, /*mask_secrets=*/true);
  return ExitOk;
}

void addCheckConfigCommand(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand(
      "check-config", "Validate the configuration and print it, secrets masked (exit 2 if bad)");
  auto options = addConfigOptions(*command);
  command->callback([options, &exit_code] { exit_code = checkConfig(*options); });
}

int migrate(const ConfigOptions& options) {
  auto config = loadAndWarn(options);
  if (!config.ok()) {
    printError(config.error());
    return ExitUsage;
  }
  if (auto level = setLogLevel(toString(config->log.level)); !level.ok()) {
    printError(level.error());
    return ExitUsage;
  }
  auto store = store::openStore(config->storage.url,
                                {.pool_size = static_cast<std::size_t>(config->storage.pool_size)});
  if (!store.ok()) {
    printError(store.error());
    return ExitFailure;
  }
  auto applied = (*store)->migrate();
  if (!applied.ok()) {
    printError(applied.error());
    return ExitFailure;
  }
  auto version = (*store)->schemaVersion();
  if (!version.ok()) {
    printError(version.error());
    return ExitFailure;
  }
  std::cout << fmt::format("applied {} migration(s); schema version {}\n", *applied, *version);
  return ExitOk;
}

void addMigrateCommand(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand("migrate", "Apply the database migrations not yet applied");
  auto options = addConfigOptions(*command);
  command->callback([options, &exit_code] { exit_code = migrate(*options); });
}

/** @return the store `config` names, opened with the site's privacy options and migrated. */
Result<store::StorePtr> openMigratedStore(const Config& config) {
  auto options = privacyStoreOptions(config);
  if (!options) {
    return options.error();
  }
  auto store = store::openStore(config.storage.url, *options);
  if (!store) {
    return store.error();
  }
  auto applied = (*store)->migrate();
  if (!applied) {
    return applied.error();
  }
  return store;
}

/** Adds a data key, then re-encrypts every customer with it; old keys stay for old backups. */
int rotateKeys(const ConfigOptions& options) {
  auto config = loadAndWarn(options);
  if (!config.ok()) {
    printError(config.error());
    return ExitUsage;
  }
  if (config->site.role == SiteRole::Edge) {
    std::cerr << "kefu: error: an edge site holds no data keys to rotate\n";
    return ExitUsage;
  }
  const auto path = keyFilePath(*config);
  auto ring = privacy::KeyRing::load(path);
  if (!ring) {
    printError(ring.error());
    return ExitFailure;
  }
  // The new ring is saved before anything is re-encrypted, so every stored value opens whatever
  // happens next: an interrupted rotation is finished by running it again.
  auto next = ring->withNewDataKey();
  if (auto saved = next.save(path); !saved) {
    printError(saved.error());
    return ExitFailure;
  }
  auto store = openMigratedStore(*config);
  if (!store) {
    printError(store.error());
    return ExitFailure;
  }
  auto rewritten = (*store)->customers().reseal();
  if (!rewritten) {
    printError(rewritten.error());
    return ExitFailure;
  }
  std::cout << fmt::format(
      "data key {} is current ({} key(s) in {}); re-encrypted {} customer(s)\n",
      next.currentDataKeyId(), next.dataKeyCount(), path.string(), *rewritten);
  return ExitOk;
}

/** Writes a key file holding only the token key: what an edge site may hold. */
int exportTokenKey(const ConfigOptions& options, const std::string& out) {
  auto config = loadAndWarn(options);
  if (!config.ok()) {
    printError(config.error());
    return ExitUsage;
  }
  auto ring = privacy::KeyRing::load(keyFilePath(*config));
  if (!ring) {
    printError(ring.error());
    return ExitFailure;
  }
  if (!ring->hasTokenKey()) {
    std::cerr << "kefu: error: the key file holds no token key\n";
    return ExitFailure;
  }
  auto token_only = ring->tokenOnly();
  if (auto saved = token_only.save(out); !saved) {
    printError(saved.error());
    return ExitFailure;
  }
  std::cout << "wrote the token key to " << out << "\n";
  return ExitOk;
}

void addKeysCommand(CLI::App& app, int& exit_code) {
  auto* keys = app.add_subcommand("keys", "Manage the keys that protect personal data");
  keys->require_subcommand(1);
  auto* rotate = keys->add_subcommand(
      "rotate", "Add a data key and re-encrypt every customer's personal fields with it");
  auto rotate_options = addConfigOptions(*rotate);
  rotate->callback([rotate_options, &exit_code] { exit_code = rotateKeys(*rotate_options); });
  auto* export_token = keys->add_subcommand(
      "export-token", "Write a key file with only the token key, for an edge site");
  auto export_options = addConfigOptions(*export_token);
  auto out = std::make_shared<std::string>();
  export_token->add_option("--out", *out, "The file to write")->required()->type_name("FILE");
  export_token->callback(
      [export_options, out, &exit_code] { exit_code = exportTokenKey(*export_options, *out); });
}

/** Checks the audit chain; exit 1 naming every broken record. */
int verifyAudit(const ConfigOptions& options) {
  auto config = loadAndWarn(options);
  if (!config.ok()) {
    printError(config.error());
    return ExitUsage;
  }
  auto store = openMigratedStore(*config);
  if (!store) {
    printError(store.error());
    return ExitFailure;
  }
  auto verified = privacy::verifyAuditTrail((*store)->audit());
  if (!verified) {
    printError(verified.error());
    return ExitFailure;
  }
  if (verified->problems.empty()) {
    std::cout << fmt::format("audit trail intact: {} record(s)\n", verified->records);
    return ExitOk;
  }
  for (const auto& problem : verified->problems) {
    std::cout << fmt::format("record {}: {}\n", problem.seq, problem.what);
  }
  std::cout << fmt::format("audit trail BROKEN: {} problem(s) in {} record(s)\n",
                           verified->problems.size(), verified->records);
  return ExitFailure;
}

void addAuditCommand(CLI::App& app, int& exit_code) {
  auto* audit = app.add_subcommand("audit", "Check the audit trail of personal data");
  audit->require_subcommand(1);
  auto* verify = audit->add_subcommand(
      "verify", "Check every record's hash chain; exit 1 naming each edited or deleted record");
  auto options = addConfigOptions(*verify);
  verify->callback([options, &exit_code] { exit_code = verifyAudit(*options); });
}

/**
 * @return what of a site's `checksums` the link carries, for a site of `role` (core or edge):
 * customers, and the call records the edge owns: on the edge its own calls (which the store names
 * `call_event:own`), on the core its copies of them (`call_event`). The core's own calls stay home.
 */
std::vector<store::EntityChecksum> replicatedView(std::vector<store::EntityChecksum> checksums,
                                                  SiteRole role) {
  std::vector<store::EntityChecksum> out;
  for (auto& c : checksums) {
    if (c.entity_type == "call_event:own") {
      if (role == SiteRole::Edge) {
        c.entity_type = "call_event";
        out.push_back(std::move(c));
      }
    } else if (c.entity_type != "call_event" || role == SiteRole::Core) {
      out.push_back(std::move(c));
    }
  }
  return out;
}

/** Prints the outbox (what the peer has not acknowledged) and how far the inbox got. */
int syncStatus(const ConfigOptions& options) {
  auto config = loadAndWarn(options);
  if (!config.ok()) {
    printError(config.error());
    return ExitUsage;
  }
  auto store = openMigratedStore(*config);
  if (!store) {
    printError(store.error());
    return ExitFailure;
  }
  auto stats = (*store)->replication().outboxStats();
  auto checksums = (*store)->replication().checksums();
  if (!stats || !checksums) {
    printError(!stats ? stats.error() : checksums.error());
    return ExitFailure;
  }
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  std::cout << fmt::format("site {} ({}), peer {}\n", config->site.name,
                           toString(config->site.role),
                           config->sync.peer.empty() ? "none" : config->sync.peer);
  std::cout << fmt::format("outbox: {} change(s) waiting for the peer's acknowledgement",
                           stats->backlog);
  if (stats->backlog > 0) {
    std::cout << fmt::format(", oldest {} ms old", now - stats->oldest_at_ms);
  }
  std::cout << fmt::format("\nacknowledged through change {}; last change {}\n",
                           stats->acked_through, stats->last_seq);
  std::cout << fmt::format("replicated entities held: {}\n",
                           replicatedView(std::move(checksums).value(), config->site.role).size());
  std::cout << "link state, lag and rejections: GET /api/v1/sync/status or /metrics\n";
  return ExitOk;
}

/** Compares every replicated entity's checksum on this site and on the peer's database. */
int syncVerify(const ConfigOptions& options, const std::string& peer_url) {
  auto config = loadAndWarn(options);
  if (!config.ok()) {
    printError(config.error());
    return ExitUsage;
  }
  const SiteRole role = config->site.role;
  if (role != SiteRole::Core && role != SiteRole::Edge) {
    printError(Error::invalid("site.role",
                              "sync verify compares a core and an edge site: set "
                              "site.role (core or edge) for this site"));
    return ExitUsage;
  }
  auto store = openMigratedStore(*config);
  if (!store) {
    printError(store.error());
    return ExitFailure;
  }
  auto peer = store::openStore(peer_url);
  if (!peer) {
    printError(peer.error());
    return ExitFailure;
  }
  auto here_all = (*store)->replication().checksums();
  auto there_all = (*peer)->replication().checksums();
  if (!here_all || !there_all) {
    printError(!here_all ? here_all.error() : there_all.error());
    return ExitFailure;
  }
  const auto here = replicatedView(std::move(here_all).value(), role);
  const auto there = replicatedView(std::move(there_all).value(),
                                    role == SiteRole::Core ? SiteRole::Edge : SiteRole::Core);
  std::map<std::pair<std::string, std::string>, std::string> local;
  for (const auto& c : here) {
    local[{c.entity_type, c.entity_id}] = c.checksum;
  }
  std::size_t differences = 0;
  for (const auto& c : there) {
    auto it = local.find({c.entity_type, c.entity_id});
    if (it == local.end()) {
      std::cout << fmt::format("{} {}: only on the peer\n", c.entity_type, c.entity_id);
      ++differences;
      continue;
    }
    if (it->second != c.checksum) {
      std::cout << fmt::format("{} {}: differs\n", c.entity_type, c.entity_id);
      ++differences;
    }
    local.erase(it);
  }
  for (const auto& [key, checksum] : local) {
    std::cout << fmt::format("{} {}: only on this site\n", key.first, key.second);
    ++differences;
  }
  if (differences == 0) {
    std::cout << fmt::format("sync verify: {} entities, no difference\n", here.size());
    return ExitOk;
  }
  std::cout << fmt::format("sync verify: {} difference(s)\n", differences);
  return ExitFailure;
}

void addSyncCommand(CLI::App& app, int& exit_code) {
  auto* sync = app.add_subcommand("sync", "Inspect the site link between a core and an edge site");
  sync->require_subcommand(1);
  auto* status = sync->add_subcommand("status", "Print the outbox backlog and the inbox position");
  auto status_options = addConfigOptions(*status);
  status->callback([status_options, &exit_code] { exit_code = syncStatus(*status_options); });
  auto* verify = sync->add_subcommand(
      "verify", "Compare per-entity checksums with the peer's database; list every difference");
  auto verify_options = addConfigOptions(*verify);
  auto peer = std::make_shared<std::string>();
  verify->add_option("--peer-storage-url", *peer, "The peer site's storage.url (read only)")
      ->required()
      ->type_name("URL");
  verify->callback(
      [verify_options, peer, &exit_code] { exit_code = syncVerify(*verify_options, *peer); });
}

void addIvrCommand(CLI::App& app, int& exit_code) {
  auto* ivr = app.add_subcommand("ivr", "Check IVR flow files and try them in text mode");
  ivr->require_subcommand(1);
  auto* check =
      ivr->add_subcommand("check", "Validate flow files; each error with its line (exit 1)");
  auto files = std::make_shared<std::vector<std::string>>();
  check->add_option("FILE", *files, "Flow files (YAML)")->required()->type_name("FILE");
  check->callback(
      [files, &exit_code] { exit_code = ivr::checkFlowFiles(*files, std::cout, std::cerr); });
  auto* run = ivr->add_subcommand("try", "Run a flow in text mode, printing each step");
  auto options = std::make_shared<ivr::TryOptions>();
  run->add_option("FLOW", options->file, "Flow file (YAML)")->required()->type_name("FILE");
  run->add_option("--input", options->inputs,
                  "Caller inputs: keys, say:TEXT[@CONFIDENCE], wait, fail-speech, hangup")
      ->type_name("LIST");
  run->add_option("--http-stub", options->http_stub,
                  "Answer to every http node: JSON (200), STATUS[:BODY], fail or timeout")
      ->type_name("ANSWER");
  run->add_option("--at", options->at, "The time hours nodes see (UTC, default: now)")
      ->type_name("2026-11-24T03:00:00Z");
  run->add_option("--caller", options->caller, "The caller's number")->type_name("NUMBER");
  run->add_option("--dialed", options->dialed, "The dialed number")->type_name("NUMBER");
  run->callback(
      [options, &exit_code] { exit_code = ivr::tryFlowFile(*options, std::cout, std::cerr); });
}

void addVersionCommand(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand("version", "Print the version and the commit");
  command->callback([&exit_code] {
    std::cout << "kefu " << KEFU_VERSION << " (" << KEFU_COMMIT << ")\n";
    exit_code = ExitOk;
  });
}

/** Prints the generated part of docs/configuration.md, or rewrites it in `file`. */
int configDoc(const std::string& file) {
  if (file.empty()) {
    std::cout << configReferenceMarkdown();
    return ExitOk;
  }
  std::stringstream text;
  if (std::ifstream in(file, std::ios::binary); in) {
    text << in.rdbuf();
  } else {
    std::cerr << "kefu: error: cannot read " << file << "\n";
    return ExitFailure;
  }
  auto updated = updateConfigReference(text.str());
  if (!updated.ok()) {
    std::cerr << "kefu: error: " << file << ": " << updated.error().message << "\n";
    return ExitFailure;
  }
  if (*updated != text.str()) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << *updated;
    if (!out) {
      std::cerr << "kefu: error: cannot write " << file << "\n";
      return ExitFailure;
    }
    std::cout << "updated " << file << "\n";
  }
  return ExitOk;
}

void addConfigDocCommand(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand("config-doc", "Print the configuration reference (Markdown)");
  command->group("");  // hidden: for maintainers
  auto file = std::make_shared<std::string>();
  command->add_option("--write", *file, "Rewrite the generated part of this file instead")
      ->type_name("FILE");
  command->callback([file, &exit_code] { exit_code = configDoc(*file); });
}

}  // namespace

std::shared_ptr<const ConfigOptions> addConfigOptions(CLI::App& command) {
  auto options = std::make_shared<ParsedConfigOptions>();
  options->addTo(command);
  return options;
}

int runCli(int argc, char** argv) {
  CLI::App app{"Kefu: an open-source contact center", "kefu"};
  app.require_subcommand(1);
  app.footer("Configuration keys, precedence and examples: docs/configuration.md");
  int exit_code = ExitOk;
  for (auto add :
       {addServeCommand, addCheckConfigCommand, addMigrateCommand, addKeysCommand, addAuditCommand,
        addSyncCommand, addIvrCommand, addVersionCommand, addConfigDocCommand}) {
    add(app, exit_code);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? ExitOk : ExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "kefu: error: " << e.what() << "\n";
    return ExitFailure;
  }
  return exit_code;
}

}  // namespace kefu::server
