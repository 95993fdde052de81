#include "sync/site_link.h"

#include <nats/nats.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

namespace kefu::sync {
namespace {

/** The far site counts as unreachable once its link has not answered a ping for this long. */
constexpr std::int64_t PeerSilenceMs = 3000;

/** Extra patience before a resend, per change still unacknowledged: about what the far side
 * takes to apply one (1,500/s measured), so a big backlog after a long cut is given the time to
 * drain instead of being published again whole. */
constexpr std::int64_t ResendGracePerChangeUs = 700;

/** When a change that arrived before an earlier change of its entity is delivered again. */
constexpr std::int64_t EarlyRedeliveryMs = 200;

/** How long stop() waits for a message handler still running on cnats's threads. */
constexpr auto HandlerDrain = std::chrono::seconds(10);

}  // namespace

/** Everything the link owns. The relay and applier threads each use their own members. */
struct SiteLink::State {
  SiteLinkOptions options;
  LinkStore& store;
  const TimeSource& time;

  // Subjects and names, built once.
  std::string out_subject;   // kefu.out.<site>: this site's changes
  std::string peer_subject;  // kefu.out.<peer>: the far site's, as sourced into KEFU_IN_<peer>
  std::string out_stream;    // KEFU_OUT_<site>
  std::string in_stream;     // KEFU_IN_<peer>
  std::string ack_subject;   // kefu.ack.<site>: the far site confirms our changes here
  std::string peer_ack_subject;
  std::string ping_subject;  // kefu.ping.<site>
  std::string peer_ping_subject;
  std::string request_subject;       // kefu.req.<site>.<peer>: the far site asks us
  std::string peer_request_subject;  // kefu.req.<peer>.<site>: we ask the far site

  natsOptions* nats_options = nullptr;
  natsConnection* connection = nullptr;
  natsSubscription* ack_sub = nullptr;
  natsSubscription* ping_sub = nullptr;
  natsSubscription* request_sub = nullptr;

  // Subscriptions whose handler may still run on a cnats thread: stop() waits for each one's
  // completion callback before the state the handlers use is freed.
  std::mutex handlers_mutex;
  std::condition_variable handlers_done;
  int live_handlers = 0;

  std::atomic<bool> stopping{false};
  std::mutex mutex;  // guards `wake` waits only
  std::condition_variable wake;
  std::thread relay;
  std::thread applier;

  std::atomic<std::int64_t> published_seq{0};
  std::atomic<std::int64_t> acked_seq{0};
  std::atomic<std::int64_t> applied{0};
  std::atomic<std::int64_t> duplicates{0};
  std::atomic<std::int64_t> rejected{0};
  std::atomic<std::int64_t> early{0};
  std::atomic<std::int64_t> last_lag_ms{0};
  std::atomic<std::int64_t> last_pong_ms{0};
  std::atomic<std::int64_t> last_ack_progress_ms{0};
  std::atomic<std::int64_t> resend_round{0};

  State(SiteLinkOptions o, LinkStore& s, const TimeSource& t)
      : options(std::move(o)), store(s), time(t) {
    out_subject = "kefu.out." + options.site;
    peer_subject = "kefu.out." + options.peer;
    out_stream = "KEFU_OUT_" + options.site;
    in_stream = "KEFU_IN_" + options.peer;
    ack_subject = "kefu.ack." + options.site;
    peer_ack_subject = "kefu.ack." + options.peer;
    ping_subject = "kefu.ping." + options.site;
    peer_ping_subject = "kefu.ping." + options.peer;
    request_subject = "kefu.req." + options.site + "." + options.peer;
    peer_request_subject = "kefu.req." + options.peer + "." + options.site;
  }

  /** Subscribes `handler` to `subject` and counts it until its completion callback. */
  void subscribe(natsSubscription*& sub, const std::string& subject, natsMsgHandler handler) {
    if (natsConnection_Subscribe(&sub, connection, subject.c_str(), handler, this) != NATS_OK) {
      spdlog::error("sync: cannot subscribe to {}", subject);
      sub = nullptr;
      return;
    }
    if (natsSubscription_SetOnCompleteCB(sub, &State::onHandlerDone, this) == NATS_OK) {
      std::lock_guard lock(handlers_mutex);
      ++live_handlers;
    }
  }

  /** Closes every subscription and waits until no handler runs any more; @return false when one
   * is still running after HandlerDrain. */
  bool closeHandlers() {
    for (auto* sub : {ack_sub, ping_sub, request_sub}) {
      if (sub != nullptr) {
        natsSubscription_Unsubscribe(sub);
      }
    }
    if (connection != nullptr) {
      natsConnection_Close(connection);  // closes any subscription the unsubscribe could not
    }
    std::unique_lock lock(handlers_mutex);
    return handlers_done.wait_for(lock, HandlerDrain, [this] { return live_handlers == 0; });
  }

