// A real call through the React agent desktop and wallboard (issue 7): `kefu serve` with the demo
// data serving web/dist, a baresip caller, and three Debian Chromiums (playwright-core), each
// with a fake microphone playing its own tone: agent A (agent1001) 1000 Hz, agent B (agent1002,
// made for the test) 1300 Hz, the supervisor 400 Hz; the caller plays 600 Hz. Every agent and
// supervisor action is a click in the UI:
//   A and B log in and switch their softphones on; B goes not ready, A ready; the caller dials
//   4000 (queue general); A's desktop alerts with the masked number; A answers: the caller hears
//   1000 Hz and A's analyser 600 Hz; the wallboard's answered count rises within 2 s of the click;
//   A transfers the caller (blind) to B, who answers and hears 600 Hz; A wraps up (disposition and
//   notes; the event stream carries call.wrap_up); the supervisor whispers to B from B's card: B
//   hears 400 Hz rise, the caller's recording never holds 400 Hz. B hangs up and wraps up.
// What each browser hears is read with an AnalyserNode on the app's remote stream, which an init
// script keeps on window (test only: the app is not changed). The caller's recording is read with
// Goertzel filters. A PNG of each screen, the caller's recording and call-kefu.log go to OUTPUT_DIR.
// kefu, baresip and the browsers are always stopped.
// usage: node desktop_call.mjs KEFU_BINARY SOURCE_DIR OUTPUT_DIR
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  BaresipPhone,
  analyseWindows,
  attachAnalyser,
  awaitToneInPage,
  launchChromium,
  listenInPage,
  readWav,
  sanitizerReports,
  shareOfTone,
  sleep,
  startKefu,
  writeToneWav,
} from './support.mjs';

const [kefuArg, sourceArg, outputArg] = process.argv.slice(2);
if (!kefuArg || !sourceArg || !outputArg) {
  console.error('usage: node desktop_call.mjs KEFU_BINARY SOURCE_DIR OUTPUT_DIR');
  process.exit(2);
}
const [kefuBinary, sourceDir, outputDir] = [kefuArg, sourceArg, outputArg].map((p) => path.resolve(p));
if (!fs.existsSync(path.join(sourceDir, 'web', 'dist', 'index.html'))) {
  console.error('desktop_call: web/dist/index.html is missing: run npm --prefix web run build');
  process.exit(1);
}
fs.mkdirSync(outputDir, { recursive: true });

// Away from the built-in music on hold's notes (523, 659, 784, 880 Hz) and from each other.
const CallerHz = 600;
const AgentAHz = 1000;
const AgentBHz = 1300;
const SupervisorHz = 400;
const Tones = [CallerHz, AgentAHz, AgentBHz, SupervisorHz];

const results = [];
const check = (condition, what) => {
  if (!condition) throw new Error(`FAILED: ${what}`);
  results.push(what);
  console.log(`ok - ${what}`);
};

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kefu-desktop-call-'));
const wav = (name, hz) => writeToneWav(path.join(workDir, `${name}.wav`), hz, 120);
const kefu = await startKefu({
  binary: kefuBinary,
  sourceDir,
  outputDir,
  name: 'desktop-call',
  logName: 'call-kefu.log',
  // The default media threads (one per core): a bridge moves the softphone's session to the
  // call's thread (docs/cti.md). DESKTOP_CALL_MEDIA_THREADS picks another count.
  env: process.env.DESKTOP_CALL_MEDIA_THREADS ? { KEFU_MEDIA_THREADS: process.env.DESKTOP_CALL_MEDIA_THREADS } : {},
});
const callerDir = path.join(workDir, 'caller');
fs.mkdirSync(callerDir);
const caller = new BaresipPhone(callerDir, '13812345678', wav('caller', CallerHz));
const browsers = [];
let failed = false;

