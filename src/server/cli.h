#pragma once

#include <memory>

#include "core/result.h"
#include "server/config.h"

namespace CLI {
class App;
}  // namespace CLI

namespace kefu::server {

/**
 * The `kefu` command line: parses `argv`, runs one subcommand and @return the process exit code
 * (0 success, 1 failure at run time, 2 bad usage or bad configuration). Runs on the main thread.
 *
 * Each subcommand is one `add…Command(CLI::App&, int& exit_code)` function in cli.cc, listed in
 * `runCli`; one that needs the site's configuration calls `addConfigOptions` on its CLI::App.
 */
int runCli(int argc, char** argv);

/** The configuration options of one subcommand, filled when the command line is parsed. */
class ConfigOptions {
 public:
  virtual ~ConfigOptions() = default;
  /** @return the configuration from -c, the environment `env`, and the flags, in that order. */
  [[nodiscard]] virtual Result<Config> load(const Environment& env) const = 0;
};

/**
 * Adds to `command`: -c/--config FILE, one flag per configuration key (`--http-listen`) and
 * repeatable `--set key=value`. @return the parsed options, valid once the app has parsed.
 */
std::shared_ptr<const ConfigOptions> addConfigOptions(CLI::App& command);

}  // namespace kefu::server