  std::int64_t nowMs() const { return toUnixMillis(time.systemTime()); }

  /** Sleeps up to `d`, waking early on stop. */
  void pause(std::chrono::milliseconds d) {
    std::unique_lock lock(mutex);
    wake.wait_for(lock, d, [this] { return stopping.load(); });
  }

  bool connected() const {
    return connection != nullptr && natsConnection_Status(connection) == NATS_CONN_STATUS_CONNECTED;
  }

  // ---- JetStream set-up: both streams exist before anything is published or consumed.

  /** @return a JetStream context on this site's domain, or nullptr. */
  jsCtx* jetStream() {
    jsOptions js_options;
    jsOptions_Init(&js_options);
    js_options.Wait = 2000;
    jsCtx* js = nullptr;
    if (natsConnection_JetStream(&js, connection, &js_options) != NATS_OK) {
      return nullptr;
    }
    return js;
  }

  bool ensureStream(jsCtx* js, const std::string& name, const char* subject,
                    jsStreamSource* source) {
    jsStreamInfo* info = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    if (js_GetStreamInfo(&info, js, name.c_str(), nullptr, &code) == NATS_OK) {
      jsStreamInfo_Destroy(info);
      return true;
    }
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    config.Name = name.c_str();
    config.Storage = js_FileStorage;
    const char* subjects[1] = {subject};
    if (subject != nullptr) {
      config.Subjects = subjects;
      config.SubjectsLen = 1;
    }
    jsStreamSource* sources[1] = {source};
    if (source != nullptr) {
      config.Sources = sources;
      config.SourcesLen = 1;
    }
    config.Duplicates = 120LL * 1000 * 1000 * 1000;  // de-duplicate republished changes for 2 min
    natsStatus s = js_AddStream(&info, js, &config, nullptr, &code);
    if (s != NATS_OK && static_cast<int>(code) == 10058) {
      return true;  // the other thread of this link created it meanwhile
    }
    if (s != NATS_OK) {
      spdlog::warn("sync: cannot create stream {}: {} (JetStream error {})", name,
                   natsStatus_GetText(s), static_cast<int>(code));
      return false;
    }
    jsStreamInfo_Destroy(info);
    return true;
  }

  bool setUp(jsCtx* js) {
    // The far site's outbox, sourced across the leafnode through its domain's API prefix. The
    // deliver prefix must be set (cnats 3.4.1 crashes without it).
    const std::string api_prefix = "$JS." + options.peer + ".API";
    const std::string deliver_prefix = "kefu.deliver." + options.site + "." + options.peer;
    jsExternalStream external{api_prefix.c_str(), deliver_prefix.c_str()};
    jsStreamSource source{};
    const std::string peer_stream = "KEFU_OUT_" + options.peer;
    source.Name = peer_stream.c_str();
    source.External = &external;
    return ensureStream(js, out_stream, out_subject.c_str(), nullptr) &&
           ensureStream(js, in_stream, nullptr, &source);
  }

  // ---- Relay: outbox → KEFU_OUT_<site>.

  void runRelay() {
    jsCtx* js = nullptr;
    bool ready = false;
    std::int64_t next_ping_ms = 0;
    while (!stopping) {
      if (!connected()) {
        pause(std::chrono::milliseconds(100));
        continue;
      }
      if (js == nullptr) {
        js = jetStream();
      }
      if (!ready && js != nullptr) {
        ready = setUp(js);
        if (!ready) {
          pause(std::chrono::milliseconds(500));
          continue;
        }
      }
      const std::int64_t now = nowMs();
      if (now >= next_ping_ms) {
        next_ping_ms = now + 500;
        natsMsg* reply = nullptr;
        if (natsConnection_RequestString(&reply, connection, peer_ping_subject.c_str(), "ping",
                                         400) == NATS_OK) {
          const std::int64_t answered = nowMs();
          if (answered - last_pong_ms >= PeerSilenceMs) {
            // The far side is back after a cut: its stream still holds what was published
            // meanwhile, so it gets `resend_after` to show progress before anything is resent.
            last_ack_progress_ms = answered;
          }
          last_pong_ms = answered;
          natsMsg_Destroy(reply);
        }
      }
      resendIfStalled(now);
      if (publishPending(js) == 0) {
        pause(options.poll);
      }
    }
    if (js != nullptr) {
      jsCtx_Destroy(js);
    }
  }