/** Stops the browsers, baresip and kefu; runs once. */
let cleaned = null;
function cleanup() {
  cleaned ??= (async () => {
    await Promise.all(browsers.map((b) => b.close().catch(() => undefined)));
    await caller.stop();
    await kefu.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  })();
  return cleaned;
}
// Nothing may outlive the test: not on a hang (the deadline), not when ctest stops it.
const deadline = setTimeout(() => {
  console.error('desktop_call: FAILED: no result within 160 s');
  void cleanup().then(() => process.exit(1));
}, 160_000);
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.on(signal, () => void cleanup().then(() => process.exit(1)));
}
// A pending page read (a tone being awaited) rejects when a failed step closes its browser: it is
// reported, and must not end node before the cleanup has stopped baresip and kefu.
process.on('unhandledRejection', (e) => {
  failed = true;
  console.error('desktop_call: unhandled rejection:', e instanceof Error ? e.message : e);
});

/** @return the JSON answer of a REST call to kefu (throws on an error status). */
async function rest(method, route, token, body) {
  const reply = await fetch(`${kefu.api}/api/v1${route}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  const text = await reply.text();
  if (!reply.ok) throw new Error(`${method} ${route}: ${reply.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** One party's browser: its own Chromium (the fake microphone is per process), one page. */
async function openBrowser(name, hz, viewport) {
  const browser = await launchChromium({ micWav: wav(name, hz), ownSignals: true });
  browsers.push(browser);
  const context = await browser.newContext({ viewport, locale: 'en-US' });
  // Test-only hook: keep the app's remote stream where the analyser can find it.
  await context.addInitScript(() => {
    const Native = window.RTCPeerConnection;
    window.RTCPeerConnection = class extends Native {
      constructor(...args) {
        super(...args);
        this.addEventListener('track', (event) => {
          window.kefuRemoteStream = event.streams[0] || new MediaStream([event.track]);
        });
      }
    };
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.log(`# page error (${name}): ${e.message}`));
  // Every message the app's event socket receives, for the checks on events.
  const frames = [];
  page.on('websocket', (socket) =>
    socket.on('framereceived', ({ payload }) => {
      try {
        frames.push(JSON.parse(String(payload)));
      } catch {
        // Not JSON: not an event.
      }
    }),
  );
  return { name, page, frames };
}

const shot = async (party, screen) => {
  const file = path.join(outputDir, `call-${screen}.png`);
  await party.page.screenshot({ path: file });
  console.log(`# screenshot ${file}`);
};

/** Logs in through the login page; @return once the app shows who is logged in. */
async function login(party, username, password, screenshot = null) {
  await party.page.goto(`${kefu.api}/`);
  await party.page.fill('input[name=username]', username);
  await party.page.fill('input[name=password]', password);
  if (screenshot) await shot(party, screenshot);
  await party.page.click('button[type=submit]');
  await party.page.waitForSelector('[data-testid=who]');
}

const waitState = (party, state, timeout = 5000) =>
  party.page.waitForSelector(`[data-testid=agent-state][data-state=${state}]`, { timeout });

/** Clicks the desktop's agent login if the agent is logged out, then switches the softphone on. */
async function deskOn(party) {
  const { page } = party;
  await page.waitForSelector('[data-testid=agent-state]:not([data-state=unknown])');
  if ((await page.getAttribute('[data-testid=agent-state]', 'data-state')) === 'logged_out') {
    await page.click('[data-testid=state-login]');
    await page.waitForSelector('[data-testid=agent-state]:not([data-state=logged_out])');
  }
  await page.click('[data-testid=phone-on]');
  await page.waitForSelector('[data-testid=phone-status].phone-on', { timeout: 15000 });
}

/** Attaches the analysers to the party's remote stream (the softphone must be on). */
async function analyse(party) {
  await party.page.waitForFunction(() => window.kefuRemoteStream !== undefined, null, { timeout: 10000 });
  check(await party.page.evaluate(attachAnalyser), `${party.name}'s browser plays the softphone's remote audio`);
}
const listen = (party, ms, hz) => party.page.evaluate(listenInPage, { ms, hz });
const level = (heard, hz) => heard.levels?.[hz] ?? -200;
const answeredShown = (page) => page.textContent('[data-testid=total-answered]').then((t) => Number(t));

try {
  await kefu.waitHealthy();
  const index = await fetch(`${kefu.api}/`).then((r) => r.text());
  if (!index.includes('<div id="root">')) throw new Error('kefu does not serve web/dist (web.root)');

  // Agent B: a user of its own for demo agent 1002 (the demo links only agent1001).
  const admin = (await rest('POST', '/auth/login', null, { username: 'admin', password: 'kefu-admin' })).token;
  const agents = (await rest('GET', '/agents', admin)).items;
  const agentA = agents.find((a) => a.extension === '1001');
  const agentB = agents.find((a) => a.extension === '1002');
  const userB = await rest('POST', '/users', admin, {
    username: 'agent1002', password: 'agent1002-test-pw', role: 'agent', display_name: 'Chen Jing (agent 1002)',
  });
  await rest('PUT', `/agents/${agentB.id}`, admin, {
    name: agentB.name, extension: agentB.extension, skills: agentB.skills, user_id: userB.id,
  });

  const a = await openBrowser('agent-a', AgentAHz, { width: 1366, height: 768 });
  const b = await openBrowser('agent-b', AgentBHz, { width: 1366, height: 768 });
  const sup = await openBrowser('supervisor', SupervisorHz, { width: 1920, height: 1080 });

  // B: logged in, softphone on, not ready (only the transfer reaches B).
  await login(b, 'agent1002', 'agent1002-test-pw');
  await deskOn(b);
  if ((await b.page.getAttribute('[data-testid=agent-state]', 'data-state')) !== 'not_ready') {
    await b.page.selectOption('[data-testid=reason]', 'break');
    await b.page.click('[data-testid=state-not-ready]');
    await waitState(b, 'not_ready');
  }
  check(true, 'agent B logs in, switches the softphone on and goes not ready by clicks');
  await analyse(b);

  // The supervisor: the wallboard, its softphone on (for whispering).
  await login(sup, 'supervisor', 'supervisor-demo');
  await sup.page.waitForSelector('[data-testid=wallboard]');
  await sup.page.click('[data-testid=phone-on]');
  await sup.page.waitForSelector('.agents-panel .softphone button:has-text("On")', { timeout: 15000 }).catch(() => undefined);
  await sup.page.waitForSelector('[data-testid=tile-general]');
  await sup.page.waitForFunction(() => /^\d+$/.test(document.querySelector('[data-testid=total-answered]')?.textContent ?? ''));
  const answeredBefore = await answeredShown(sup.page);

  // A: logs in, softphone on, ready.
  await login(a, 'agent1001', 'agent-demo', '0-login');
  await shot(a, '1-desktop-logged-in');
  await deskOn(a);
  if ((await a.page.getAttribute('[data-testid=agent-state]', 'data-state')) !== 'ready') {
    await a.page.click('[data-testid=state-ready]');
    await waitState(a, 'ready');
  }
  check(true, 'agent A logs in, switches the softphone on and goes ready by clicks');
  await sup.page.waitForSelector('[data-testid=agent-1001][data-state=ready]', { timeout: 2000 });
  await shot(a, '2-desktop-a-ready');
  await analyse(a);

  // The caller dials the queue's entry point; A's desktop alerts with the masked number.
  await caller.start();
  caller.command('dial', `sip:4000@127.0.0.1:${kefu.sipPort}`);
  await a.page.waitForSelector('[data-testid=call-panel][data-phase=alerting]', { timeout: 15000 });
  const shownCaller = (await a.page.textContent('[data-testid=caller]')).trim();
  check(shownCaller === '138****5678', `A's screen pop shows the masked caller "${shownCaller}"`);
  await shot(a, '3-desktop-a-alerting');

  // A answers: the wallboard counts it within 2 s of the click; each side hears the other.
  const heardCallerAt = a.page.evaluate(awaitToneInPage, { hz: CallerHz, db: -50, timeout: 10000 });
  const clickedAt = Date.now();
  await a.page.click('[data-testid=call-answer]');
  await sup.page.waitForFunction(
    (before) => Number(document.querySelector('[data-testid=total-answered]')?.textContent) > before,
    answeredBefore,
    { timeout: 5000, polling: 20 },
  );
  const countedMs = Date.now() - clickedAt;
  const answeredAfter = await answeredShown(sup.page);
  check(countedMs <= 2000, `the wallboard's answered count went ${answeredBefore} → ${answeredAfter} ${countedMs} ms after A's click (limit 2000)`);
  await a.page.waitForSelector('[data-testid=call-panel][data-phase=talking]', { timeout: 5000 });
  check((await caller.event('CALL_ESTABLISHED', 10000)) !== null, "the caller's call is established");
  const heardAtMs = await heardCallerAt;
  check(heardAtMs !== null, `A hears the caller ${heardAtMs - clickedAt} ms after clicking answer`);
  console.log(`# figure: desktop_answer_to_audio_ms ${heardAtMs - clickedAt}`);
  const heardA = await listen(a, 1500, Tones);
  check(Math.abs(heardA.peak_hz - CallerHz) < 6, `A's analyser hears ${heardA.peak_hz.toFixed(1)} Hz (the caller's ${CallerHz} Hz) at ${heardA.peak_db.toFixed(1)} dB`);
  await shot(a, '4-desktop-a-talking');
  await sup.page.waitForSelector('[data-testid=agent-1001][data-state=busy]', { timeout: 3000 }).catch(() => undefined);
  await shot(sup, '5-wallboard-a-talking');
  await sleep(1000); // the caller hears A for a while (checked in the recording below)

  // A transfers the caller to B (blind), by choosing B in the transfer list.
  await a.page.selectOption('[data-testid=target-kind]', 'agent');
  await a.page.selectOption('[data-testid=target]', agentB.id);
  await a.page.click('[data-testid=call-transfer]');
  await a.page.waitForSelector('[data-testid=wrapup]', { timeout: 10000 });
  check(true, "A's transfer releases A into wrap-up");
  await b.page.waitForSelector('[data-testid=call-panel][data-phase=alerting]', { timeout: 10000 });
  check((await b.page.textContent('[data-testid=caller]')).trim() === '138****5678', "B's desktop alerts with the transferred caller");
  await shot(b, '6-desktop-b-alerting');
  await b.page.click('[data-testid=call-answer]');
  await b.page.waitForSelector('[data-testid=call-panel][data-phase=talking]', { timeout: 5000 });
  await sleep(300);
  const heardB = await listen(b, 1500, Tones);
  check(Math.abs(heardB.peak_hz - CallerHz) < 6, `B's analyser hears ${heardB.peak_hz.toFixed(1)} Hz (the caller's ${CallerHz} Hz) at ${heardB.peak_db.toFixed(1)} dB`);
  const whisperBefore = level(heardB, SupervisorHz);

  // A wraps up in the UI: a disposition and notes; the event stream carries them.
  await a.page.selectOption('[data-testid=disposition]', 'follow_up');
  await a.page.fill('[data-testid=notes]', 'Transferred to loans; customer to call back.');
  await shot(a, '7-desktop-a-wrapup');
  await a.page.click('[data-testid=wrapup-finish]');
  await a.page.waitForSelector('[data-testid=call-panel][data-phase=idle]', { timeout: 5000 });
  const wrapUp = async () =>
    [...sup.frames, ...a.frames].find((m) => m.type === 'call.wrap_up' && m.data?.agent_id === agentA.id);
  for (let i = 0; i < 40 && !(await wrapUp()); i++) await sleep(50);
  const wrapped = await wrapUp();
  check(
    wrapped?.data?.disposition === 'follow_up' && wrapped?.data?.notes === 'Transferred to loans; customer to call back.',
    `the event stream carries A's call.wrap_up (${wrapped ? `${wrapped.data.disposition}, "${wrapped.data.notes}"` : 'none'})`,
  );
  const stateA = (await rest('GET', `/agents/${agentA.id}/state`, admin)).state;
  check(stateA === 'ready', `A is ${stateA} after wrap-up`);

  // The supervisor whispers to B from B's card: B hears 400 Hz rise; the caller must not.
  const whisperButton = '[data-testid=monitor-whisper-1002]';
  await sup.page.waitForSelector(`${whisperButton}:not([disabled])`, { timeout: 5000 });
  await shot(sup, '8-wallboard-b-talking');
  await sup.page.click(whisperButton);
  await sleep(800);
  const whispered = await listen(b, 2000, Tones);
  const whisperDuring = level(whispered, SupervisorHz);
  check(
    whisperDuring > whisperBefore + 20,
    `B hears the supervisor's ${SupervisorHz} Hz whisper rise ${whisperBefore.toFixed(1)} → ${whisperDuring.toFixed(1)} dB`,
  );
  check(level(whispered, CallerHz) > -60, `B still hears the caller during the whisper (${level(whispered, CallerHz).toFixed(1)} dB)`);
  await shot(b, '9-desktop-b-whispered');
  await shot(sup, '10-wallboard-whispering');

  // B hangs up and wraps up; the caller's call ends.
  await b.page.click('[data-testid=call-hangup]');
  check((await caller.event('CALL_CLOSED', 10000)) !== null, "B's hangup ends the caller's call");
  await b.page.waitForSelector('[data-testid=wrapup]', { timeout: 5000 });
  await b.page.fill('[data-testid=notes]', 'Resolved after the transfer.');
  await b.page.click('[data-testid=wrapup-finish]');
  await b.page.waitForSelector('[data-testid=call-panel][data-phase=idle]', { timeout: 5000 });
  await shot(b, '11-desktop-b-after-call');

  // What the caller heard: A (1000 Hz), then B (1300 Hz), never the supervisor (400 Hz).
  await caller.stop();
  const recordings = caller.recordings();
  check(recordings.length > 0, "baresip recorded what the caller heard");
  fs.copyFileSync(recordings.at(-1), path.join(outputDir, 'call-caller-heard.wav'));
  const audio = readWav(recordings.at(-1));
  check(audio !== null && audio.pcm.length > audio.rate, `the caller's recording holds ${audio ? (audio.pcm.length / audio.rate).toFixed(1) : 0} s`);
  const windows = analyseWindows(audio, Tones);
  const share = (hz) => shareOfTone(windows, hz);
  const most400 = Math.max(0, ...windows.map((w) => w.fractions[SupervisorHz]));
  console.log(
    `# figure: caller heard ${windows.length} windows: 1000 Hz ${(share(AgentAHz) * 100).toFixed(0)} %, ` +
      `1300 Hz ${(share(AgentBHz) * 100).toFixed(0)} %, 400 Hz ${(share(SupervisorHz) * 100).toFixed(0)} % ` +
      `(largest share of a window's energy at 400 Hz: ${(most400 * 100).toFixed(2)} %)`,
  );
  check(share(AgentAHz) > 0.05, `the caller heard A's ${AgentAHz} Hz (${(share(AgentAHz) * 100).toFixed(0)} % of windows)`);
  check(share(AgentBHz) > 0.05, `the caller heard B's ${AgentBHz} Hz (${(share(AgentBHz) * 100).toFixed(0)} % of windows)`);
  check(share(SupervisorHz) === 0 && most400 < 0.01, `the caller never heard the whisper (no window with over 1 % of its energy at ${SupervisorHz} Hz)`);
  console.log(`desktop_call: ${results.length} checks passed; screenshots in ${outputDir}`);
} catch (e) {
  failed = true;
  console.error(e instanceof Error ? e.stack : e);
  if (fs.existsSync(path.join(callerDir, 'baresip.log'))) fs.copyFileSync(path.join(callerDir, 'baresip.log'), path.join(outputDir, 'call-baresip.log'));
} finally {
  await cleanup();
  clearTimeout(deadline);
}
// What the sanitizers (an ASan/UBSan build) said while kefu served the call counts too.
const reports = sanitizerReports(kefu.logPath);
if (reports.length > 0) {
  failed = true;
  console.error(`desktop_call: FAILED: kefu.log holds sanitizer reports:\n${reports.join('\n')}`);
} else if (!failed) {
  console.log(`desktop_call: kefu stopped with ${kefu.exitText()}, no sanitizer reports`);
}
process.exit(failed ? 1 : 0);
