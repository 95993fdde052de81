// The media engine's capacity on one media thread, driven over loopback by a load generator.
//
// usage: kefu_media_bench [PREFIX]   prints the figures whose names start with PREFIX (all when
// empty) as `bench: NAME VALUE UNIT`; progress goes to stderr.
//
// The engine runs one media thread (one core); the generator runs on the other core with one UDP
// socket: every millisecond (every 100 us when measuring latency) it sends the packets due (each
// stream's 20 ms packets spread evenly over time, sendmmsg) and reads what came back (recvmmsg).
// Every session answers an offer from the generator's address, with rtcp-mux, so the engine latches
// onto that one socket.
//
//   media_relay_calls_per_thread    the most PCMU calls (two bridged legs, 100 packets/s in and
//                                   out per call) one thread relays with < 0.1 % loss and a p99
//                                   added latency < 2 ms (250, 500, then steps of 125 calls)
//   media_relay_added_p99_ms        that p99 (generator -> engine -> generator, minus the same
//                                   generator's loopback baseline) at the reported call count
//   media_transcode_calls_per_core  the most PCMU <-> Opus calls one thread transcodes, < 0.1 %
//   loss media_conference3_per_core      the most 3-party PCMU conferences one thread mixes with
//   every
//                                   participant receiving >= 99.9 % of its 50 packets/s
//   media_relay_inband_calls_per_thread  the same relay search with offers that carry no
//                                   telephone-event (old phones, SIPp): every leg looks for in-band
//                                   DTMF in what it relays
//   media_fastpath_alloc_bytes_per_packet  heap bytes allocated per relayed packet (global
//                                   operator new counted during steady relaying)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "media/audio.h"
#include "media/codec.h"
#include "media/engine.h"
#include "media/rtp.h"
#include "media/tone.h"

// GCC 12 flags free() of memory from the replaced operator new, which is exactly what it is.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {

std::atomic<uint64_t> allocated_bytes{0};
// The generator (the main thread) allocates its own buffers; only the engine's threads count.
thread_local bool count_allocations = true;

}  // namespace