  /** Publishes the outbox after what was published; @return how many were published. */
  int publishPending(jsCtx* js) {
    auto base = store.ackedThrough();
    if (!base) {
      return 0;
    }
    if (*base > acked_seq) {
      acked_seq = *base;
    }
    if (published_seq < *base) {
      published_seq = static_cast<std::int64_t>(*base);
    }
    auto pending = store.pending(published_seq, 256);
    if (!pending) {
      spdlog::warn("sync: cannot read the outbox: {}", pending.error().message);
      return 0;
    }
    int count = 0;
    for (auto& message : *pending) {
      message.origin = options.site;
      message.base = std::min<std::int64_t>(*base, message.seq - 1);
      const std::string bytes = encodeLinkMessage(message);
      // A resend round gets new ids: JetStream must not drop them as duplicates, since the peer
      // may have lost track of what it applied (it died after applying, before acknowledging).
      const std::string id = message.eventId() + "#" + std::to_string(resend_round.load());
      jsPubOptions publish_options;
      jsPubOptions_Init(&publish_options);
      publish_options.MsgId = id.c_str();
      publish_options.MaxWait = 2000;
      jsPubAck* ack = nullptr;
      jsErrCode code = static_cast<jsErrCode>(0);
      natsStatus s = js_Publish(&ack, js, out_subject.c_str(), bytes.data(),
                                static_cast<int>(bytes.size()), &publish_options, &code);
      if (s != NATS_OK) {
        break;  // retried from here on the next round; nothing after it goes first
      }
      jsPubAck_Destroy(ack);
      if (published_seq == acked_seq) {
        last_ack_progress_ms = nowMs();  // the clock for a resend starts with the first unacked
      }
      published_seq = message.seq;
      ++count;
    }
    return count;
  }

  /** Publishes again from the last acknowledgement when the far side has said nothing for long. */
  void resendIfStalled(std::int64_t now) {
    // While the far side does not answer, resending only piles copies into the stream, all of
    // which it would have to skip on reconnect (a 60 s cut at 1,000/s made 20 rounds of them).
    if (now - last_pong_ms >= PeerSilenceMs) {
      return;
    }
    const std::int64_t unacked = published_seq - acked_seq;
    const std::int64_t patience_ms =
        options.resend_after.count() + unacked * ResendGracePerChangeUs / 1000;
    if (unacked > 0 && now - last_ack_progress_ms > patience_ms) {
      spdlog::info("sync: {} unacknowledged change(s) to {}; publishing them again", unacked,
                   options.peer);
      published_seq = acked_seq.load();
      last_ack_progress_ms = now;
      ++resend_round;
    }
  }

  // ---- Applier: KEFU_IN_<peer> → the store, then the end-to-end acknowledgement.

