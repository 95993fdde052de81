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
import {
  attachAnalyser,
  awaitToneInPage,
  blankPage,
  launchChromium,
  listenInPage,
  rtpStatsInPage,
  stdioLines,
} from './support.mjs';

const [micWav, eventsUrl] = process.argv.slice(2);
const { say, nextLine, close } = stdioLines();
const server = await blankPage('kefu softphone peer');
const browser = await launchChromium({ micWav });
try {
  const page = await browser.newPage();
  await page.exposeFunction('kefuMessage', (message) => say({ message }));
  await page.goto(server.url);
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
    if (window.connected) window.kefuRemoteStream = await window.remoteStream;
    return pc.connectionState;
  }, eventsUrl);
  if (state === 'connected') await page.evaluate(attachAnalyser);
  say({ state });
  while (true) {
    const command = JSON.parse(await nextLine());
    if (command.quit) break;
    if (command.send) {
      await page.evaluate((message) => window.socket.send(JSON.stringify(message)), command.send);
    } else if (command.await !== undefined) {
      // Answered at once (the wait runs in the page): the test answers the call meanwhile.
      page
        .evaluate(awaitToneInPage, { hz: command.await, db: command.db ?? -50, timeout: command.timeout ?? 10000 })
        .then((heard_at_ms) => say({ awaited: { heard_at_ms } }));
    } else if (command.screenshot) {
      await page.screenshot({ path: command.screenshot });
      say({ screenshot: command.screenshot });
    } else if (command.listen !== undefined) {
      const heard = await page.evaluate(listenInPage, { ms: command.listen, hz: command.hz || [] });
      if (!heard.error) Object.assign(heard, await page.evaluate(rtpStatsInPage));
      say({ heard });
    }
  }
} catch (error) {
  say({ state: 'error', error: String(error) });
} finally {
  await browser.close();
  server.close();
  close();
}
