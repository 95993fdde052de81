// A browser softphone for the CTI tests: Chromium (through playwright-core) with a fake
// microphone playing a WAV file, speaking Kefu's agent-desktop protocol itself (docs/cti.md): the
// page opens the event WebSocket, sends softphone.offer with one nailed-up RTCPeerConnection and
// applies softphone.answer. Line protocol on stdio, one JSON object per line:
//   out {"state": S}                 the peer connection's state once settled ("connected", …)
//   out {"message": {...}}           every softphone.* message the socket receives
//   in  {"listen": MS, "hz": [..]}   → out {"heard": {"peak_hz", "peak_db", "levels": {hz: dB}}}
//                                    what the browser heard over the next MS milliseconds
//   in  {"await": HZ, "db": DB, "timeout": MS}
//                                    → out {"awaited": {"heard_at_ms": UNIX_MS | null}} the
//                                    moment a short analyser first hears HZ above DB dB
//   in  {"send": {...}}              a client message sent on the socket as it is
//   in  {"screenshot": PATH}         → out {"screenshot": PATH}
//   in  {"quit": true}
// usage: node softphone_peer.mjs FAKE_MIC.wav EVENTS_WS_URL
import http from 'node:http';
import readline from 'node:readline';
import { chromium } from 'playwright-core';

const [micWav, eventsUrl] = process.argv.slice(2);
const say = (object) => process.stdout.write(JSON.stringify(object) + '\n');
const lines = readline.createInterface({ input: process.stdin });
const queued = [];
let waiting = null;
lines.on('line', (line) => (waiting ? (waiting(line), (waiting = null)) : queued.push(line)));
lines.on('close', () => waiting && waiting(JSON.stringify({ quit: true })));
const nextLine = () =>
  queued.length ? Promise.resolve(queued.shift()) : new Promise((resolve) => (waiting = resolve));

// getUserMedia needs a secure context: http://127.0.0.1 is one.
const server = http.createServer((request, response) => {
  response.writeHead(200, { 'Content-Type': 'text/html' });
  response.end('<!doctype html><title>kefu softphone peer</title><pre id="log"></pre>');
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
  await page.exposeFunction('kefuMessage', (message) => say({ message }));
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  const state = await page.evaluate(async (url) => {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    window.pc = pc;
    for (const track of stream.getTracks()) pc.addTrack(track, stream);
    window.remoteStream = new Promise((resolve) => {
      pc.ontrack = (event) => resolve(event.streams[0] || new MediaStream([event.track]));
    });
    const socket = new WebSocket(url);
    window.socket = socket;
    const answer = new Promise((resolve, reject) => {
      socket.onmessage = (event) => {
        const message = JSON.parse(event.data);
        if (!String(message.type).startsWith('softphone.')) return;
        if (message.type === 'softphone.answer') resolve(message.sdp);
        else if (message.type === 'softphone.error' && !window.connected) reject(message.message);
        window.kefuMessage(message);
      };
      socket.onclose = () => reject('socket closed');
    });
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = () => reject('socket error');
    });
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((resolve) => {
      if (pc.iceGatheringState === 'complete') resolve();
      pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
      setTimeout(resolve, 3000);
    });
    socket.send(JSON.stringify({ type: 'softphone.offer', sdp: pc.localDescription.sdp }));
    await pc.setRemoteDescription({ type: 'answer', sdp: await answer });
    for (let i = 0; i < 100; i++) {
      const now = pc.connectionState;
      if (now === 'connected' || now === 'failed') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    window.connected = pc.connectionState === 'connected';
    if (window.connected) {
      // Chromium feeds a remote stream to Web Audio only while a media element plays it.
      const remote = await window.remoteStream;
      const element = new Audio();
      element.srcObject = remote;
      element.muted = true;
      await element.play().catch(() => {});
      const context = new AudioContext();
      const analyser = context.createAnalyser();
      analyser.fftSize = 16384;
      analyser.smoothingTimeConstant = 0;
      const source = context.createMediaStreamSource(remote);
      source.connect(analyser);
      // A short window (43 ms at 48 kHz) to time when a tone starts.
      const quick = context.createAnalyser();
      quick.fftSize = 2048;
      quick.smoothingTimeConstant = 0;
      source.connect(quick);
      window.audio = { element, context, analyser, quick };
    }
    return pc.connectionState;
  }, eventsUrl);
  say({ state });
  while (true) {
    const command = JSON.parse(await nextLine());
    if (command.quit) break;
    if (command.send) {
      await page.evaluate((message) => window.socket.send(JSON.stringify(message)), command.send);
    } else if (command.await !== undefined) {
      // Answered at once (the wait runs in the page): the test answers the call meanwhile.
      page
        .evaluate(
          async ({ hz, db, timeout }) => {
            const { context, quick } = window.audio || {};
            if (!quick) return null;
            const bins = new Float32Array(quick.frequencyBinCount);
            const at = Math.round(hz / (context.sampleRate / quick.fftSize));
            const end = Date.now() + timeout;
            while (Date.now() < end) {
              quick.getFloatFrequencyData(bins);
              if (Math.max(bins[at - 1], bins[at], bins[at + 1]) > db) return Date.now();
              await new Promise((resolve) => setTimeout(resolve, 5));
            }
            return null;
          },
          { hz: command.await, db: command.db ?? -50, timeout: command.timeout ?? 10000 },
        )
        .then((heard_at_ms) => say({ awaited: { heard_at_ms } }));
    } else if (command.screenshot) {
      await page.screenshot({ path: command.screenshot });
      say({ screenshot: command.screenshot });
    } else if (command.listen !== undefined) {
      const heard = await page.evaluate(
        async ({ ms, hz }) => {
          const { context, analyser } = window.audio || {};
          if (!analyser) return { error: 'not connected' };
          // Averages the spectrum (in dB) of snapshots over the window, so a steady tone stands
          // out and a short blip does not.
          const bins = new Float32Array(analyser.frequencyBinCount);
          const sum = new Float64Array(bins.length);
          let snapshots = 0;
          const end = performance.now() + ms;
          while (performance.now() < end) {
            await new Promise((resolve) => setTimeout(resolve, 100));
            analyser.getFloatFrequencyData(bins);
            for (let i = 0; i < bins.length; i++) sum[i] += Math.max(bins[i], -200);
            snapshots++;
          }
          for (let i = 0; i < sum.length; i++) sum[i] /= Math.max(1, snapshots);
          const binHz = context.sampleRate / analyser.fftSize;
          let best = 2;
          for (let i = 3; i < sum.length; i++) if (sum[i] > sum[best]) best = i;
          const levels = {};
          for (const f of hz) {
            // The strongest bin within ±2 bins of the frequency.
            const at = Math.round(f / binHz);
            let level = -200;
            for (let i = Math.max(0, at - 2); i <= Math.min(sum.length - 1, at + 2); i++) {
              level = Math.max(level, sum[i]);
            }
            levels[f] = level;
          }
          const result = { peak_hz: best * binHz, peak_db: sum[best], levels, snapshots };
          (await window.pc.getStats()).forEach((report) => {
            if (report.type === 'inbound-rtp' && report.kind === 'audio') {
              result.packets_received = report.packetsReceived;
              result.codec_id = report.codecId;
            }
          });
          return result;
        },
        { ms: command.listen, hz: command.hz || [] },
      );
      say({ heard });
    }
  }
} catch (error) {
  say({ state: 'error', error: String(error) });
} finally {
  await browser.close();
  server.close();
  lines.close();
}
