#include "media/engine.h"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "media/dtls.h"
#include "media/internal/leg.h"
#include "media/internal/media_thread.h"
#include "media/internal/udp_socket.h"
#include "media/recorder.h"
#include "media/sdes.h"
#include "media/sdp.h"

namespace kefu::media {
namespace {

/** @return `length` random characters valid in ice-char (RFC 8839). */
std::string randomIceString(std::size_t length) {
  static constexpr std::string_view Alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string text(length, 'A');
  std::vector<uint8_t> bytes(length);
  RAND_bytes(bytes.data(), static_cast<int>(length));
  for (std::size_t i = 0; i < length; ++i) {
    text[i] = Alphabet[bytes[i] % Alphabet.size()];
  }
  return text;
}

uint64_t randomSessionId() {
  uint64_t value = 0;
  RAND_bytes(reinterpret_cast<unsigned char*>(&value), sizeof value);
  return value >> 2;  // positive in a signed 64-bit reading, as some peers parse it
}

/** What the control side remembers of a session (the media thread owns the rest). */
struct SessionRecord {
  std::size_t thread = 0;
  LocalMedia local;
  std::optional<SessionDescription> our_offer;  // until the remote answer arrives
};

class MediaEngineImpl final : public MediaEngine {
 public:
  MediaEngineImpl(const EngineConfig& config, MediaEngineListener& listener,
                  DtlsCertificatePtr certificate)
      : config_(config),
        listener_(listener),
        ports_(config.port_min, config.port_max),
        certificate_(std::move(certificate)) {
    if (config_.advertised_address.empty()) {
      config_.advertised_address = config_.bind_address;
    }
    int threads = config_.threads > 0 ? config_.threads
                                      : static_cast<int>(std::thread::hardware_concurrency());
    for (int i = 0; i < std::max(1, threads); ++i) {
      threads_.push_back(std::make_unique<MediaThread>(config_, listener_));
    }
  }

  ~MediaEngineImpl() override {
    for (auto& thread : threads_) {
      thread->stop();
    }
  }

  Result<SessionSdp> answer(std::string_view offer_sdp, const SessionOptions& options) override {
    auto offer = parseSdp(offer_sdp);
    if (!offer.ok()) {
      return offer.error();
    }
    auto sockets = ports_.bindPair(config_.bind_address);
    if (!sockets.ok()) {
      return sockets.error();
    }
    LocalMedia local = localMedia(securityOf(*offer), sockets->first.port());
    auto answer = answerOffer(*offer, local);
    if (!answer.ok()) {
      return answer.error();
    }
    SessionSdp result{next_id_.fetch_add(1), writeSdp(answer->description)};
    create(result.id, options, std::move(sockets).value(), std::move(local),
           std::move(answer->negotiated), std::nullopt);
    return result;
  }

  Result<SessionSdp> offer(const SessionOptions& options) override {
    auto sockets = ports_.bindPair(config_.bind_address);
    if (!sockets.ok()) {
      return sockets.error();
    }
    LocalMedia local = localMedia(options.security, sockets->first.port());
    SessionDescription description = makeOffer(local);
    SessionSdp result{next_id_.fetch_add(1), writeSdp(description)};
    create(result.id, options, std::move(sockets).value(), std::move(local), std::nullopt,
           std::move(description));
    return result;
  }

  Result<void> acceptAnswer(SessionId id, std::string_view answer_sdp) override {
    auto answer = parseSdp(answer_sdp);
    if (!answer.ok()) {
      return answer.error();
    }
    {
      std::lock_guard lock(mutex_);
      auto it = sessions_.find(id);
      if (it == sessions_.end()) {
        return Error::notFound("no media session " + std::to_string(id));
      }
      if (!it->second.our_offer) {
        return Error{ErrorCode::Conflict, "the media session has no offer to answer", {}};
      }
      auto accepted = media::acceptAnswer(*it->second.our_offer, *answer);
      if (!accepted.ok()) {
        return accepted.error();
      }
      it->second.our_offer.reset();
      applyOnThread(it->second.thread, id, std::move(accepted).value());
    }
    return {};
  }

  Result<std::string> reanswer(SessionId id, std::string_view offer_sdp) override {
    auto offer = parseSdp(offer_sdp);
    if (!offer.ok()) {
      return offer.error();
    }
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) {
      return Error::notFound("no media session " + std::to_string(id));
    }
    LocalMedia& local = it->second.local;
    ++local.session_version;
    auto answer = answerOffer(*offer, local);
    if (!answer.ok()) {
      return answer.error();
    }
    applyOnThread(it->second.thread, id, std::move(answer->negotiated));
    return writeSdp(answer->description);
  }