  void runApplier() {
    jsCtx* js = nullptr;
    natsSubscription* sub = nullptr;
    // What was applied from the far site: everything up to `contiguous`, and some after it.
    std::int64_t contiguous = 0;
    std::set<std::int64_t> seen_above;
    while (!stopping) {
      if (!connected()) {
        pause(std::chrono::milliseconds(100));
        continue;
      }
      if (js == nullptr) {
        js = jetStream();
      }
      if (sub == nullptr && js != nullptr) {
        if (!setUp(js)) {
          pause(std::chrono::milliseconds(500));
          continue;
        }
        jsSubOptions sub_options;
        jsSubOptions_Init(&sub_options);
        sub_options.Stream = in_stream.c_str();
        sub_options.Config.AckPolicy = js_AckExplicit;
        sub_options.Config.MaxAckPending = 4096;
        // Changes fetched by a site that then died come back after this, not the default 30 s.
        sub_options.Config.AckWait = 2LL * 1000 * 1000 * 1000;
        jsErrCode code = static_cast<jsErrCode>(0);
        if (js_PullSubscribe(&sub, js, peer_subject.c_str(), "kefu-apply", nullptr, &sub_options,
                             &code) != NATS_OK) {
          sub = nullptr;
          pause(std::chrono::milliseconds(500));
          continue;
        }
      }
      if (sub == nullptr) {
        pause(std::chrono::milliseconds(200));
        continue;
      }
      natsMsgList list{};
      jsErrCode code = static_cast<jsErrCode>(0);
      natsStatus s = natsSubscription_Fetch(&list, sub, 512, 250, &code);
      if (s != NATS_OK) {
        natsMsgList_Destroy(&list);
        continue;  // a timeout when nothing is there
      }
      bool progressed = false;
      for (int i = 0; i < list.Count && !stopping; ++i) {
        natsMsg* msg = list.Msgs[i];
        const char* data = natsMsg_GetData(msg);
        const int length = natsMsg_GetDataLength(msg);
        auto message = decodeLinkMessage(
            std::string_view(data == nullptr ? "" : data, static_cast<std::size_t>(length)));
        if (!message || message->origin != options.peer) {
          ++rejected;
          spdlog::warn("sync: rejected a message on {}: {}", in_stream,
                       message ? "origin " + message->origin + " is not " + options.peer
                               : message.error().field + ": " + message.error().message);
          natsMsg_Ack(msg, nullptr);  // it can never be applied: do not let it block the stream
          continue;
        }
        auto applied_now = store.apply(*message);
        if (!applied_now && applied_now.error().code == ErrorCode::Conflict) {
          // Early: an earlier change of its entity is still on its way (redelivered after a cut
          // or a restart). It comes back after that one; the rest of the batch goes on.
          natsMsg_NakWithDelay(msg, EarlyRedeliveryMs, nullptr);
          ++early;
          continue;
        }
        if (!applied_now && applied_now.error().code != ErrorCode::InvalidArgument) {
          // The database is unavailable: leave this and the rest for a redelivery.
          natsMsg_Nak(msg, nullptr);
          for (int j = i + 1; j < list.Count; ++j) {
            natsMsg_Nak(list.Msgs[j], nullptr);
          }
          break;
        }
        if (!applied_now) {
          ++rejected;
          spdlog::warn("sync: cannot apply {}: {}", message->eventId(),
                       applied_now.error().message);
        } else if (*applied_now) {
          ++applied;
          if (message->at_ms > 0) {
            last_lag_ms = std::max<std::int64_t>(0, nowMs() - message->at_ms);
          }
        } else {
          ++duplicates;
        }
        natsMsg_Ack(msg, nullptr);
        if (!applied_now) {
          continue;  // a rejected change says nothing trustworthy about what came before it
        }
        contiguous = std::max(contiguous, message->base);
        if (message->seq > contiguous) {
          seen_above.insert(message->seq);
        }
        while (!seen_above.empty() && *seen_above.begin() <= contiguous + 1) {
          contiguous = std::max(contiguous, *seen_above.begin());
          seen_above.erase(seen_above.begin());
        }
        progressed = true;
      }
      natsMsgList_Destroy(&list);
      if (progressed && contiguous > 0) {
        const std::string text = std::to_string(contiguous);
        natsConnection_PublishString(connection, peer_ack_subject.c_str(), text.c_str());
      }
    }
    if (sub != nullptr) {
      natsSubscription_Destroy(sub);  // not Unsubscribe: that would delete the durable consumer
    }
    if (js != nullptr) {
      jsCtx_Destroy(js);
    }
  }

  // ---- Callbacks on cnats's thread.

  static void onAck(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
    auto* state = static_cast<State*>(closure);
    const char* data = natsMsg_GetData(msg);
    const int length = natsMsg_GetDataLength(msg);
    std::int64_t seq = 0;
    auto [end, ec] = std::from_chars(data, data + length, seq);
    if (ec == std::errc() && end == data + length && seq > state->acked_seq &&
        seq <= state->published_seq) {
      if (auto retired = state->store.retire(seq); retired) {
        state->acked_seq = seq;
        state->last_ack_progress_ms = state->nowMs();
      }
    }
    natsMsg_Destroy(msg);
  }

  static void onPing(natsConnection* nc, natsSubscription*, natsMsg* msg, void*) {
    if (const char* reply = natsMsg_GetReply(msg); reply != nullptr) {
      natsConnection_PublishString(nc, reply, "pong");
    }
    natsMsg_Destroy(msg);
  }

  static void onRequest(natsConnection* nc, natsSubscription*, natsMsg* msg, void* closure) {
    auto* state = static_cast<State*>(closure);
    const char* reply = natsMsg_GetReply(msg);
    if (reply != nullptr && !state->stopping) {
      const char* data = natsMsg_GetData(msg);
      const int length = natsMsg_GetDataLength(msg);
      const std::string answer = state->options.on_request(
          std::string_view(data == nullptr ? "" : data, static_cast<std::size_t>(length)));
      natsConnection_Publish(nc, reply, answer.data(), static_cast<int>(answer.size()));
    }
    natsMsg_Destroy(msg);
  }

