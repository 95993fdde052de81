#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace kefu::server {

/** What a site runs and owns; see docs/architecture.md, "Sites and roles". */
enum class SiteRole { All, Core, Edge };
std::string_view toString(SiteRole role);

enum class LogLevel { Trace, Debug, Info, Warn, Error, Off };
/** @return the name `setLogLevel()` accepts ("info", "warn", ...). */
std::string_view toString(LogLevel level);

/** A listening address. An IPv6 host is kept without brackets. Port 0 means any free port. */
struct HostPort {
  std::string host;
  std::uint16_t port = 0;

  /** @return "host:port", with brackets around an IPv6 host. */
  std::string toString() const;
  bool operator==(const HostPort&) const = default;
};

/**
 * A site's configuration. The member initializers are the defaults; every member is described,
 * parsed and validated by its entry in `configKeys()` (config.cc), from which the YAML reader,
 * the KEFU_* environment variables, the command-line flags and docs/configuration.md all derive.
 * Adding a key: a member here, one entry in that table, then `kefu config-doc --write`.
 */
struct Config {
  struct Site {
    std::string name = "kefu";
    SiteRole role = SiteRole::All;
    bool operator==(const Site&) const = default;
  };
  struct Http {
    HostPort listen{"127.0.0.1", 8080};
    int threads = 2;
    std::size_t max_body_bytes = 1048576;
    bool operator==(const Http&) const = default;
  };
  struct Sip {
    bool enabled = true;
    HostPort listen{"127.0.0.1", 5060};
    std::string advertised_address;  // empty: listen's host
    std::string tls_listen;          // "host:port"; empty: no TLS listener
    std::string tls_certificate_dir;
    std::string realm = "kefu";
    std::string trunks;      // comma-separated source addresses; empty: any source
    std::string trunk_user;  // a trunk known by digest credentials instead; empty: none
    std::optional<std::string> trunk_password;
    bool operator==(const Sip&) const = default;
  };
  struct Calls {
    int max_calls = 2000;
    int cpu_budget = 85;             // percent of all cores; 0: no CPU budget
    int max_pending_invites = 300;   // INVITEs waiting for call control; 0: no limit
    std::string callback_key = "*";  // one DTMF key; empty: no callback offer
    std::chrono::seconds retry_after = std::chrono::seconds(10);
    std::chrono::seconds ring_timeout = std::chrono::seconds(30);
    std::string gateway;  // "host:port" of the outbound SIP gateway; empty: none
    std::string gateway_user;
    std::optional<std::string> gateway_password;
    std::string music_on_hold;  // a WAV file; empty: the built-in melody
    std::string recording_dir = "var/recordings";
    bool record = false;
    std::string entry_points;  // a YAML file of entry points loaded at start; empty: none
    bool operator==(const Calls&) const = default;
  };
  struct Media {
    int threads = 0;  // 0: one per core
    std::string bind_address = "127.0.0.1";
    std::string advertised_address;  // empty: bind_address
    int port_min = 20000;
    int port_max = 29999;
    std::string codecs = "opus,g722,pcmu,pcma";
    std::chrono::seconds rtp_timeout = std::chrono::seconds(30);
    std::chrono::seconds quality_interval = std::chrono::seconds(5);
    bool operator==(const Media&) const = default;
  };
  struct Storage {
    std::string url = "sqlite:var/kefu.db";
    int pool_size = 4;
    bool operator==(const Storage&) const = default;
  };
  struct Log {
    LogLevel level = LogLevel::Info;
    bool operator==(const Log&) const = default;
  };
  struct Auth {
    std::optional<std::string> admin_password;  // when set, the admin user is created or reset
    std::chrono::seconds token_ttl = std::chrono::hours(12);
    bool operator==(const Auth&) const = default;
  };
  struct Events {
    std::size_t buffer = 1024;  // messages queued per WebSocket subscriber before it is closed
    bool operator==(const Events&) const = default;
  };
  struct Web {
    std::string root = "web/dist";  // the built web app; relative to the working directory
    bool operator==(const Web&) const = default;
  };
  struct Demo {
    bool seed = false;
    bool operator==(const Demo&) const = default;
  };
  struct Privacy {
    std::string key_file;       // empty: kefu.keys beside a SQLite database, else var/kefu.keys
    std::string field_classes;  // residency overrides: `customers.accounts=core,…`
    bool operator==(const Privacy&) const = default;
  };

