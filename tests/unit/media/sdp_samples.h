#pragma once

// SDP offers modelled on what real clients send, shared by the SDP and negotiation tests.

#include <string>
#include <string_view>

namespace kefu::media::testing {

/** Joins lines with CRLF, as a SIP body carries them. */
inline std::string crlf(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  return out;
}

// baresip 1.x on a LAN: Opus first, separate RTCP port, one ssrc line.
inline const std::string BaresipOffer = crlf(R"(v=0
o=- 1453468467 2089094787 IN IP4 192.168.0.10
s=-
c=IN IP4 192.168.0.10
t=0 0
a=tool:baresip 1.1.0
m=audio 17302 RTP/AVP 96 0 8 101
b=AS:128
a=rtpmap:96 opus/48000/2
a=fmtp:96 stereo=1;sprop-stereo=1
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=sendrecv
a=label:1
a=ssrc:744502219 cname:8da3c3e5-57df-4c2c-b1c6-bfbeb78ab5c8
a=rtcp-rsize
a=rtcp:17303 IN IP4 192.168.0.10
a=ptime:20
)");

// Linphone 5 with ICE: session-level ice credentials, candidates for RTP and RTCP, several
// telephone-event clocks.
inline const std::string LinphoneOffer = crlf(R"(v=0
o=alice 3271 1257 IN IP4 192.168.1.20
s=Talk
c=IN IP4 192.168.1.20
t=0 0
a=ice-pwd:4ad3b8e9d5f4be4b9b6a9e5d
a=ice-ufrag:0bc19a4e
a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics
a=record:off
m=audio 7078 RTP/AVP 96 97 98 0 8 18 101 99 100
a=rtpmap:96 opus/48000/2
a=fmtp:96 useinbandfec=1
a=rtpmap:97 SILK/16000
a=rtpmap:98 speex/16000
a=fmtp:98 vbr=on
a=rtpmap:101 telephone-event/48000
a=rtpmap:99 telephone-event/16000
a=rtpmap:100 telephone-event/8000
a=rtcp:7079
a=candidate:1 1 UDP 2130706431 192.168.1.20 7078 typ host
a=candidate:1 2 UDP 2130706430 192.168.1.20 7079 typ host
a=candidate:2 1 UDP 1694498815 203.0.113.7 7078 typ srflx raddr 192.168.1.20 rport 7078
a=rtcp-fb:* trr-int 1000
a=rtcp-fb:* ccm tmmbr
)");

// Chrome's offer for audio and video: trickle ICE (c=0.0.0.0, port 9), DTLS, BUNDLE, rtcp-mux.
inline const std::string ChromeOffer = crlf(R"(v=0
o=- 4611731400430051336 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0 1
a=extmap-allow-mixed
a=msid-semantic: WMS 3c5d4e2a-7f6b-4f5e-9d3c-2b1a0f9e8d7c
m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=candidate:1467250027 1 udp 2122260223 192.168.0.196 46243 typ host generation 0 network-id 1
a=candidate:435653019 1 tcp 1518280447 192.168.0.196 9 typ host tcptype active generation 0 network-id 1
a=ice-ufrag:6lKB
a=ice-pwd:Mmx4y7fHVVsnqhESb8P/CvO7
a=ice-options:trickle
a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08
a=setup:actpass
a=mid:0
a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
a=sendrecv
a=msid:3c5d4e2a-7f6b-4f5e-9d3c-2b1a0f9e8d7c 9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d
a=rtcp-mux
a=rtpmap:111 opus/48000/2
a=rtcp-fb:111 transport-cc
a=fmtp:111 minptime=10;useinbandfec=1
a=rtpmap:63 red/48000/2
a=fmtp:63 111/111
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:13 CN/8000
a=rtpmap:110 telephone-event/48000
a=rtpmap:126 telephone-event/8000
a=ssrc:3735928559 cname:Yx3kQ8yZ0nW5aB1c
a=ssrc:3735928559 msid:3c5d4e2a-7f6b-4f5e-9d3c-2b1a0f9e8d7c 9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d
m=video 9 UDP/TLS/RTP/SAVPF 96 97
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=ice-ufrag:6lKB
a=ice-pwd:Mmx4y7fHVVsnqhESb8P/CvO7
a=ice-options:trickle
a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08
a=setup:actpass
a=mid:1
a=sendrecv
a=rtcp-mux
a=rtcp-rsize
a=rtpmap:96 VP8/90000
a=rtcp-fb:96 nack
a=rtcp-fb:96 nack pli
a=rtpmap:97 rtx/90000
a=fmtp:97 apt=96
a=ssrc-group:FID 2231627014 632943048
a=ssrc:2231627014 cname:Yx3kQ8yZ0nW5aB1c
a=ssrc:632943048 cname:Yx3kQ8yZ0nW5aB1c
)");

}  // namespace kefu::media::testing
