#include "media/internal/leg.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <random>

#include "media/emodel.h"
#include "media/g711.h"
#include "media/internal/conference.h"
#include "media/internal/leg_support.h"
#include "media/internal/thread_counters.h"
#include "media/packet_kind.h"
#include "media/recorder.h"
#include "media/rtcp.h"
#include "media/sdes.h"
#include "media/stun.h"

namespace kefu::media {
namespace {

uint32_t randomWord() {
  thread_local std::mt19937 generator{std::random_device{}()};
  return generator();
}

}  // namespace

using namespace leg_support;

Leg::Leg(LegSetup setup, const EngineConfig& config, MediaEngineListener& listener,
         ThreadCounters& counters)
    : config_(config),
      listener_(listener),
      counters_(&counters),
      id_(setup.id),
      rtp_(std::move(setup.rtp)),
      rtcp_(std::move(setup.rtcp)),
      local_(std::move(setup.local)),
      certificate_(std::move(setup.certificate)),
      ssrc_(randomWord()),
      next_sequence_(static_cast<uint16_t>(randomWord())),
      next_timestamp_(randomWord()),
      stats_(8000) {
  bump(counters_->sessions_created);
  counters_->sessions_active.fetch_add(1, std::memory_order_relaxed);
  in_band_dtmf_ = setup.in_band_dtmf;
  if (setup.negotiated) {
    pending_negotiation_ = std::move(setup.negotiated);
  }
}

Leg::~Leg() {
  if (!finished_) {
    counters_->sessions_active.fetch_sub(1, std::memory_order_relaxed);
  }
}

void Leg::start(int64_t now_ms) {
  last_received_ms_ = now_ms;
  next_report_ms_ = now_ms + config_.quality_interval_ms;
  if (pending_negotiation_) {
    Negotiated negotiated = std::move(*pending_negotiation_);
    pending_negotiation_.reset();
    applyNegotiation(negotiated, now_ms);
  }
}

void Leg::applyNegotiation(const Negotiated& negotiated, int64_t now_ms) {
  bool codec_changed = !negotiated_ || negotiated_->codec != negotiated.codec ||
                       negotiated_->payload_type != negotiated.payload_type;
  bool first = !negotiated_;
  negotiated_ = negotiated;
  const CodecSpec& spec = codecSpec(negotiated.codec);
  if (first) {
    stats_ = ReceptionStats(spec.clock_rate);
  }
  if (codec_changed) {
    encoder_.reset();
    decoder_.reset();
    transcode_decoder_.reset();
    jitter_.reset();
  }
  // A re-INVITE that puts us on hold carries 0.0.0.0 or port 0: keep the address we know.
  auto remote = UdpAddress::parse(negotiated.remote_address, negotiated.remote_port);
  bool usable =
      remote.ok() && negotiated.remote_port != 0 && negotiated.remote_address != "0.0.0.0";
  if (usable && !(remote_latched_ && negotiated.security == MediaSecurity::DtlsSrtp)) {
    remote_rtp_ = *remote;
    remote_latched_ = false;
    uint16_t rtcp_port = negotiated.remote_rtcp_port != 0
                             ? negotiated.remote_rtcp_port
                             : static_cast<uint16_t>(negotiated.remote_port + 1);
    auto rtcp = UdpAddress::parse(negotiated.remote_address, rtcp_port);
    remote_rtcp_ = negotiated.rtcp_mux ? remote_rtp_ : (rtcp.ok() ? *rtcp : UdpAddress{});
  }
  if (negotiated.security == MediaSecurity::Sdes && negotiated.local_crypto &&
      negotiated.remote_crypto) {
    auto outbound =
        parseSdesKeyParams(negotiated.local_crypto->suite, negotiated.local_crypto->key_params);
    auto inbound =
        parseSdesKeyParams(negotiated.remote_crypto->suite, negotiated.remote_crypto->key_params);
    if (outbound.ok() && inbound.ok()) {
      auto session = SrtpSession::create(*outbound, *inbound);
      if (session.ok()) {
        srtp_ = std::move(session).value();
      } else {
        spdlog::warn("media: session {}: SRTP setup failed: {}", id_, session.error().message);
      }
    }
  }
  if (negotiated.security == MediaSecurity::DtlsSrtp && !dtls_ && certificate_) {
    // We answer "passive" to "actpass" and take the role the peer leaves us (RFC 5763).
    auto role = negotiated.remote_setup == "passive" ? DtlsTransport::Role::Client
                                                     : DtlsTransport::Role::Server;
    dtls_ = std::make_unique<DtlsTransport>(
        certificate_, role, negotiated.remote_fingerprint_algorithm, negotiated.remote_fingerprint);
    dtls_->start(now_ms);
    dtls_timer_ms_ = dtls_->onTimer(now_ms);
    flushDtls();
  }
  if (needsAudio()) {
    prepareAudio();
  }
  if (partner_ != nullptr) {
    // The codecs may have changed: decide again between relaying and transcoding.
    Leg* partner = partner_;
    partner->setPartner(this);
    setPartner(partner);
  }
}

void Leg::onDatagram(std::span<uint8_t> buffer, std::size_t size, const UdpAddress& source,
                     bool rtcp, SendBatch& send, int64_t now_ms) {
  auto datagram = buffer.first(size);
  switch (classifyPacket(datagram)) {
    case PacketKind::Rtp:
      if (rtcp) {
        bump(counters_->unknown_packets);
        return;
      }
      onRtp(buffer, size, source, send, now_ms);
      return;
    case PacketKind::Rtcp:
      onRtcp(buffer, size, source, rtcp);
      return;
    case PacketKind::Stun:
      onStun(datagram, source);
      return;
    case PacketKind::Dtls:
      onDtls(datagram, source, now_ms);
      return;
    case PacketKind::Unknown:
      bump(counters_->unknown_packets);
      return;
  }
}

void Leg::onRtp(std::span<uint8_t> buffer, std::size_t size, const UdpAddress& source,
                SendBatch& send, int64_t now_ms) {
  if (!negotiated_) {
    return;  // media before the answer: nothing to do with it yet
  }
  if (negotiated_->security != MediaSecurity::None) {
    if (!srtp_) {
      bump(counters_->srtp_failures);
      return;
    }
    auto plain = srtp_->unprotectRtp(buffer, size);
    if (!plain) {
      bump(counters_->srtp_failures);
      return;
    }
    size = *plain;
  }
  auto packet = buffer.first(size);
  auto header = parseRtp(packet);
  if (!header) {
    bump(counters_->malformed_rtp);
    return;
  }
  bump(counters_->packets_received);
  // Symmetric RTP: answer where the peer really sends from (NAT). With ICE, STUN decides.
  if (!remote_latched_ && negotiated_->security != MediaSecurity::DtlsSrtp) {
    remote_rtp_ = source;
    if (negotiated_->rtcp_mux) {
      remote_rtcp_ = source;
    }
    remote_latched_ = true;
  }
  last_received_ms_ = now_ms;
  timed_out_ = false;
  remote_ssrc_ = header->ssrc;
  stats_.onPacket(header->sequence, header->timestamp, now_ms * 1000);
  auto payload = packet.subspan(header->header_size, header->payload_size);

  int event_type = negotiated_->telephone_event_payload_type;
  if (event_type >= 0 && header->payload_type == event_type) {
    if (auto digit = telephone_events_in_.onPacket(header->timestamp, payload)) {
      listener_.onDtmf(id_, *digit, DtmfSource::Rfc4733);
    }
    if (partner_ != nullptr && relay_) {
      relayTo(*partner_, buffer, size, *header, send, now_ms, true);
    }
    return;
  }
  if (header->payload_type != negotiated_->payload_type) {
    return;  // comfort noise or a format we did not negotiate: not audio we play
  }
  // The payload is read before relaying: relayTo rewrites the packet in place (and SRTP
  // encrypts it in place) for the partner.
  if (detectsNarrowDtmf()) {
    detectNarrowDtmf(payload);
  }
  if (jitter_) {
    jitter_->put(header->sequence, header->timestamp, payload, now_ms);
  }
  if (partner_ != nullptr && partner_->negotiated()) {
    if (relay_) {
      relayTo(*partner_, buffer, size, *header, send, now_ms, false);
    } else {
      transcodeTo(*partner_, payload, send, now_ms);
    }
  }
}

void Leg::detectNarrowDtmf(std::span<const uint8_t> payload) {
  if (!dtmf_detector_) {
    dtmf_detector_ = std::make_unique<DtmfDetector>();
  }
  // Packets are checked in arrival order: a tone lasts many packets, and the detector rides over
  // the rare reordered or lost one, so the jitter buffer (and its 20 ms delay) buys nothing here.
  bool alaw = negotiated_->codec == CodecId::Pcma;
  std::array<int16_t, 160> narrow;
  for (std::size_t offset = 0; offset < payload.size(); offset += narrow.size()) {
    std::size_t count = std::min(narrow.size(), payload.size() - offset);
    for (std::size_t i = 0; i < count; ++i) {
      uint8_t code = payload[offset + i];
      narrow[i] = alaw ? alawToLinear(code) : ulawToLinear(code);
    }
    for (char digit : dtmf_detector_->feedNarrow(std::span<const int16_t>(narrow).first(count))) {
      listener_.onDtmf(id_, digit, DtmfSource::InBand);
    }
  }
  bump(counters_->frames_dtmf_narrow);
}

void Leg::relayTo(Leg& to, std::span<uint8_t> buffer, std::size_t size, const RtpHeader& header,
                  SendBatch& send, int64_t now_ms, bool telephone_event) {
  if (!to.hearsPartner()) {
    return;
  }
  int payload_type =
      telephone_event ? to.negotiated_->telephone_event_payload_type : to.negotiated_->payload_type;
  if (payload_type < 0) {
    return;  // the partner did not negotiate telephone events: the digit was reported already
  }
  if (to.relay_source_ssrc_ != header.ssrc) {
    // A new source stream: map it onto the partner's continuing stream.
    to.advanceClock(now_ms);
    to.relay_sequence_offset_ = static_cast<uint16_t>(to.next_sequence_ - header.sequence);
    to.relay_timestamp_offset_ = to.next_timestamp_ - header.timestamp;
    to.relay_source_ssrc_ = header.ssrc;
    to.marker_next_ = true;
  }
  auto sequence = static_cast<uint16_t>(header.sequence + to.relay_sequence_offset_);
  uint32_t timestamp = header.timestamp + to.relay_timestamp_offset_;
  auto packet = buffer.first(size);
  setRtpSsrc(packet, to.ssrc_);
  setRtpSequence(packet, sequence);
  setRtpTimestamp(packet, timestamp);
  setRtpPayloadType(packet, static_cast<uint8_t>(payload_type));
  if (to.marker_next_) {
    setRtpMarker(packet, true);
    to.marker_next_ = false;
  }
  if (static_cast<int16_t>(sequence - to.next_sequence_) >= 0) {
    to.next_sequence_ = static_cast<uint16_t>(sequence + 1);
  }
  uint32_t step = codecSpec(to.negotiated_->codec).timestamp_step;
  if (!telephone_event && static_cast<int32_t>(timestamp - to.next_timestamp_) >= 0) {
    to.next_timestamp_ = timestamp + step;
  }
  to.last_sent_ms_ = now_ms;
  to.sent_any_ = true;
  to.sendRtp(buffer, size, header.payload_size, &send);
  bump(counters_->packets_relayed);
}

void Leg::transcodeTo(Leg& to, std::span<const uint8_t> payload, SendBatch& send, int64_t now_ms) {
  if (!to.hearsPartner()) {
    return;
  }
  if (!transcode_decoder_) {
    transcode_decoder_ = makeDecoder(negotiated_->codec);
  }
  AudioFrame frame;
  if (!transcode_decoder_->decode(payload, frame)) {
    bump(counters_->malformed_rtp);
    return;
  }
  to.sendFrame(frame, &send, now_ms);
  bump(counters_->packets_transcoded);
}

bool Leg::hearsPartner() const {
  return negotiated_ && player_ == nullptr && conference_ == nullptr;
}

void Leg::sendFrame(const AudioFrame& frame, SendBatch* batch, int64_t now_ms) {
  if (!negotiated_ || !sends(negotiated_->direction)) {
    return;
  }
  if (!encoder_) {
    encoder_ = makeEncoder(negotiated_->codec);
  }
  advanceClock(now_ms);
  std::array<uint8_t, PacketBufferSize> packet;
  RtpHeader header;
  header.marker = marker_next_;
  header.payload_type = static_cast<uint8_t>(negotiated_->payload_type);
  header.sequence = next_sequence_;
  header.timestamp = next_timestamp_;
  header.ssrc = ssrc_;
  std::size_t header_size = writeRtpHeader(header, packet);
  std::size_t bytes =
      encoder_->encode(frame, std::span<uint8_t>(packet).subspan(header_size, MaxPayloadBytes));
  if (bytes == 0) {
    return;
  }
  ++next_sequence_;
  next_timestamp_ += codecSpec(negotiated_->codec).timestamp_step;
  marker_next_ = false;
  last_sent_ms_ = now_ms;
  sendRtp(packet, header_size + bytes, bytes, batch);
}

void Leg::advanceClock(int64_t now_ms) {
  if (sent_any_ && now_ms - last_sent_ms_ >= 2 * PtimeMs) {
    // A pause in what we send (silence, a switch of source): the timestamp follows real time.
    auto skipped = static_cast<uint32_t>((now_ms - last_sent_ms_) / PtimeMs - 1);
    next_timestamp_ += skipped * codecSpec(negotiated_->codec).timestamp_step;
    marker_next_ = true;
  }
  sent_any_ = true;
}

void Leg::sendRtp(std::span<uint8_t> buffer, std::size_t size, std::size_t payload_size,
                  SendBatch* batch) {
  if (!remote_rtp_.valid() || !sends(negotiated_->direction)) {
    return;
  }
  if (negotiated_->security != MediaSecurity::None) {
    if (!srtp_) {
      return;  // keys not agreed yet (DTLS handshake in progress)
    }
    size = srtp_->protectRtp(buffer, size);
    if (size == 0) {
      return;
    }
  }
  if (batch != nullptr) {
    batch->add(rtp_.fd(), buffer.first(size), remote_rtp_);
  } else {
    rtp_.sendTo(buffer.first(size), remote_rtp_);
  }
  ++packets_sent_;
  octets_sent_ += payload_size;
  bump(counters_->packets_sent);
}

void Leg::onRtcp(std::span<uint8_t> buffer, std::size_t size, const UdpAddress& source,
                 bool on_rtcp_socket) {
  if (!negotiated_) {
    return;
  }
  if (negotiated_->security != MediaSecurity::None) {
    if (!srtp_) {
      return;
    }
    auto plain = srtp_->unprotectRtcp(buffer, size);
    if (!plain) {
      bump(counters_->srtp_failures);
      return;
    }
    size = *plain;
  }
  auto report = parseRtcp(buffer.first(size));
  if (!report) {
    bump(counters_->malformed_rtcp);
    return;
  }
  if (on_rtcp_socket && negotiated_->security != MediaSecurity::DtlsSrtp) {
    remote_rtcp_ = source;
  }
  int64_t now_us = monotonicMicros();
  if (report->sender) {
    last_sr_ = ntpMiddle32(report->sender->ntp_timestamp);
    last_sr_arrival_us_ = now_us;
  }
  for (std::size_t i = 0; i < report->block_count; ++i) {
    if (report->blocks[i].ssrc == ssrc_) {
      if (auto rtt = roundTripMs(report->blocks[i], ntpMiddle32FromUnixMicros(unixMicros()))) {
        round_trip_ms_ = *rtt;
      }
    }
  }
}

void Leg::onStun(std::span<const uint8_t> datagram, const UdpAddress& source) {
  if (local_.ice_pwd.empty()) {
    bump(counters_->unknown_packets);
    return;
  }
  auto request = parseStun(datagram);
  if (!request) {
    bump(counters_->malformed_stun);
    return;
  }
  if (request->type != 0x0001) {
    return;  // an indication or a response: ICE-lite sends no requests
  }
  std::array<uint8_t, 512> response;
  std::string_view username = request->username;
  bool ours = username.size() > local_.ice_ufrag.size() &&
              username.substr(0, local_.ice_ufrag.size()) == local_.ice_ufrag &&
              username[local_.ice_ufrag.size()] == ':';
  if (!ours || !request->has_integrity || !checkStunIntegrity(datagram, local_.ice_pwd)) {
    bump(counters_->malformed_stun);
    std::size_t n = writeBindingError(*request, 401, "Unauthorized", "", response);
    if (n > 0) {
      rtp_.sendTo(std::span<const uint8_t>(response).first(n), source);
    }
    return;
  }
  std::size_t n = writeBindingSuccess(*request, source.storage, local_.ice_pwd, response);
  if (n > 0) {
    rtp_.sendTo(std::span<const uint8_t>(response).first(n), source);
  }
  // ICE-lite: the controlling agent's checks tell us the path; its nomination fixes it.
  if (!remote_latched_ || request->use_candidate) {
    remote_rtp_ = source;
    remote_rtcp_ = source;
    remote_latched_ = true;
  }
}

void Leg::onDtls(std::span<const uint8_t> datagram, const UdpAddress& source, int64_t now_ms) {
  if (!dtls_) {
    bump(counters_->malformed_dtls);
    return;
  }
  if (!remote_latched_) {
    remote_rtp_ = source;
    remote_rtcp_ = source;
  }
  uint64_t malformed_before = dtls_->malformedDatagrams();
  dtls_->onDatagram(datagram, now_ms);
  if (dtls_->malformedDatagrams() != malformed_before) {
    bump(counters_->malformed_dtls);
  }
  dtls_timer_ms_ = dtls_->onTimer(now_ms);
  flushDtls();
}

void Leg::flushDtls() {
  std::vector<uint8_t> datagram;
  while (dtls_->popOutgoing(datagram)) {
    if (remote_rtp_.valid()) {
      rtp_.sendTo(datagram, remote_rtp_);
    }
  }
  if (dtls_->state() == DtlsTransport::State::Connected && !srtp_) {
    auto [outbound, inbound] = dtls_->srtpKeys();
    auto session = SrtpSession::create(outbound, inbound);
    if (session.ok()) {
      srtp_ = std::move(session).value();
      listener_.onSecureTransport(id_, true, "");
    } else {
      dtls_reported_ = true;
      listener_.onSecureTransport(id_, false, session.error().message);
    }
  } else if (dtls_->state() == DtlsTransport::State::Failed && !dtls_reported_) {
    dtls_reported_ = true;
    listener_.onSecureTransport(id_, false, dtls_->failureReason());
  }
}

}  // namespace kefu::media
