#include "server/site.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>

#include "api/http_server.h"
#include "api/json_writer.h"
#include "api/rest_api.h"
#include "auth/authenticator.h"
#include "core/blocking_pool.h"
#include "core/event_bus.h"
#include "core/log.h"
#include "core/time_source.h"
#include "crm/identity.h"
#include "interaction/contact_center.h"
#include "privacy/key_ring.h"
#include "server/demo_data.h"
#include "server/link_store.h"
#include "server/routing_log_writer.h"
#include "server/site_calls.h"
#include "server/site_flows.h"
#include "server/site_media.h"
#include "stats/metrics.h"
#include "store/store.h"
#include "sync/site_link.h"

#ifndef KEFU_VERSION
#define KEFU_VERSION "0.0.0"
#endif
#ifndef KEFU_COMMIT
#define KEFU_COMMIT "unknown"
#endif

namespace kefu::server {

namespace {

/** @return a routing event as the event stream shows it. */
DomainEvent routingDomainEvent(const acd::RoutingEvent& e) {
  std::string payload;
  api::JsonWriter w(payload);
  w.beginObject();
  if (e.type == acd::RoutingEventType::AgentStateChanged) {
    w.key("agent_id").value(e.agent_id).key("state").value(acd::toString(e.state));
    w.key("reason").valueOrNull(e.reason).endObject();
    return {0, "agent.state_changed", e.agent_id, 0, std::move(payload)};
  }
  w.key("interaction_id").value(e.interaction_id).key("queue_id").valueOrNull(e.queue_id);
  w.key("agent_id").valueOrNull(e.agent_id).key("target").valueOrNull(e.target);
  w.key("channel").value(acd::toString(e.channel)).key("reason").valueOrNull(e.reason);
  w.endObject();
  return {0, "interaction." + std::string(acd::toString(e.type)), e.interaction_id, 0,
          std::move(payload)};
}

/** Puts every stored queue into routing. */
Result<void> addStoredQueues(store::Store& store, interaction::ContactCenter& contact_center) {
  auto queues = store.queues().list();
  if (!queues) {
    return queues.error();
  }
  for (auto& queue : *queues) {
    KEFU_TRY(contact_center.addQueue(queue));  // with every stored routing setting
  }
  return {};
}

/** How far back a restarted site rebuilds its figures: the longest window the figure API
 *  serves (a month of quarter hours). */
constexpr std::int64_t FigureHistoryMs = 31LL * 86'400'000;

/** Rebuilds the contact-center figures from the stored routing log of the last month. */
Result<void> restoreFigures(store::Store& store, interaction::ContactCenter& contact_center,
                            const TimeSource& time) {
  auto log = store.routingLog().since(toUnixMillis(time.systemTime()) - FigureHistoryMs);
  if (!log) {
    return log.error();
  }
  const std::size_t replayed = contact_center.restoreFigures(*log);
  if (replayed > 0) {
    spdlog::info("figures: rebuilt from {} stored routing event(s)", replayed);
  }
  return {};
}

privacy::SiteKind siteKind(SiteRole role) {
  switch (role) {
    case SiteRole::Core:
      return privacy::SiteKind::Core;
    case SiteRole::Edge:
      return privacy::SiteKind::Edge;
    case SiteRole::All:
      break;
  }
  return privacy::SiteKind::All;
}

}  // namespace

Result<store::StoreOptions> privacyStoreOptions(const Config& config) {
  store::StoreOptions options{static_cast<std::size_t>(config.storage.pool_size)};
  auto overrides = privacy::ResidencyPolicy::parseOverrides(config.privacy.field_classes);
  if (!overrides) {
    return overrides.error();
  }
  options.residency = {siteKind(config.site.role), std::move(overrides).value()};
  // Core and edge sites each own entities the other replicates: their changes go to the outbox.
  options.outbox = config.site.role != SiteRole::All;
  const auto path = keyFilePath(config);
  std::error_code ec;
  if (config.site.role == SiteRole::Edge) {
    // An edge site never holds data keys; a token key lets it recognise returning callers.
    if (!std::filesystem::exists(path, ec)) {
      return options;
    }
    auto ring = privacy::KeyRing::load(path);
    if (!ring) {
      return ring.error();
    }
    if (ring->dataKeyCount() > 0) {
      return Error::invalid("privacy.key_file",
                            path.string() +
                                " holds data keys: an edge site may hold only the "
                                "token key (kefu keys export-token)");
    }
    if (ring->hasTokenKey()) {
      options.tokenizer = std::make_shared<privacy::Tokenizer>(ring->tokenKey());
    }
    return options;
  }
  auto ring = privacy::loadOrCreateKeyRing(path);
  if (!ring) {
    return ring.error();
  }
  if (ring->currentDataKeyId() == 0 || !ring->hasTokenKey()) {
    return Error::invalid("privacy.key_file",
                          path.string() + " needs a token key and a data key on a " +
                              std::string(toString(config.site.role)) + " site");
  }
  options.tokenizer = std::make_shared<privacy::Tokenizer>(ring->tokenKey());
  options.cipher = std::make_shared<privacy::FieldCipher>(std::move(ring).value());
  return options;
}

/** Everything a site owns, in construction order (destroyed in reverse). */
struct Site::Parts {
  RealTimeSource time;
  store::StorePtr store;
  EventBus events;
  std::unique_ptr<stats::Metrics> metrics;
  std::unique_ptr<SiteMedia> media;
  std::unique_ptr<auth::Authenticator> authenticator;
  std::unique_ptr<RoutingLogWriter> routing_log;  // before the contact center that feeds it
  std::unique_ptr<interaction::ContactCenter> contact_center;
  std::unique_ptr<BlockingPool> pool;
  std::unique_ptr<SiteSoftphones> softphones;  // before the calls and the server that use it
  std::unique_ptr<SiteCalls> calls;            // after the pool and the contact center it uses
  std::unique_ptr<SiteFlows> stored_flows;     // a site without calls: flows kept, not run
  std::unique_ptr<crm::IdentityDesk> identity_desk;  // the owner's: before the link that asks it
  std::unique_ptr<LinkStore> link_store;
  std::unique_ptr<sync::SiteLink> link;
  std::unique_ptr<LinkIdentityClient> link_identity;  // an edge's: after the link it asks through
  std::unique_ptr<api::RestApi> api;
  std::unique_ptr<api::HttpServer> http;
};

Result<std::unique_ptr<Site>> Site::start(const Config& config) {
  KEFU_TRY(setLogLevel(toString(config.log.level)));
  auto parts = std::make_unique<Parts>();
  auto options = privacyStoreOptions(config);
  if (!options) {
    return options.error();
  }
  auto opened = store::openStore(config.storage.url, *options);
  if (!opened) {
    return opened.error();
  }
  parts->store = std::move(opened).value();
  auto migrated = parts->store->migrate();
  if (!migrated) {
    return migrated.error();
  }
  if (*migrated > 0) {
    spdlog::info("storage: applied {} migration(s) on {}", *migrated, parts->store->backend());
  }

  parts->authenticator = std::make_unique<auth::Authenticator>(
      parts->store->users(), parts->store->sessions(), parts->time, config.auth.token_ttl);
  if (config.auth.admin_password) {
    KEFU_TRY(parts->authenticator->ensureAdmin(*config.auth.admin_password));
  }
  if (config.demo.seed) {
    KEFU_TRY(seedDemoData(*parts->store, parts->time));
  }
  (void)parts->store->sessions().removeExpired(toUnixMillis(parts->time.systemTime()));

  parts->routing_log = std::make_unique<RoutingLogWriter>(parts->store->routingLog());
  parts->contact_center = std::make_unique<interaction::ContactCenter>(
      parts->time,
      [events = &parts->events, log = parts->routing_log.get()](const acd::RoutingEvent& e) {
        auto event = routingDomainEvent(e);
        event.at_ms = e.at_ms;
        events->publish(std::move(event));
        log->add(e);
      });
  parts->contact_center->start();
  KEFU_TRY(restoreFigures(*parts->store, *parts->contact_center, parts->time));
  KEFU_TRY(addStoredQueues(*parts->store, *parts->contact_center));

  parts->metrics = std::make_unique<stats::Metrics>(stats::Metrics::BuildInfo{
      KEFU_VERSION, KEFU_COMMIT, config.site.name, std::string(toString(config.site.role))});
  auto media = SiteMedia::start(config, parts->events, *parts->metrics);
  if (!media) {
    return media.error();
  }
  parts->media = std::move(media).value();
  // Requests wait on storage in this pool: as many threads as connections, at least two per API
  // thread.
  parts->pool = std::make_unique<BlockingPool>(
      std::max<std::size_t>(static_cast<std::size_t>(config.storage.pool_size),
                            2 * static_cast<std::size_t>(config.http.threads)));
  auto& store = *parts->store;
  parts->softphones =
      std::make_unique<SiteSoftphones>(parts->media->engine(), store.agents(), parts->events);
  auto calls =
      SiteCalls::start(config, {parts->time, store, parts->events, *parts->metrics, *parts->media,
                                *parts->contact_center, *parts->pool, parts->softphones.get()});
  if (!calls) {
    return calls.error();
  }
  parts->calls = std::move(calls).value();
  if (options->cipher != nullptr && options->tokenizer) {
    parts->identity_desk = std::make_unique<crm::IdentityDesk>(
        store.customers(), options->tokenizer, store.audit(), parts->time);
  }
  if (!config.sync.nats_url.empty()) {
    if (config.site.role == SiteRole::All || config.sync.peer.empty()) {
      return Error::invalid("sync.peer", "a site link needs site.role core or edge and sync.peer");
    }
    // The core site owns customers; the edge site takes them (as tokens) from the core only.
    parts->link_store = std::make_unique<LinkStore>(store.replication(), config.sync.peer,
                                                    config.site.role == SiteRole::Edge);
    sync::SiteLinkOptions link_options{config.site.name, config.sync.peer, config.sync.nats_url};
    if (config.site.role == SiteRole::Core && parts->identity_desk) {
      link_options.on_request = [desk = parts->identity_desk.get(),
                                 peer = config.sync.peer](std::string_view body) {
        return answerIdentityRequest(*desk, peer, body);
      };
    }
    auto link = sync::SiteLink::start(std::move(link_options), *parts->link_store, parts->time);
    if (!link) {
      return link.error();
    }
    parts->link = std::move(link).value();
    if (config.site.role == SiteRole::Edge) {
      parts->link_identity = std::make_unique<LinkIdentityClient>(*parts->link);
    }
  }
  crm::IdentityService* identity = parts->identity_desk.get();
  if (parts->link_identity) {
    identity = parts->link_identity.get();
  }
  if (parts->calls) {
    parts->calls->setIdentity(identity);  // the screen pop's names (an edge asks the core)
  }
  std::function<Result<api::SyncStatusView>()> sync_status =
      [link = parts->link.get(), &store, peer = config.sync.peer,
       time = &parts->time]() -> Result<api::SyncStatusView> {
    auto stats = store.replication().outboxStats();
    if (!stats) {
      return stats.error();
    }
    api::SyncStatusView view;
    view.enabled = link != nullptr;
    view.peer = peer;
    view.backlog = stats->backlog;
    view.oldest_pending_age_ms =
        stats->backlog > 0 ? toUnixMillis(time->systemTime()) - stats->oldest_at_ms : 0;
    if (link != nullptr) {
      auto l = link->status();
      view.connected = l.connected;
      view.peer_reachable = l.peer_reachable;
      view.published_seq = l.published_seq;
      view.acked_seq = l.acked_seq;
      view.applied = l.applied;
      view.duplicates = l.duplicates;
      view.rejected = l.rejected;
      view.last_lag_ms = l.last_lag_ms;
    }
    return view;
  };
  auto render_metrics = [metrics = parts->metrics.get(), sync_status] {
    std::string text = metrics->render();
    if (auto s = sync_status(); s && s->enabled) {
      text +=
          "# HELP kefu_sync_link_up Whether the site link to the peer answers (1) or not.\n"
          "# TYPE kefu_sync_link_up gauge\n";
      text += fmt::format("kefu_sync_link_up{{peer=\"{}\"}} {}\n", s->peer,
                          s->connected && s->peer_reachable ? 1 : 0);
      text +=
          "# HELP kefu_sync_backlog Changes waiting for the peer's acknowledgement.\n"
          "# TYPE kefu_sync_backlog gauge\n";
      text += fmt::format("kefu_sync_backlog{{peer=\"{}\"}} {}\n", s->peer, s->backlog);
      text +=
          "# HELP kefu_sync_lag_ms Age of the last change from the peer when applied.\n"
          "# TYPE kefu_sync_lag_ms gauge\n";
      text += fmt::format("kefu_sync_lag_ms{{peer=\"{}\"}} {}\n", s->peer, s->last_lag_ms);
      text +=
          "# HELP kefu_sync_rejected_total Changes from the peer refused as malformed or "
          "forged.\n# TYPE kefu_sync_rejected_total counter\n";
      text += fmt::format("kefu_sync_rejected_total{{peer=\"{}\"}} {}\n", s->peer, s->rejected);
    }
    return text;
  };
  // A site that takes no calls still keeps and checks its flows through the API; nothing runs them.
  api::FlowService* flows = parts->calls ? parts->calls->flowService() : nullptr;
  if (flows == nullptr) {
    parts->stored_flows = std::make_unique<SiteFlows>(
        store.flows(), parts->time, config.ivr.flows_dir, [](const std::string&, ivr::FlowPtr) {},
        [](const std::string&) {});
    flows = parts->stored_flows.get();
  }
  auto check_health = [&store]() -> Result<void> {
    auto version = store.schemaVersion();
    if (!version) {
      return version.error();
    }
    return {};
  };
  api::RestDependencies api_deps{*parts->authenticator, store.users(),
                                 store.skills(),        store.agents(),
                                 store.queues(),        parts->events,
                                 parts->time,           *parts->contact_center,
                                 check_health,          render_metrics,
                                 config.site.name,      std::string(toString(config.site.role)),
                                 &store.customers(),    &store.audit(),
                                 options->tokenizer,    options->cipher != nullptr,
                                 sync_status,           parts->calls.get(),
                                 &store.entryPoints(),  identity};
  api_deps.flows = flows;
  api_deps.call_desk = parts->calls.get();
  parts->api = std::make_unique<api::RestApi>(std::move(api_deps));
  parts->http = std::make_unique<api::HttpServer>(
      api::HttpServerOptions{config.http.listen.host, config.http.listen.port,
                             static_cast<std::size_t>(config.http.threads),
                             config.http.max_body_bytes, config.events.buffer, config.web.root},
      *parts->api, *parts->metrics, parts->events, *parts->authenticator, *parts->pool);
  parts->http->setSocketHandler(parts->softphones.get());
  KEFU_TRY(parts->http->start());
  return std::unique_ptr<Site>(new Site(std::move(parts)));
}

Site::Site(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

Site::~Site() { stop(std::chrono::milliseconds(0)); }

std::uint16_t Site::httpPort() const { return parts_->http->port(); }

std::vector<api::Router::RouteInfo> Site::routes() const { return parts_->api->router().routes(); }

EventBus& Site::eventsForTest() { return parts_->events; }

media::MediaEngine& Site::mediaForTest() { return parts_->media->engine(); }

void Site::stop(std::chrono::milliseconds grace) {
  if (!parts_->http) {
    return;
  }
  parts_->http->stop(grace);
  parts_->pool->shutdown();  // runs what is queued: no write is cut in half
  if (parts_->link) {
    parts_->link->stop();  // before the store it reads and writes
  }
  parts_->calls->stopSignalling();  // while the control loop runs: it detaches from routing
  parts_->contact_center->closeAll("site_stop");  // agents' sessions end with the site
  parts_->contact_center->stop();
  parts_->routing_log->stop();  // stores the last routing events
  parts_->media.reset();        // stops the media threads; sessions send their last RTCP
  parts_->calls.reset();        // no thread reaches call control any more
  parts_->http.reset();
  parts_->api.reset();
  parts_->pool.reset();
  parts_->link_identity.reset();
  parts_->link.reset();
  parts_->link_store.reset();
  parts_->identity_desk.reset();
  parts_->store.reset();  // closes connections; SQLite checkpoints its WAL
}

int runSite(const Config& config) {
  // Block the stop signals before any thread starts, so only sigwait() below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  // Each media session holds two sockets: allow as many descriptors as the system lets us.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }

  auto site = Site::start(config);
  if (!site) {
    const auto& e = site.error();
    spdlog::error("cannot start: {}{}", e.field.empty() ? "" : e.field + ": ", e.message);
    return 1;
  }
  auto url = "http://" + config.http.listen.host + ":" + std::to_string((*site)->httpPort());
  spdlog::info("site {} ({}) serving {} with {}", config.site.name, toString(config.site.role), url,
               config.storage.url.starts_with("sqlite:") ? config.storage.url : "PostgreSQL");
  std::printf("Kefu is running: %s  (health %s/healthz, metrics %s/metrics)\n", url.c_str(),
              url.c_str(), url.c_str());
  if (config.demo.seed) {
    std::printf("%s", demoLoginsText(config.auth.admin_password).c_str());
  }
  std::fflush(stdout);

  int received = 0;
  sigwait(&stop_signals, &received);
  spdlog::info("received {}, finishing requests in flight",
               received == SIGTERM ? "SIGTERM" : "SIGINT");
  (*site)->stop(std::chrono::seconds(10));
  spdlog::info("stopped");
  spdlog::shutdown();
  return 0;
}

}  // namespace kefu::server
