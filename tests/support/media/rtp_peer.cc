#include "support/media/rtp_peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <stdexcept>

#include "media/dtmf.h"
#include "media/sdp.h"
#include "media/telephone_event.h"
#include "media/tone.h"

namespace kefu::media::testing {
namespace {

std::string rtpmap(CodecId codec, int payload_type) {
  const CodecSpec& spec = codecSpec(codec);
  std::string line = "a=rtpmap:" + std::to_string(payload_type) + " " + std::string(spec.name) +
                     "/" + std::to_string(spec.clock_rate);
  if (spec.channels > 1) {
    line += "/" + std::to_string(spec.channels);
  }
  return line + "\r\n";
}

}  // namespace

RtpPeer::RtpPeer(CodecId codec, int payload_type, int telephone_event_type)
    : codec_(codec),
      payload_type_(payload_type),
      telephone_event_type_(telephone_event_type),
      encoder_(makeEncoder(codec)),
      decoder_(makeDecoder(codec)) {
  fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    throw std::runtime_error("RtpPeer: cannot bind a loopback UDP socket");
  }
  socklen_t length = sizeof address;
  getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { run(); });
}

RtpPeer::~RtpPeer() {
  stop_ = true;
  thread_.join();
  ::close(fd_);
}

std::string RtpPeer::offer() const {
  std::string formats = std::to_string(payload_type_);
  if (telephone_event_type_ >= 0) {
    formats += " " + std::to_string(telephone_event_type_);
  }
  std::string sdp =
      "v=0\r\no=peer 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
      "m=audio " +
      std::to_string(port_) + " RTP/AVP " + formats + "\r\n" + rtpmap(codec_, payload_type_);
  if (telephone_event_type_ >= 0) {
    sdp += "a=rtpmap:" + std::to_string(telephone_event_type_) + " telephone-event/" +
           std::to_string(codecSpec(codec_).clock_rate) +
           "\r\na=fmtp:" + std::to_string(telephone_event_type_) + " 0-16\r\n";
  }
  return sdp + "a=ptime:20\r\na=sendrecv\r\n";
}

std::string RtpPeer::answer(const std::string& engine_offer) {
  useRemote(engine_offer);
  return offer();
}

void RtpPeer::useRemote(const std::string& engine_sdp) {
  auto description = parseSdp(engine_sdp);
  if (!description.ok() || description->media.empty()) {
    throw std::runtime_error("RtpPeer: unusable SDP from the engine:\n" + engine_sdp);
  }
  const SdpMedia& media = description->media[0];
  std::lock_guard lock(mutex_);
  remote_address_ =
      media.connection_address.empty() ? description->connection_address : media.connection_address;
  remote_port_ = media.port;
  for (const SdpFormat& format : media.formats) {
    if (codecByName(format.name, format.clock_rate) == codec_) {
      remote_payload_type_ = format.payload_type;
      break;
    }
  }
  if (remote_payload_type_ < 0) {
    remote_payload_type_ = payload_type_;
  }
}

void RtpPeer::sendTone(double hz) {
  std::lock_guard lock(mutex_);
  tone_hz_ = hz;
  sending_ = true;
}

void RtpPeer::sendDigit(char digit) {
  std::lock_guard lock(mutex_);
  digits_.push_back(digit);
  sending_ = true;
}

