// A browser WebRTC peer for the media engine's tests: Chromium (through playwright-core) with a
// fake microphone playing a WAV file. Line protocol on stdio, one JSON object per line:
//   out {"offer": SDP}       the browser's offer, ICE gathering complete
//   in  {"answer": SDP}      the engine's answer
//   out {"state": S}         the connection state reached ("connected" or what it was instead)
//   out {"heard": {...}}     the strongest frequency in what the browser received over LISTEN_MS,
//                            and its RTP statistics
// usage: node webrtc_peer.mjs FAKE_MIC.wav [LISTEN_MS]
import { attachAnalyser, blankPage, launchChromium, listenInPage, rtpStatsInPage, stdioLines } from './support.mjs';

const [micWav, listenMs = '1500'] = process.argv.slice(2);
const { say, nextLine, close } = stdioLines();
const server = await blankPage('kefu webrtc peer');
const browser = await launchChromium({ micWav });
try {
  const page = await browser.newPage();
  await page.goto(server.url);
  const offer = await page.evaluate(async () => {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    window.pc = pc;
    for (const track of stream.getTracks()) pc.addTrack(track, stream);
    window.remoteStream = new Promise((resolve) => {
      pc.ontrack = (event) => resolve(event.streams[0] || new MediaStream([event.track]));
    });
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((resolve) => {
      if (pc.iceGatheringState === 'complete') resolve();
      pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
      setTimeout(resolve, 3000);
    });
    return pc.localDescription.sdp;
  });
  say({ offer });
  const { answer } = JSON.parse(await nextLine());
  const state = await page.evaluate(async (sdp) => {
    await window.pc.setRemoteDescription({ type: 'answer', sdp });
    for (let i = 0; i < 100; i++) {
      const now = window.pc.connectionState;
      if (now === 'connected' || now === 'failed') return now;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return window.pc.connectionState;
  }, answer);
  say({ state });
  if (state === 'connected') {
    await page.evaluate(async () => (window.kefuRemoteStream = await window.remoteStream));
    await page.evaluate(attachAnalyser);
    const heard = await page.evaluate(listenInPage, { ms: Number(listenMs), hz: [] });
    say({ heard: { ...heard, ...(await page.evaluate(rtpStatsInPage)) } });
  }
} finally {
  await browser.close();
  server.close();
  close();
}