// Counts the heap allocations of the media threads (the fast-path figure).
void* operator new(std::size_t size) {
  if (count_allocations) {
    allocated_bytes.fetch_add(size, std::memory_order_relaxed);
  }
  if (void* p = std::malloc(size == 0 ? 1 : size)) {
    return p;
  }
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

using namespace kefu::media;
using Clock = std::chrono::steady_clock;

std::string prefix;

bool wanted(std::string_view name) { return name.substr(0, prefix.size()) == prefix; }

int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

class SilentListener final : public MediaEngineListener {
 public:
  void onDtmf(SessionId, char, DtmfSource) override {}
  void onPlayFinished(SessionId, uint64_t) override {}
  void onQuality(SessionId, const QualityReport&) override {}
  void onRtpTimeout(SessionId) override {}
  void onSecureTransport(SessionId, bool, std::string_view) override {}
};

/** One stream the generator sends: to a session's port, in one codec, with its own RTP state. */
struct Stream {
  sockaddr_in to{};
  uint8_t payload_type = 0;
  uint16_t sequence = 0;
  uint32_t timestamp = 0;
  uint32_t ssrc = 0;
  uint32_t step = 160;
  const std::vector<uint8_t>* payload = nullptr;
};

struct RunResult {
  uint64_t sent = 0;
  uint64_t received = 0;
  double p99_ms = 0;
  double loss_percent() const {
    return sent == 0 ? 100.0 : 100.0 * (1.0 - static_cast<double>(received) / sent);
  }
};

/** The load generator: one socket, busy-polled on its own thread. */
class Generator {
 public:
  Generator() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    int size = 16 << 20;
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    self_ = address;
  }
  ~Generator() { ::close(fd_); }

  uint16_t port() const { return port_; }
  const sockaddr_in& self() const { return self_; }

  /** An SDP offer of one codec and telephone events from the generator's socket, with rtcp-mux
   *  (as SIP phones send: with telephone events the engine has no in-band detection to run). */
  std::string offer(std::string_view codec_line, int payload_type) const {
    std::string events = telephone_events_ ? std::string("a=rtpmap:101 telephone-event/") +
                                                 (payload_type == 0 ? "8000" : "48000") + "\r\n"
                                           : std::string();
    return "v=0\r\no=gen 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
           "m=audio " +
           std::to_string(port_) + " RTP/AVP " + std::to_string(payload_type) +
           (telephone_events_ ? " 101" : "") + "\r\na=rtpmap:" + std::to_string(payload_type) +
           " " + std::string(codec_line) + "\r\n" + events + "a=rtcp-mux\r\na=ptime:20\r\n";
  }
  /** Whether offers carry telephone-event (without, the engine detects DTMF in-band). */
  void setTelephoneEvents(bool on) { telephone_events_ = on; }

  /**
   * Sends each stream's 50 packets/s for `seconds`, spread evenly, and counts what arrives until
   * `drain_ms` after the last send. `stamp`: the payload carries the send time (for latency).
   */
  RunResult run(std::vector<Stream>& streams, double seconds, bool stamp, int drain_ms = 300) {
    RunResult result;
    const double rate = static_cast<double>(streams.size()) * 50.0;
    const uint64_t total = static_cast<uint64_t>(rate * seconds);
    latencies_.clear();
    latencies_.reserve(total + 1024);  // no allocation while measuring
    const int64_t start = nowNs();
    const int64_t end_ns = start + static_cast<int64_t>(seconds * 1e9) + drain_ms * 1'000'000LL;
    std::size_t cursor = 0;
    constexpr std::size_t Batch = 64;
    std::vector<std::array<uint8_t, 512>> buffers(Batch);
    std::vector<iovec> iovecs(Batch);
    std::vector<mmsghdr> headers(Batch);
    while (nowNs() < end_ns) {
      auto due = std::min<uint64_t>(
          total, static_cast<uint64_t>(static_cast<double>(nowNs() - start) * rate / 1e9));
      while (result.sent < due) {
        std::size_t batch = std::min<uint64_t>(Batch, due - result.sent);
        for (std::size_t i = 0; i < batch; ++i) {
          Stream& stream = streams[cursor];
          cursor = (cursor + 1) % streams.size();
          RtpHeader header;
          header.payload_type = stream.payload_type;
          header.sequence = stream.sequence++;
          header.timestamp = stream.timestamp;
          stream.timestamp += stream.step;
          header.ssrc = stream.ssrc;
          std::size_t size = writeRtpHeader(header, buffers[i]);
          std::memcpy(buffers[i].data() + size, stream.payload->data(), stream.payload->size());
          if (stamp) {
            int64_t now = nowNs();
            std::memcpy(buffers[i].data() + size, &now, sizeof now);
          }
          size += stream.payload->size();
          iovecs[i] = {buffers[i].data(), size};
          headers[i].msg_hdr = {};
          headers[i].msg_hdr.msg_iov = &iovecs[i];
          headers[i].msg_hdr.msg_iovlen = 1;
          headers[i].msg_hdr.msg_name = &stream.to;
          headers[i].msg_hdr.msg_namelen = sizeof stream.to;
        }
        std::size_t done = 0;
        while (done < batch) {
          int n = sendmmsg(fd_, headers.data() + done, static_cast<unsigned>(batch - done), 0);
          if (n > 0) {
            done += static_cast<std::size_t>(n);
          }
        }
        result.sent += batch;
        receive(result, stamp);
      }
      // Sleep until the next batch is due: the generator must not spin, or it steals the engine's
      // core (and real-time throttling stalls both). It does not wake for each arriving packet
      // either: waking a sleeping receiver costs the engine's sending thread, which a remote peer
      // would not. Measuring latency, it wakes every 100 us (the baseline has the same grain).
      const int64_t grain_ns = stamp ? 100'000 : 1'000'000;
      int64_t next = ((nowNs() - start) / grain_ns + 1) * grain_ns;
      int64_t wait_ns = start + next - nowNs();
      if (wait_ns > 0) {
        timespec timeout{0, static_cast<long>(wait_ns)};
        ppoll(nullptr, 0, &timeout, nullptr);
      }
      receive(result, stamp);
    }
    if (!latencies_.empty()) {
      std::sort(latencies_.begin(), latencies_.end());
      auto at = [&](double q) {
        return static_cast<double>(latencies_[static_cast<std::size_t>(
                   q * static_cast<double>(latencies_.size() - 1))]) /
               1e6;
      };
      result.p99_ms = at(0.99);
      std::fprintf(stderr, "[media-bench]   latency p50 %.3f p90 %.3f p99 %.3f p99.9 %.3f ms\n",
                   at(0.5), at(0.9), at(0.99), at(0.999));
    }
    return result;
  }

 private:
  void receive(RunResult& result, bool stamp) {
    for (;;) {
      for (std::size_t i = 0; i < ReceiveBatch; ++i) {
        receive_iovecs_[i] = {receive_buffers_[i].data(), receive_buffers_[i].size()};
        receive_headers_[i].msg_hdr = {};
        receive_headers_[i].msg_hdr.msg_iov = &receive_iovecs_[i];
        receive_headers_[i].msg_hdr.msg_iovlen = 1;
      }
      int n = recvmmsg(fd_, receive_headers_.data(), ReceiveBatch, MSG_DONTWAIT, nullptr);
      if (n <= 0) {
        return;
      }
      int64_t now = nowNs();
      for (int i = 0; i < n; ++i) {
        auto packet =
            std::span<const uint8_t>(receive_buffers_[i].data(), receive_headers_[i].msg_len);
        auto header = parseRtp(packet);
        if (!header || (header->payload_type >= 72 && header->payload_type <= 95)) {
          continue;  // RTCP
        }
        ++result.received;
        if (stamp && header->payload_size >= 8) {
          int64_t sent;
          std::memcpy(&sent, packet.data() + header->header_size, sizeof sent);
          latencies_.push_back(now - sent);
        }
      }
    }
  }

  static constexpr std::size_t ReceiveBatch = 64;
  int fd_ = -1;
  uint16_t port_ = 0;
  bool telephone_events_ = true;
  sockaddr_in self_{};
  std::vector<int64_t> latencies_;
  std::array<std::array<uint8_t, 1600>, ReceiveBatch> receive_buffers_{};
  std::array<iovec, ReceiveBatch> receive_iovecs_{};
  std::array<mmsghdr, ReceiveBatch> receive_headers_{};
};