  struct Ivr {
    std::string flows_dir = "deploy/flows";  // every *.yaml is a flow, loaded at start
    std::string default_queue = "general";   // where a flow's failures go (a queue name or id)
    std::string tts_cache_dir;               // rendered prompts kept on disk; empty: memory only
    bool operator==(const Ivr&) const = default;
  };

  Site site;
  Http http;
  Sip sip;
  Calls calls;
  Media media;
  Storage storage;
  Log log;
  Auth auth;
  Events events;
  Web web;
  Demo demo;
  Privacy privacy;
  Ivr ivr;
  struct Sync {
    std::string nats_url;  // this site's nats-server; empty: no site link
    std::string peer;      // the far site's name (its JetStream domain)
    bool operator==(const Sync&) const = default;
  } sync;

  bool operator==(const Config&) const = default;
};

/** One configuration key: the single description every source and the documentation use. */
struct ConfigKey {
  std::string_view name;  // dotted YAML path, "http.listen"
  std::string type;       // for people: "integer 1–64", "host:port"
  std::string_view doc;   // one sentence for docs/configuration.md
  bool secret = false;    // printed as *** and never echoed in an error message
  std::string_view
      bare_flag_value;  // what `--demo-seed` alone means; empty: the flag needs a value
  /** Parses, validates and stores `text`; @return an error whose message says what is expected. */
  std::function<Result<void>(Config&, std::string_view text)> set;
  /** @return the value as text `set` accepts, or nullopt when an optional key is unset. */
  std::function<std::optional<std::string>(const Config&)> get;

  /** @return the environment variable: "KEFU_HTTP_LISTEN". */
  std::string envVar() const;
  /** @return the command-line flag: "--http-listen". */
  std::string flag() const;
};

/** @return the key file `config` uses: privacy.key_file, or its default for the storage. */
std::filesystem::path keyFilePath(const Config& config);

/** @return every key, in documentation order. */
std::span<const ConfigKey> configKeys();
/** @return the key named `name` ("http.listen"), or nullptr. */
const ConfigKey* findConfigKey(std::string_view name);

/** Environment variables by name; passed in so that loading is testable. */
using Environment = std::map<std::string, std::string, std::less<>>;
/** @return this process's environment. */
Environment currentEnvironment();

/** One value given on the command line, by a per-key flag or by `--set key=value`. */
struct ConfigOverride {
  std::string source;  // what the user typed, for error messages: "--http-listen", "--set"
  std::string key;     // "http.listen"
  std::string value;
};
/** @return the override for `--set key=value`, or an error when `assignment` has no '='. */
[[nodiscard]] Result<ConfigOverride> parseSetOverride(std::string_view assignment);

/**
 * Builds the configuration: defaults < YAML `file` < KEFU_* variables in `env` < `overrides`
 * (applied in order). Unknown keys in the file or the overrides are errors; variables of `env`
 * that name no key are ignored (see `ignoredEnvironmentVariables`).
 * @return InvalidArgument whose `field` is the key and whose message starts with where the bad
 * value came from: "kefu.yaml:7: http.listne: unknown key", "KEFU_HTTP_THREADS: http.threads: ...".
 */
[[nodiscard]] Result<Config> loadConfig(const std::optional<std::filesystem::path>& file,
                                        const Environment& env,
                                        const std::vector<ConfigOverride>& overrides = {});

/**
 * @return the KEFU_* variables of `env` that look like configuration (their first word is a
 * section, as in KEFU_HTTP_LISTNE) but name no key: probably typos, worth a warning.
 */
std::vector<std::string> ignoredEnvironmentVariables(const Environment& env);

/** @return `config` as YAML that `loadConfig` reads back; secrets as "***" when `mask_secrets`. */
std::string formatConfigYaml(const Config& config, bool mask_secrets = true);

/** @return the generated part of docs/configuration.md: the key table and a full example. */
std::string configReferenceMarkdown();

/** The markers around the generated part of docs/configuration.md. */
inline constexpr std::string_view ConfigDocBegin = "<!-- BEGIN GENERATED by `kefu config-doc` -->";
inline constexpr std::string_view ConfigDocEnd = "<!-- END GENERATED -->";

/**
 * @return `document` with the text between the markers replaced by `configReferenceMarkdown()`,
 * or an error when a marker is missing.
 */
[[nodiscard]] Result<std::string> updateConfigReference(std::string_view document);

}  // namespace kefu::server