  Result<void> bridge(SessionId a, SessionId b) override {
    std::lock_guard lock(mutex_);
    auto thread = gather(a, b);
    if (!thread.ok()) {
      return thread.error();
    }
    MediaThread& media = *threads_[*thread];
    media.postFor({a, b}, [&media, a, b] {
      Leg* leg_a = media.findLeg(a);
      Leg* leg_b = media.findLeg(b);
      if (leg_a == nullptr || leg_b == nullptr) {
        return;
      }
      for (Leg* leg : {leg_a, leg_b}) {
        if (Leg* old = leg->partner(); old != nullptr && old != leg_a && old != leg_b) {
          old->setPartner(nullptr);
        }
      }
      leg_a->setPartner(leg_b);
      leg_b->setPartner(leg_a);
    });
    return {};
  }

  void unbridge(SessionId id) override {
    onLeg(id, [](MediaThread&, Leg& leg) {
      if (Leg* partner = leg.partner(); partner != nullptr) {
        partner->setPartner(nullptr);
      }
      leg.setPartner(nullptr);
    });
  }

  void play(SessionId id, PromptPtr prompt, bool loop, uint64_t play_id) override {
    onLeg(id, [prompt = std::move(prompt), loop, play_id](MediaThread&, Leg& leg) mutable {
      leg.play(std::move(prompt), loop, play_id);
    });
  }

  void stopPlay(SessionId id) override {
    onLeg(id, [](MediaThread&, Leg& leg) { leg.stopPlay(); });
  }

  void sendDtmf(SessionId id, char digit, int duration_ms) override {
    onLeg(id, [digit, duration_ms](MediaThread&, Leg& leg) { leg.sendDtmf(digit, duration_ms); });
  }

  Result<void> startRecording(SessionId left, SessionId right, const std::string& path) override {
    if (auto known = knows(left, right); !known.ok()) {
      return known;
    }
    // The file opens outside the lock; the sessions are looked up again after.
    auto recorder = recordings_.open(path);
    if (!recorder.ok()) {
      return recorder.error();
    }
    std::lock_guard lock(mutex_);
    auto thread = gather(left, right);
    if (!thread.ok()) {
      return thread.error();
    }
    MediaThread& media = *threads_[*thread];
    media.postFor({left, right},
                  [&media, left, right, recorder = std::move(recorder).value()]() mutable {
                    Leg* leg_left = media.findLeg(left);
                    Leg* leg_right = media.findLeg(right);
                    if (leg_left != nullptr) {
                      leg_left->setRecorder(std::move(recorder), leg_right);
                    }
                  });
    return {};
  }

  void pauseRecording(SessionId left, bool paused) override {
    onLeg(left, [paused](MediaThread&, Leg& leg) { leg.pauseRecording(paused); });
  }

  void stopRecording(SessionId left) override {
    onLeg(left, [](MediaThread&, Leg& leg) { leg.stopRecording(); });
  }

  Result<void> joinConference(ConferenceId conference, SessionId id, Mixer::Role role,
                              SessionId whisper_target) override {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) {
      return Error::notFound("no media session " + std::to_string(id));
    }
    // A conference lives on the thread of its first member; later members move there.
    auto [place, inserted] = conference_threads_.try_emplace(conference, it->second.thread);
    std::size_t thread = place->second;
    moveSession(id, it->second, thread);
    MediaThread& media = *threads_[thread];
    media.postFor({id, whisper_target}, [&media, conference, id, role, whisper_target] {
      Leg* leg = media.findLeg(id);
      if (leg == nullptr) {
        return;
      }
      if (leg->conference() != nullptr && leg->conference()->id() != conference) {
        media.leaveConference(*leg);
      }
      media.conference(conference).add(*leg, role, media.findLeg(whisper_target));
    });
    return {};
  }

  void setConferenceMuted(SessionId id, bool muted) override {
    onLeg(id, [muted](MediaThread&, Leg& leg) {
      if (leg.conference() != nullptr) {
        leg.conference()->setMuted(leg, muted);
      }
    });
  }

  void leaveConference(SessionId id) override {
    onLeg(id, [](MediaThread& media, Leg& leg) { media.leaveConference(leg); });
  }