MediaEnginePtr startEngine(MediaEngineListener& listener) {
  EngineConfig config;
  config.threads = 1;
  config.port_min = 20000;
  config.port_max = 60000;
  config.rtp_timeout_ms = 600'000;
  config.quality_interval_ms = 600'000;
  auto engine = startMediaEngine(config, listener);
  if (!engine.ok()) {
    std::fprintf(stderr, "[media-bench] engine: %s\n", engine.error().message.c_str());
    std::exit(1);
  }
  return std::move(engine).value();
}

uint16_t portOf(const std::string& sdp) {
  return static_cast<uint16_t>(std::stoi(sdp.substr(sdp.find("m=audio ") + 8)));
}

Stream streamTo(const std::string& sdp, uint8_t payload_type, uint32_t step,
                const std::vector<uint8_t>& payload, uint32_t ssrc) {
  Stream stream;
  stream.to.sin_family = AF_INET;
  stream.to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  stream.to.sin_port = htons(portOf(sdp));
  stream.payload_type = payload_type;
  stream.step = step;
  stream.payload = &payload;
  stream.ssrc = ssrc;
  stream.sequence = static_cast<uint16_t>(ssrc * 7);
  return stream;
}

std::vector<uint8_t> encodedTone(CodecId codec) {
  AudioFrame frame;
  ToneGenerator(1000, 0.3).fill(frame.view());
  auto encoder = makeEncoder(codec);
  std::vector<uint8_t> payload(MaxPayloadBytes);
  // The second frame: the encoder has settled.
  encoder->encode(frame, payload);
  payload.resize(encoder->encode(frame, payload));
  return payload;
}