  static void onHandlerDone(void* closure) {
    auto* state = static_cast<State*>(closure);
    std::lock_guard lock(state->handlers_mutex);
    --state->live_handlers;
    state->handlers_done.notify_all();
  }
};

Result<std::unique_ptr<SiteLink>> SiteLink::start(SiteLinkOptions options, LinkStore& store,
                                                  const TimeSource& time) {
  auto state = std::make_unique<State>(std::move(options), store, time);
  State& s = *state;
  if (natsOptions_Create(&s.nats_options) != NATS_OK) {
    return Error::internal("sync: cannot create NATS options");
  }
  natsOptions_SetURL(s.nats_options, s.options.nats_url.c_str());
  natsOptions_SetMaxReconnect(s.nats_options, -1);
  natsOptions_SetReconnectWait(s.nats_options, 100);
  natsOptions_SetRetryOnFailedConnect(s.nats_options, true, nullptr, nullptr);
  natsOptions_SetName(s.nats_options, ("kefu-" + s.options.site).c_str());
  natsStatus status = natsConnection_Connect(&s.connection, s.nats_options);
  if (status != NATS_OK && status != NATS_NOT_YET_CONNECTED) {
    return Error{ErrorCode::Unavailable,
                 "sync: cannot reach " + s.options.nats_url + ": " + natsStatus_GetText(status),
                 "sync.nats_url"};
  }
  s.subscribe(s.ack_sub, s.ack_subject, &State::onAck);
  s.subscribe(s.ping_sub, s.ping_subject, &State::onPing);
  if (s.options.on_request) {
    s.subscribe(s.request_sub, s.request_subject, &State::onRequest);
  }
  s.relay = std::thread([&s] { s.runRelay(); });
  s.applier = std::thread([&s] { s.runApplier(); });
  return std::unique_ptr<SiteLink>(new SiteLink(std::move(state)));
}

SiteLink::SiteLink(std::unique_ptr<State> state) : state_(std::move(state)) {}

SiteLink::~SiteLink() { stop(); }

void SiteLink::stop() {
  if (!state_) {
    return;  // left to a handler that never finished
  }
  State& s = *state_;
  if (s.stopping.exchange(true)) {
    return;
  }
  s.wake.notify_all();
  if (s.relay.joinable()) {
    s.relay.join();
  }
  if (s.applier.joinable()) {
    s.applier.join();
  }
  // cnats may still run a handler (or start one last) after a subscription is closed; freeing
  // the state or the store under it corrupted the heap when a site stopped or restarted.
  if (!s.closeHandlers()) {
    spdlog::error("sync: a link message handler still runs after {} s; its state is left alive",
                  std::chrono::duration_cast<std::chrono::seconds>(HandlerDrain).count());
    (void)state_.release();  // a leak, not a use after free
    return;
  }
  for (auto* sub : {s.ack_sub, s.ping_sub, s.request_sub}) {
    if (sub != nullptr) {
      natsSubscription_Destroy(sub);
    }
  }
  if (s.connection != nullptr) {
    natsConnection_Destroy(s.connection);
    s.connection = nullptr;  // status() says "not connected" from now on
  }
  natsOptions_Destroy(s.nats_options);
  s.nats_options = nullptr;
}

Result<std::string> SiteLink::request(std::string_view body) {
  if (!state_) {
    return Error{ErrorCode::Unavailable, "the site link is stopped", "site"};
  }
  State& s = *state_;
  const Error unreachable{ErrorCode::Unavailable, s.options.peer + " site unreachable", "site"};
  if (s.stopping || !s.connected()) {
    return unreachable;
  }
  natsMsg* reply = nullptr;
  // Without a responder across the leafnode the server answers "no responders" at once; a
  // silent far side costs the timeout, never more.
  natsStatus status =
      natsConnection_Request(&reply, s.connection, s.peer_request_subject.c_str(), body.data(),
                             static_cast<int>(body.size()), s.options.request_timeout.count());
  if (status != NATS_OK) {
    return unreachable;
  }
  const char* data = natsMsg_GetData(reply);
  std::string out(data == nullptr ? "" : data,
                  static_cast<std::size_t>(natsMsg_GetDataLength(reply)));
  natsMsg_Destroy(reply);
  return out;
}

LinkStatus SiteLink::status() const {
  LinkStatus out;
  if (!state_) {
    return out;
  }
  const State& s = *state_;
  out.connected = s.connected();
  out.peer_reachable = s.nowMs() - s.last_pong_ms < PeerSilenceMs;
  out.published_seq = s.published_seq;
  out.acked_seq = s.acked_seq;
  out.applied = s.applied;
  out.duplicates = s.duplicates;
  out.rejected = s.rejected;
  out.early = s.early;
  out.last_lag_ms = s.last_lag_ms;
  return out;
}

}  // namespace kefu::sync