  void setTap(SessionId id, std::shared_ptr<AudioTap> tap) override {
    onLeg(id,
          [tap = std::move(tap)](MediaThread&, Leg& leg) mutable { leg.setTap(std::move(tap)); });
  }

  void destroy(SessionId id) override {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) {
      return;
    }
    MediaThread& media = *threads_[it->second.thread];
    sessions_.erase(it);
    // A session on its way to the thread is removed when it arrives: its sockets close once.
    media.postFor({id, 0}, [&media, id] { media.removeLeg(id); });
  }

  EngineCounters counters() const override {
    EngineCounters total;
    for (const auto& thread : threads_) {
      const ThreadCounters& c = thread->counters();
      auto get = [](const std::atomic<uint64_t>& value) {
        return value.load(std::memory_order_relaxed);
      };
      total.sessions_active += get(c.sessions_active);
      total.sessions_created += get(c.sessions_created);
      total.sessions_moved += get(c.sessions_moved);
      total.packets_received += get(c.packets_received);
      total.packets_sent += get(c.packets_sent);
      total.packets_relayed += get(c.packets_relayed);
      total.packets_transcoded += get(c.packets_transcoded);
      total.frames_decoded += get(c.frames_decoded);
      total.frames_dtmf_narrow += get(c.frames_dtmf_narrow);
      total.malformed_rtp += get(c.malformed_rtp);
      total.malformed_rtcp += get(c.malformed_rtcp);
      total.malformed_stun += get(c.malformed_stun);
      total.malformed_dtls += get(c.malformed_dtls);
      total.srtp_failures += get(c.srtp_failures);
      total.unknown_packets += get(c.unknown_packets);
    }
    return total;
  }

  const std::string& advertisedAddress() const override { return config_.advertised_address; }

 private:
  static MediaSecurity securityOf(const SessionDescription& offer) {
    for (const SdpMedia& media : offer.media) {
      if (media.type != "audio" || media.port == 0) {
        continue;
      }
      if (media.protocol.find("TLS") != std::string::npos) {
        return MediaSecurity::DtlsSrtp;
      }
      if (media.protocol.find("SAVP") != std::string::npos) {
        return MediaSecurity::Sdes;
      }
      return MediaSecurity::None;
    }
    return MediaSecurity::None;
  }

  LocalMedia localMedia(MediaSecurity security, uint16_t port) const {
    LocalMedia local;
    local.address = config_.advertised_address;
    local.port = port;
    local.codecs = config_.codecs;
    local.telephone_events = true;
    local.security = security;
    local.session_id = randomSessionId();
    local.session_version = 1;
    if (security == MediaSecurity::Sdes) {
      int tag = 1;
      for (SrtpSuite suite : {SrtpSuite::AesCm128HmacSha1_80, SrtpSuite::AesCm128HmacSha1_32}) {
        local.crypto.push_back(SdpCrypto{tag++, std::string(srtpSuiteName(suite)),
                                         sdesKeyParams(randomKeyMaterial(suite))});
      }
    }
    if (security == MediaSecurity::DtlsSrtp) {
      local.ice_ufrag = randomIceString(8);
      local.ice_pwd = randomIceString(24);
      local.fingerprint_algorithm = std::string(certificate_->fingerprintAlgorithm());
      local.fingerprint = std::string(certificate_->fingerprint());
      local.setup = "actpass";
    }
    return local;
  }

  void create(SessionId id, const SessionOptions& options, std::pair<UdpSocket, UdpSocket> sockets,
              LocalMedia local, std::optional<Negotiated> negotiated,
              std::optional<SessionDescription> our_offer) {
    std::size_t thread =
        options.affinity != 0
            ? options.affinity % threads_.size()
            : round_robin_.fetch_add(1, std::memory_order_relaxed) % threads_.size();
    LegSetup setup{id,
                   std::move(sockets.first),
                   std::move(sockets.second),
                   std::move(local),
                   std::move(negotiated),
                   certificate_,
                   options.in_band_dtmf};
    std::lock_guard lock(mutex_);
    sessions_[id] = SessionRecord{thread, setup.local, std::move(our_offer)};
    MediaThread& media = *threads_[thread];
    media.post(
        [&media, &config = config_, &listener = listener_, setup = std::move(setup)]() mutable {
          media.addLeg(
              std::make_unique<Leg>(std::move(setup), config, listener, media.mutableCounters()));
        });
  }

  /** Posts a negotiation to the session's thread; under mutex_. */
  void applyOnThread(std::size_t thread, SessionId id, Negotiated negotiated) {
    MediaThread& media = *threads_[thread];
    media.postFor({id, 0}, [&media, id, negotiated = std::move(negotiated)] {
      if (Leg* leg = media.findLeg(id); leg != nullptr) {
        leg->applyNegotiation(negotiated, media.nowMs());
      }
    });
  }

  /** Posts `action` for the session to its thread. Posting under mutex_ keeps every task for a
   *  session in the order of the calls, behind a move that a concurrent call started. */
  template <class F>
  void onLeg(SessionId id, F action) {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) {
      return;
    }
    MediaThread& media = *threads_[it->second.thread];
    media.postFor({id, 0}, [&media, id, action = std::move(action)]() mutable {
      if (Leg* leg = media.findLeg(id); leg != nullptr) {
        action(media, *leg);
      }
    });
  }

  /** @return an error naming `a` or `b` (0: none) when the engine does not know it. */
  Result<void> knows(SessionId a, SessionId b) {
    std::lock_guard lock(mutex_);
    for (SessionId id : {a, b}) {
      if (id != 0 && !sessions_.contains(id)) {
        return Error::notFound("no media session " + std::to_string(id));
      }
    }
    return {};
  }

  /** Brings `b` (0: none) to `a`'s thread; @return that thread, or an error naming an unknown
   *  session. Under mutex_. */
  Result<std::size_t> gather(SessionId a, SessionId b) {
    auto first = sessions_.find(a);
    auto second = b == 0 ? first : sessions_.find(b);
    if (first == sessions_.end() || second == sessions_.end()) {
      return Error::notFound("no media session " +
                             std::to_string(first == sessions_.end() ? a : b));
    }
    moveSession(b, second->second, first->second.thread);
    return first->second.thread;
  }

  /**
   * Moves a session to media thread `to` (nothing when it lives there). Under mutex_, so that the
   * arrival is announced on `to` before any task posted for the session after the move; the old
   * thread runs the session's earlier tasks, then releases the leg and sends it over. Nothing here
   * waits for a media thread.
   */
  void moveSession(SessionId id, SessionRecord& record, std::size_t to) {
    if (record.thread == to) {
      return;
    }
    MediaThread& source = *threads_[record.thread];
    MediaThread& target = *threads_[to];
    record.thread = to;
    target.expectLeg(id);
    source.postFor({id, 0}, [&source, &target, id] {
      std::unique_ptr<Leg> leg = source.releaseLeg(id);
      if (leg != nullptr) {
        leg->moveCounters(target.mutableCounters());
      }
      target.post(
          [&target, id, leg = std::move(leg)]() mutable { target.adoptLeg(id, std::move(leg)); });
    });
  }

  EngineConfig config_;
  MediaEngineListener& listener_;
  PortPool ports_;
  DtlsCertificatePtr certificate_;
  RecordingWriter recordings_;
  std::atomic<SessionId> next_id_{1};
  std::atomic<uint64_t> round_robin_{0};
  std::mutex mutex_;
  std::unordered_map<SessionId, SessionRecord> sessions_;             // guarded by mutex_
  std::unordered_map<ConferenceId, std::size_t> conference_threads_;  // guarded by mutex_
  // Last: the threads stop (in the destructor) before the members they use go away.
  std::vector<std::unique_ptr<MediaThread>> threads_;
};

}  // namespace

Result<MediaEnginePtr> startMediaEngine(const EngineConfig& config, MediaEngineListener& listener) {
  if (config.port_min == 0 || config.port_max < config.port_min + 1) {
    return Error::invalid("media.port_min",
                          "the RTP port range needs at least one even/odd pair, got " +
                              std::to_string(config.port_min) + "-" +
                              std::to_string(config.port_max));
  }
  if (config.threads < 0) {
    return Error::invalid("media.threads", "must be 0 (one per core) or more");
  }
  if (config.codecs.empty()) {
    return Error::invalid("media.codecs", "at least one codec is needed");
  }
  if (auto address = UdpAddress::parse(config.bind_address, 0); !address.ok()) {
    return Error::invalid("media.bind_address", address.error().message);
  }
  auto certificate = DtlsCertificate::generate();
  if (!certificate.ok()) {
    return certificate.error();
  }
  return MediaEnginePtr(
      std::make_unique<MediaEngineImpl>(config, listener, std::move(certificate).value()));
}

}  // namespace kefu::media