/** Creates `calls` bridged pairs of sessions; @return the generator's streams into them. */
std::vector<Stream> setUpCalls(MediaEngine& engine, Generator& generator, int calls, bool transcode,
                               const std::vector<uint8_t>& pcmu, const std::vector<uint8_t>& opus) {
  std::vector<Stream> streams;
  for (int i = 0; i < calls; ++i) {
    auto a = engine.answer(generator.offer("PCMU/8000", 0), {});
    auto b = transcode ? engine.answer(generator.offer("opus/48000/2", 111), {})
                       : engine.answer(generator.offer("PCMU/8000", 0), {});
    if (!a.ok() || !b.ok()) {
      std::fprintf(stderr, "[media-bench] session setup failed at call %d: %s\n", i,
                   (!a.ok() ? a.error() : b.error()).message.c_str());
      std::exit(1);
    }
    (void)engine.bridge(a->id, b->id);
    streams.push_back(streamTo(a->sdp, 0, 160, pcmu, static_cast<uint32_t>(2 * i + 1)));
    streams.push_back(transcode ? streamTo(b->sdp, 111, 960, opus, static_cast<uint32_t>(2 * i + 2))
                                : streamTo(b->sdp, 0, 160, pcmu, static_cast<uint32_t>(2 * i + 2)));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  return streams;
}

/** The generator's own loopback figure: packets it sends to itself. */
double baselineP99(Generator& generator, int streams_count, const std::vector<uint8_t>& pcmu) {
  std::vector<Stream> streams(static_cast<std::size_t>(streams_count));
  for (std::size_t i = 0; i < streams.size(); ++i) {
    streams[i].to = generator.self();
    streams[i].payload = &pcmu;
    streams[i].ssrc = static_cast<uint32_t>(i + 1);
  }
  return generator.run(streams, 2.0, true).p99_ms;
}

void relayFigures(const std::vector<uint8_t>& pcmu, const std::vector<uint8_t>& opus,
                  bool in_band) {
  int best = 0;
  double best_p99 = 0;
  double alloc_per_packet = -1;
  for (int calls = 250; calls <= 3000; calls += calls < 500 ? 250 : 125) {
    SilentListener listener;
    MediaEnginePtr engine = startEngine(listener);
    Generator generator;
    generator.setTelephoneEvents(!in_band);
    auto streams = setUpCalls(*engine, generator, calls, false, pcmu, opus);
    generator.run(streams, 1.0, true);  // warm-up: latching, caches
    double baseline = baselineP99(generator, 2 * calls, pcmu);
    uint64_t relayed_before = engine->counters().packets_relayed;
    uint64_t bytes_before = allocated_bytes.load();
    RunResult result = generator.run(streams, 3.0, true);
    uint64_t bytes = allocated_bytes.load() - bytes_before;
    uint64_t relayed = engine->counters().packets_relayed - relayed_before;
    double added = std::max(0.0, result.p99_ms - baseline);
    std::fprintf(stderr,
                 "[media-bench] relay%s %d calls: sent %lu received %lu loss %.3f %% p99 %.3f ms "
                 "(baseline %.3f, added %.3f) alloc %lu B over %lu relayed\n",
                 in_band ? " in-band" : "", calls, result.sent, result.received,
                 result.loss_percent(), result.p99_ms, baseline, added, bytes, relayed);
    if (alloc_per_packet < 0 && relayed > 0) {
      alloc_per_packet = static_cast<double>(bytes) / static_cast<double>(relayed);
    }
    if (result.loss_percent() >= 0.1 || added >= 2.0) {
      break;
    }
    best = calls;
    best_p99 = added;
  }
  if (in_band) {
    std::printf("bench: media_relay_inband_calls_per_thread %d calls\n", best);
    return;
  }
  if (wanted("media_relay_calls_per_thread")) {
    std::printf("bench: media_relay_calls_per_thread %d calls\n", best);
  }
  if (wanted("media_relay_added_p99_ms")) {
    std::printf("bench: media_relay_added_p99_ms %.3f ms\n", best_p99);
  }
  if (wanted("media_fastpath_alloc_bytes_per_packet")) {
    std::printf("bench: media_fastpath_alloc_bytes_per_packet %.3f bytes\n", alloc_per_packet);
  }
}

void transcodeFigure(const std::vector<uint8_t>& pcmu, const std::vector<uint8_t>& opus) {
  int best = 0;
  for (int calls = 50; calls <= 1000; calls += 50) {
    SilentListener listener;
    MediaEnginePtr engine = startEngine(listener);
    Generator generator;
    auto streams = setUpCalls(*engine, generator, calls, true, pcmu, opus);
    generator.run(streams, 1.0, false);
    RunResult result = generator.run(streams, 3.0, false);
    std::fprintf(stderr, "[media-bench] transcode %d calls: sent %lu received %lu loss %.3f %%\n",
                 calls, result.sent, result.received, result.loss_percent());
    if (result.loss_percent() >= 0.1) {
      break;
    }
    best = calls;
  }
  std::printf("bench: media_transcode_calls_per_core %d calls\n", best);
}

void conferenceFigure(const std::vector<uint8_t>& pcmu) {
  int best = 0;
  for (int conferences = 50; conferences <= 2000; conferences += 50) {
    SilentListener listener;
    MediaEnginePtr engine = startEngine(listener);
    Generator generator;
    std::vector<Stream> streams;
    for (int c = 0; c < conferences; ++c) {
      for (int p = 0; p < 3; ++p) {
        auto session = engine->answer(generator.offer("PCMU/8000", 0), {});
        if (!session.ok()) {
          std::fprintf(stderr, "[media-bench] %s\n", session.error().message.c_str());
          std::exit(1);
        }
        (void)engine->joinConference(static_cast<ConferenceId>(c + 1), session->id,
                                     Mixer::Role::Speaker);
        streams.push_back(
            streamTo(session->sdp, 0, 160, pcmu, static_cast<uint32_t>(3 * c + p + 1)));
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    generator.run(streams, 1.0, false);
    // Each participant hears one mixed packet per tick: as many as it sends.
    RunResult result = generator.run(streams, 3.0, false, 0);
    std::fprintf(
        stderr, "[media-bench] conference3 %d conferences: sent %lu received %lu (%.3f %% short)\n",
        conferences, result.sent, result.received, result.loss_percent());
    if (result.loss_percent() >= 0.1) {
      break;
    }
    best = conferences;
  }
  std::printf("bench: media_conference3_per_core %d conferences\n", best);
}

}  // namespace

int main(int argc, char** argv) {
  prefix = argc > 1 ? argv[1] : "";
  count_allocations = false;
  // Thousands of sessions: two sockets each.
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = files.rlim_max;
  setrlimit(RLIMIT_NOFILE, &files);

  auto pcmu = encodedTone(CodecId::Pcmu);
  auto opus = encodedTone(CodecId::Opus);
  if (wanted("media_relay_calls_per_thread") || wanted("media_relay_added_p99_ms") ||
      wanted("media_fastpath_alloc_bytes_per_packet")) {
    relayFigures(pcmu, opus, false);
  }
  if (wanted("media_relay_inband_calls_per_thread")) {
    relayFigures(pcmu, opus, true);
  }
  if (wanted("media_transcode_calls_per_core")) {
    transcodeFigure(pcmu, opus);
  }
  if (wanted("media_conference3_per_core")) {
    conferenceFigure(pcmu);
  }
  return 0;
}
