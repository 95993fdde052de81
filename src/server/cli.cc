#include "server/cli.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <deque>
#include <exception>
#include <fstream>
#include <iostream>
#include <sstream>

#include "core/log.h"
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
  for (auto add : {addServeCommand, addCheckConfigCommand, addMigrateCommand, addVersionCommand,
                   addConfigDocCommand}) {
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
