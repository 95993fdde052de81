#include <spdlog/spdlog.h>

#include <algorithm>

#include "media/emodel.h"
#include "media/internal/conference.h"
#include "media/internal/leg.h"
#include "media/internal/leg_support.h"
#include "media/internal/thread_counters.h"
#include "media/recorder.h"
#include "media/rtcp.h"

// Leg's clocked work (what each 20 ms tick receives, records, mixes and sends, the RTCP reports
// and the quality figures) and what joins it to other legs, recordings, conferences and prompts.
// The packet path is in leg.cc.

namespace kefu::media {

using namespace leg_support;

bool Leg::detectsInBandDtmf() const {
  return in_band_dtmf_ && negotiated_ && negotiated_->telephone_event_payload_type < 0;
}

bool Leg::detectsNarrowDtmf() const {
  return detectsInBandDtmf() &&
         (negotiated_->codec == CodecId::Pcmu || negotiated_->codec == CodecId::Pcma);
}

bool Leg::needsAudio() const {
  // A relayed leg forwards packets untouched: only a consumer of the audio makes it decode.
  return conference_ != nullptr || recorder_ != nullptr || recorded_by_ != nullptr ||
         tap_ != nullptr || (detectsInBandDtmf() && !detectsNarrowDtmf());
}

void Leg::prepareAudio() {
  if (!negotiated_) {
    return;
  }
  const CodecSpec& spec = codecSpec(negotiated_->codec);
  if (!jitter_) {
    JitterBuffer::Config config;
    config.timestamp_step = spec.timestamp_step;
    config.clock_rate = spec.clock_rate;
    jitter_ = std::make_unique<JitterBuffer>(config);
  }
  if (!decoder_) {
    decoder_ = makeDecoder(negotiated_->codec);
  }
  if (detectsInBandDtmf() && !detectsNarrowDtmf() && !dtmf_detector_) {
    dtmf_detector_ = std::make_unique<DtmfDetector>();
  }
}

void Leg::tickReceive(int64_t now_ms) {
  // Only a leg that decodes what it receives has readers of receivedAudio(): a relayed leg
  // skips even the clearing (2,000 legs would memset 64 MB/s for nothing).
  if (!jitter_ || !needsAudio()) {
    return;
  }
  received_audio_.samples.fill(0);
  auto out = jitter_->pop(now_ms);
  switch (out.kind) {
    case JitterBuffer::Output::Kind::Frame:
      decoder_->decode(out.payload, received_audio_);
      bump(counters_->frames_decoded);
      break;
    case JitterBuffer::Output::Kind::Lost:
      decoder_->conceal(received_audio_);
      bump(counters_->frames_decoded);
      break;
    case JitterBuffer::Output::Kind::Empty:
      break;
  }
  // A G.711 leg's digits were found at 8 kHz as the packets arrived (detectNarrowDtmf).
  if (dtmf_detector_ && detectsInBandDtmf() && !detectsNarrowDtmf()) {
    for (char digit : dtmf_detector_->feed(received_audio_)) {
      listener_.onDtmf(id_, digit, DtmfSource::InBand);
    }
  }
  if (tap_) {
    tap_->onAudio(id_, received_audio_);
  }
}

void Leg::tickRecord() {
  if (recorder_) {
    static const AudioFrame Silence{};
    recorder_->write(received_audio_,
                     recording_right_ != nullptr ? recording_right_->receivedAudio() : Silence);
  }
}

void Leg::tickSend(int64_t now_ms) {
  if (!negotiated_) {
    return;
  }
  if (telephone_events_out_.active()) {
    sendTelephoneEvent(now_ms);
  }
  if (player_) {
    AudioFrame frame;
    if (player_->fill(frame)) {
      sendFrame(frame, nullptr, now_ms);
      return;
    }
    player_.reset();
    marker_next_ = true;
    relay_source_ssrc_.reset();
    listener_.onPlayFinished(id_, play_id_);
  }
  if (dtmf_generator_.active()) {
    AudioFrame frame;
    dtmf_generator_.fill(frame);
    sendFrame(frame, nullptr, now_ms);
    return;
  }
  if (conference_ != nullptr) {
    sendFrame(conference_->outputFor(*this), nullptr, now_ms);
  }
}

void Leg::sendTelephoneEvent(int64_t now_ms) {
  auto packet = telephone_events_out_.next();
  if (!packet) {
    return;
  }
  if (packet->marker) {
    advanceClock(now_ms);
    telephone_event_timestamp_ = next_timestamp_;
  }
  std::array<uint8_t, 64> buffer;
  RtpHeader header;
  header.marker = packet->marker;
  header.payload_type = static_cast<uint8_t>(negotiated_->telephone_event_payload_type);
  header.sequence = next_sequence_++;
  header.timestamp = telephone_event_timestamp_;
  header.ssrc = ssrc_;
  std::size_t size = writeRtpHeader(header, buffer);
  std::copy(packet->payload.begin(), packet->payload.end(), buffer.begin() + size);
  size += packet->payload.size();
  if (!player_ && !dtmf_generator_.active() && conference_ == nullptr) {
    // Nothing else advances our clock while the event plays.
    next_timestamp_ += codecSpec(negotiated_->codec).timestamp_step;
    last_sent_ms_ = now_ms;
  }
  sendRtp(buffer, size, packet->payload.size(), nullptr);
}

void Leg::tickHousekeeping(int64_t now_ms) {
  if (dtls_ && dtls_timer_ms_ >= 0 && now_ms >= dtls_timer_ms_) {
    dtls_timer_ms_ = dtls_->onTimer(now_ms);
    flushDtls();
  }
  if (negotiated_ && receives(negotiated_->direction) && !timed_out_ &&
      now_ms - last_received_ms_ > config_.rtp_timeout_ms) {
    timed_out_ = true;
    listener_.onRtpTimeout(id_);
  }
  if (now_ms >= next_report_ms_) {
    next_report_ms_ = now_ms + config_.quality_interval_ms;
    sendRtcpReport(false, now_ms);
    if (interval_received_ != stats_.received()) {
      listener_.onQuality(id_, qualityReport(false));
    }
    interval_received_ = stats_.received();
  }
}

void Leg::finish(int64_t now_ms) {
  // The session no longer counts as open once its final report is out: whoever reads that report
  // (and then the counters) must not still see it.
  if (!finished_) {
    finished_ = true;
    counters_->sessions_active.fetch_sub(1, std::memory_order_relaxed);
  }
  if (negotiated_) {
    sendRtcpReport(true, now_ms);
    listener_.onQuality(id_, qualityReport(true));
  }
}

void Leg::sendRtcpReport(bool bye, int64_t now_ms) {
  if (!negotiated_) {
    return;
  }
  std::optional<SenderInfo> sender;
  if (packets_sent_ > 0) {
    SenderInfo info;
    info.ntp_timestamp = ntpFromUnixMicros(unixMicros());
    info.rtp_timestamp = next_timestamp_;
    info.packet_count = static_cast<uint32_t>(packets_sent_);
    info.octet_count = static_cast<uint32_t>(octets_sent_);
    sender = info;
  }
  std::array<ReportBlock, 1> blocks;
  std::size_t block_count = 0;
  if (remote_ssrc_) {
    blocks[0] = stats_.reportBlock(*remote_ssrc_, last_sr_, now_ms * 1000, last_sr_arrival_us_);
    interval_fraction_lost_ = blocks[0].fraction_lost;
    block_count = 1;
  }
  std::array<uint8_t, PacketBufferSize> buffer;
  std::size_t size = writeRtcpReport(ssrc_, sender, std::span(blocks).first(block_count),
                                     config_.cname, bye, buffer);
  if (size == 0) {
    return;
  }
  if (negotiated_->security != MediaSecurity::None) {
    if (!srtp_) {
      return;
    }
    size = srtp_->protectRtcp(buffer, size);
    if (size == 0) {
      return;
    }
  }
  auto datagram = std::span<const uint8_t>(buffer).first(size);
  if (negotiated_->rtcp_mux) {
    if (remote_rtp_.valid()) {
      rtp_.sendTo(datagram, remote_rtp_);
    }
  } else if (remote_rtcp_.valid()) {
    rtcp_.sendTo(datagram, remote_rtcp_);
  }
}

QualityReport Leg::qualityReport(bool final) const {
  QualityReport report;
  report.codec = negotiated_->codec;
  report.final = final;
  report.packets_received = stats_.received();
  report.packets_lost = std::max<int64_t>(0, stats_.lost());
  report.loss_percent = final ? stats_.lossPercent() : interval_fraction_lost_ * 100.0 / 256.0;
  report.jitter_ms = stats_.jitterMs();
  report.round_trip_ms = round_trip_ms_;
  EModelInput input = codecDefaults(negotiated_->codec);
  input.packet_loss_percent = report.loss_percent;
  // Mouth to ear: half the round trip, packetisation, and a jitter buffer of twice the jitter.
  input.one_way_delay_ms = round_trip_ms_.value_or(0) / 2 + PtimeMs + 2 * report.jitter_ms;
  report.mos = mosFromR(rFactor(input));
  return report;
}

void Leg::setPartner(Leg* partner) {
  partner_ = partner;
  relay_source_ssrc_.reset();
  relay_ = partner != nullptr && negotiated_ && partner->negotiated_ &&
           partner->negotiated_->codec == negotiated_->codec;
  marker_next_ = true;
}

void Leg::setRecorder(std::unique_ptr<Recorder> recorder, Leg* right) {
  recorder_ = std::move(recorder);
  recording_right_ = right;
  if (right != nullptr) {
    right->setRecordedBy(recorder_ ? this : nullptr);
    right->prepareAudio();
  }
  prepareAudio();
}

void Leg::pauseRecording(bool paused) {
  if (recorder_) {
    paused ? recorder_->pause() : recorder_->resume();
  }
}

void Leg::stopRecording() {
  if (recording_right_ != nullptr) {
    recording_right_->setRecordedBy(nullptr);
  }
  recording_right_ = nullptr;
  recorder_.reset();
}

void Leg::detachRecordings() {
  if (recording_right_ != nullptr) {
    recording_right_->setRecordedBy(nullptr);
    recording_right_ = nullptr;
  }
  if (recorded_by_ != nullptr) {
    recorded_by_->recording_right_ = nullptr;
    recorded_by_ = nullptr;
  }
}

void Leg::moveCounters(ThreadCounters& counters) {
  if (!finished_) {
    // Both changes are atomic read-modify-writes, as every change of sessions_active is: the sum
    // over the threads may count the session twice for a moment, never zero times.
    counters.sessions_active.fetch_add(1, std::memory_order_relaxed);
    counters_->sessions_active.fetch_sub(1, std::memory_order_relaxed);
  }
  counters_ = &counters;
  // Debug builds check that DTLS and SRTP state is used by one thread: the new one from now on.
  if (dtls_) {
    dtls_->releaseThread();
  }
  if (srtp_) {
    srtp_->releaseThread();
  }
}

void Leg::setConference(Conference* conference) {
  conference_ = conference;
  if (conference != nullptr) {
    prepareAudio();
  }
  marker_next_ = true;
  relay_source_ssrc_.reset();
}

void Leg::setTap(std::shared_ptr<AudioTap> tap) {
  tap_ = std::move(tap);
  if (tap_) {
    prepareAudio();
  }
}

void Leg::play(PromptPtr prompt, bool loop, uint64_t play_id) {
  if (player_) {
    listener_.onPlayFinished(id_, play_id_);
  }
  player_ = std::make_unique<Player>(std::move(prompt), loop);
  play_id_ = play_id;
  marker_next_ = true;
}

void Leg::stopPlay() {
  if (player_) {
    player_.reset();
    relay_source_ssrc_.reset();
    listener_.onPlayFinished(id_, play_id_);
  }
}

void Leg::sendDtmf(char digit, int duration_ms) {
  if (!negotiated_) {
    return;
  }
  if (negotiated_->telephone_event_payload_type >= 0) {
    telephone_events_out_.start(digit, duration_ms, codecSpec(negotiated_->codec).clock_rate);
  } else {
    dtmf_generator_.start(digit, duration_ms);
  }
}

int64_t monotonicMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace kefu::media