void RtpPeer::sendRaw(const std::vector<uint8_t>& datagram) {
  std::lock_guard lock(mutex_);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(remote_port_);
  inet_pton(AF_INET, remote_address_.c_str(), &to.sin_addr);
  ::sendto(fd_, datagram.data(), datagram.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
}

void RtpPeer::stopSending() {
  std::lock_guard lock(mutex_);
  sending_ = false;
}

std::vector<int16_t> RtpPeer::receivedAudio() const {
  std::lock_guard lock(mutex_);
  return received_audio_;
}

std::vector<RtpHeader> RtpPeer::receivedHeaders() const {
  std::lock_guard lock(mutex_);
  return received_headers_;
}

void RtpPeer::clearReceived() {
  std::lock_guard lock(mutex_);
  received_audio_.clear();
  received_headers_.clear();
}

void RtpPeer::run() {
  using Clock = std::chrono::steady_clock;
  ToneGenerator tone(0, 0.3);
  double tone_hz = 0;
  uint16_t sequence = 1000;
  uint32_t timestamp = 50000;
  const uint32_t ssrc = 0x5eed0000u + port_;
  const uint32_t step = codecSpec(codec_).timestamp_step;
  // The current digit: RFC 4733 packets for 100 ms, then three end packets.
  std::optional<char> digit;
  int digit_ticks = 0;
  uint32_t digit_timestamp = 0;
  DtmfGenerator in_band;
  auto next_send = Clock::now();
  std::vector<uint8_t> packet(1600);
  while (!stop_) {
    auto now = Clock::now();
    if (now >= next_send) {
      next_send += std::chrono::milliseconds(20);
      std::string address;
      uint16_t port = 0;
      int payload_type = 0;
      bool sending = false;
      {
        std::lock_guard lock(mutex_);
        address = remote_address_;
        port = remote_port_;
        payload_type = remote_payload_type_;
        sending = sending_;
        if (tone_hz_ != tone_hz) {
          tone_hz = tone_hz_;
          tone = ToneGenerator(tone_hz, 0.3);
        }
        if (!digit && !digits_.empty() && !in_band.active()) {
          if (telephone_event_type_ >= 0) {
            digit = digits_.front();
            digit_ticks = 0;
            digit_timestamp = timestamp;
          } else {
            in_band.start(digits_.front(), 120);
          }
          digits_.erase(digits_.begin());
        }
      }
      if (sending && port != 0) {
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(port);
        inet_pton(AF_INET, address.c_str(), &to.sin_addr);
        RtpHeader header;
        header.ssrc = ssrc;
        header.sequence = sequence++;
        std::size_t size = 0;
        if (digit) {
          ++digit_ticks;
          bool end = digit_ticks >= 5;
          header.marker = digit_ticks == 1;
          header.payload_type = static_cast<uint8_t>(telephone_event_type_);
          header.timestamp = digit_timestamp;
          size = writeRtpHeader(header, packet);
          TelephoneEvent event;
          event.event = *digitEvent(*digit);
          event.end = end;
          event.duration = static_cast<uint16_t>(digit_ticks * step);
          writeTelephoneEvent(event, std::span<uint8_t, 4>(packet.data() + size, 4));
          size += 4;
          for (int copies = end ? 3 : 1; copies > 0; --copies) {
            ::sendto(fd_, packet.data(), size, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
            if (copies > 1) {
              header.sequence = sequence++;
              writeRtpHeader(header, packet);
            }
          }
          if (end) {
            digit.reset();
          }
          timestamp += step;
        } else {
          AudioFrame frame;
          tone.fill(frame.view());
          if (in_band.active()) {
            in_band.fill(frame);
          }
          header.payload_type = static_cast<uint8_t>(payload_type);
          header.timestamp = timestamp;
          timestamp += step;
          size = writeRtpHeader(header, packet);
          size += encoder_->encode(frame, std::span<uint8_t>(packet).subspan(size));
          ::sendto(fd_, packet.data(), size, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
        }
      }
    }
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_send - Clock::now());
    pollfd descriptor{fd_, POLLIN, 0};
    if (::poll(&descriptor, 1, static_cast<int>(std::max<int64_t>(0, wait.count()))) <= 0) {
      continue;
    }
    std::vector<uint8_t> datagram(1600);
    ssize_t n = ::recv(fd_, datagram.data(), datagram.size(), 0);
    if (n <= 0) {
      continue;
    }
    ++datagrams_;
    auto bytes = std::span<const uint8_t>(datagram.data(), static_cast<std::size_t>(n));
    auto header = parseRtp(bytes);
    if (!header || (header->payload_type >= 72 && header->payload_type <= 95)) {
      continue;  // RTCP (or garbage)
    }
    std::lock_guard lock(mutex_);
    received_headers_.push_back(*header);
    if (header->payload_type == remote_payload_type_ || header->payload_type == payload_type_) {
      AudioFrame frame;
      if (decoder_->decode(bytes.subspan(header->header_size, header->payload_size), frame)) {
        received_audio_.insert(received_audio_.end(), frame.samples.begin(), frame.samples.end());
      }
    }
  }
}

}  // namespace kefu::media::testing
