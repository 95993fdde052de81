// A browser WebRTC peer for the media engine's tests: Chromium (through playwright-core) with a
// fake microphone playing a WAV file. Line protocol on stdio, one JSON object per line:
//   out {"offer": SDP}       the browser's offer, ICE gathering complete
//   in  {"answer": SDP}      the engine's answer
//   out {"state": S}         the connection state reached ("connected" or what it was instead)
//   out {"heard": {...}}     the strongest frequency in what the browser received, and its stats
// usage: node webrtc_peer.mjs FAKE_MIC.wav [LISTEN_MS]
import http from 'node:http';
import readline from 'node:readline';
import { chromium } from 'playwright-core';

const [micWav, listenMs = '1500'] = process.argv.slice(2);
const say = (object) => process.stdout.write(JSON.stringify(object) + '\n');
const lines = readline.createInterface({ input: process.stdin });
const nextLine = () => new Promise((resolve) => lines.once('line', resolve));

// getUserMedia needs a secure context: http://127.0.0.1 is one.
const server = http.createServer((request, response) => {
  response.writeHead(200, { 'Content-Type': 'text/html' });
  response.end('<!doctype html><title>kefu webrtc peer</title>');
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    `--use-file-for-fake-audio-capture=${micWav}`,
    '--allow-loopback-in-peer-connection',
    '--autoplay-policy=no-user-gesture-required',
  ],
});
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
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
    const heard = await page.evaluate(async (ms) => {
      const stream = await window.remoteStream;
      // Chromium feeds a remote stream to Web Audio only while a media element plays it.
      const element = new Audio();
      element.srcObject = stream;
      element.muted = true;
      await element.play().catch(() => {});
      const context = new AudioContext();
      const analyser = context.createAnalyser();
      analyser.fftSize = 16384;
      context.createMediaStreamSource(stream).connect(analyser);
      await new Promise((resolve) => setTimeout(resolve, ms));
      const bins = new Float32Array(analyser.frequencyBinCount);
      analyser.getFloatFrequencyData(bins);
      let best = 1;
      for (let i = 2; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
      const result = { peak_hz: (best * context.sampleRate) / analyser.fftSize, peak_db: bins[best] };
      (await window.pc.getStats()).forEach((report) => {
        if (report.type === 'inbound-rtp' && report.kind === 'audio') {
          result.packets_received = report.packetsReceived;
          result.packets_lost = report.packetsLost;
        }
        if (report.type === 'outbound-rtp' && report.kind === 'audio') {
          result.packets_sent = report.packetsSent;
        }
      });
      return result;
    }, Number(listenMs));
    say({ heard });
  }
} finally {
  await browser.close();
  server.close();
  lines.close();
}
