// The wallboard figure (issue 7): how many agent state changes per second the supervisor
// wallboard renders without falling behind or dropping frames, with 500 agents and 50 queues.
//
// A real `kefu serve` (temporary SQLite file, no SIP, no demo data) on free loopback ports serves
// the built web app. Through the REST API the bench creates 50 skills, 50 queues (queue i needs
// skill i) and 500 agents (agent j has skills j mod 50 and (j + 1) mod 50, so every queue has 20
// qualified agents), logs every agent in and creates a supervisor user. Debian's Chromium
// (playwright-core, headless, 1920×1080) logs in as the supervisor and opens the wallboard.
//
// The wallboard does not scroll: at 1920×1080 the tiles' area is capped and the agent grid shows
// about 100 of the 500 cards; the others change in the DOM without being painted (the bench says how
// many are visible; WALLBOARD_SHOW_AGENTS=1 caps the tiles at 25vh with a style of its own). For
// reference the bench first counts the frames an empty page drops on this machine; on a shared
// machine compare with a run of WALLBOARD_CONTROL=1 just before or after (the same REST load, the
// page emptied), and repeat runs.
//
// Then, after a quiet baseline, node changes agent states by REST (POST .../not-ready and
// .../ready, the agents taken in turn) at each rate of WALLBOARD_RATES for WALLBOARD_STEP_S
// seconds, with a pause after each step. In the page:
//   - a MutationObserver on the agent grid records every change of an agent card's data-state;
//     a change counts as rendered at the first requestAnimationFrame callback after that DOM
//     mutation (the frame that paints it); its lag is that time minus the moment node sent the
//     REST request (both clocks are this machine's wall clock);
//   - a requestAnimationFrame loop records every frame; over the step (first request sent to
//     last request sent + 1 s) a gap of g ms between frames drops round(g / F) - 1 frames, where
//     F is the median frame interval of the quiet baseline (16.7 ms at 60 Hz); dropped % is the
//     dropped frames over the frames expected in the step (its length / F);
//   - long tasks (PerformanceObserver 'longtask', > 50 ms) are counted.
// A rate passes when the requests were sent at ≥ 95 % of it (the REST side kept up), every
// change was answered 200, every change was rendered, the slowest within 1,000 ms, and fewer than
// 1 % of the step's frames were dropped. The figure is the highest rate R such that every tested
// rate ≤ R passed (0 when the lowest fails):
//   bench: wallboard_updates_per_sec R updates/s
// Supporting lines (# wallboard: ...) on stderr give per rate: sent rate, rendered, lag p50 /
// p99 / max, dropped frames, frame gaps > 50 ms, long tasks.
//
// usage: node bench/web/wallboard_bench.mjs [KEFU_BINARY (build/bin/kefu)] [SOURCE_DIR (this repo)]
// environment: WALLBOARD_RATES (50,100,200,400,800), WALLBOARD_STEP_S (5), WALLBOARD_AGENTS (500),
//   WALLBOARD_QUEUES (50), WALLBOARD_SHOW_AGENTS (0), WALLBOARD_BLOCK_LIVE (0: 1 aborts the page's
//   queue live reads, a diagnostic of where frames go), WALLBOARD_CONTROL (0: 1 empties the page
//   before the steps, a diagnostic: the frames the REST load alone costs), CHROMIUM (/usr/bin/chromium),
//   WALLBOARD_KEEP_LOG (a file to copy kefu's log to), WALLBOARD_SCREENSHOT (the PNG of the board at the
//   end; default $TMPDIR/kefu-wallboard-bench.png), WALLBOARD_PROFILE (a directory: trace and CPU-profile
//   the step at WALLBOARD_PROFILE_RATE, default 100, for bench/web/trace_summary.mjs; a diagnostic, the
//   profiler costs the page time; WALLBOARD_PROFILE_JS=0 traces without the JS sampling profiler).
// kefu and the browser are always stopped (also on SIGINT / SIGTERM and after 600 s).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const scriptDir = path.dirname(fileURLToPath(import.meta.url));
const [kefuArg, sourceArg] = process.argv.slice(2);
const sourceDir = path.resolve(sourceArg ?? path.join(scriptDir, '..', '..'));
const kefuBinary = path.resolve(kefuArg ?? process.env.KEFU_BIN ?? path.join(sourceDir, 'build', 'bin', 'kefu'));
const webRoot = path.join(sourceDir, 'web', 'dist');
const rates = (process.env.WALLBOARD_RATES ?? '50,100,200,400,800').split(',').map(Number).filter((r) => r > 0);
const stepS = Number(process.env.WALLBOARD_STEP_S ?? 5);
const agentCount = Number(process.env.WALLBOARD_AGENTS ?? 500);
const queueCount = Number(process.env.WALLBOARD_QUEUES ?? 50);
/** A change must be on screen within this long after its request was sent. */
const LagLimitMs = 1000;
/** The share of a step's frames that may be dropped. */
const DroppedLimit = 0.01;
/** The share of the asked rate the REST side must reach for a step to count. */
const SentRateFloor = 0.95;
/** Requests in flight at most while driving changes. */
const MaxInFlight = 256;
/** A frame gap this long counts as a visible stall. */
const StallMs = 50;

const log = (line) => console.error(`[wallboard] ${line}`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** @return the wall clock in ms with sub-ms resolution (the page uses the same expression). */
const wallNow = () => performance.timeOrigin + performance.now();

if (!fs.existsSync(path.join(webRoot, 'index.html'))) {
  log(`${webRoot}/index.html is missing: run npm --prefix web run build`);
  process.exit(1);
}
if (!fs.existsSync(kefuBinary)) {
  log(`${kefuBinary} is missing: run make build`);
  process.exit(1);
}
// playwright-core is installed for the browser tests; the bench uses that copy.
const { chromium } = createRequire(path.join(sourceDir, 'tests', 'browser', 'package.json'))('playwright-core');

/** @return a port free on the loopback now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kefu-wallboard-'));
const kefuLogPath = path.join(workDir, 'kefu.log');
const adminPassword = 'bench-admin-pw';
const supervisorPassword = 'bench-supervisor-pw';
const httpPort = await freePort();
const sipPort = await freePort();
const kefuLog = fs.openSync(kefuLogPath, 'w');
const kefu = spawn(
  kefuBinary,
  ['serve', '--http-listen', `127.0.0.1:${httpPort}`, '--sip-enabled=false', '--sip-listen', `127.0.0.1:${sipPort}`,
    '--storage-url', `sqlite:${path.join(workDir, 'kefu.db')}`, '--web-root', webRoot, '--log-level', 'warn'],
  {
    cwd: workDir,
    env: { ...process.env, KEFU_AUTH_ADMIN_PASSWORD: adminPassword, KEFU_DEMO_SEED: 'false' },
    stdio: ['ignore', kefuLog, kefuLog],
  },
);
let kefuExited = false;
let kefuExit = '';
kefu.on('exit', (code, signal) => {
  kefuExited = true;
  kefuExit = signal ? `signal ${signal}` : `code ${code}`;
});
kefu.on('error', (e) => {
  log(`cannot start ${kefuBinary}: ${e.message}`);
  kefuExited = true;
});

let browser = null;
/** Stops the browser and kefu (SIGKILL when SIGTERM is not enough); runs once. */
let cleaned = null;
function cleanup() {
  cleaned ??= (async () => {
    await browser?.close().catch(() => undefined);
    if (!kefuExited) {
      kefu.kill('SIGTERM');
      for (let i = 0; i < 50 && !kefuExited; i++) await sleep(100);
      if (!kefuExited) kefu.kill('SIGKILL');
    }
    if (process.env.WALLBOARD_KEEP_LOG) fs.copyFileSync(kefuLogPath, process.env.WALLBOARD_KEEP_LOG);
    fs.rmSync(workDir, { recursive: true, force: true });
  })();
  return cleaned;
}
const deadline = setTimeout(() => {
  log('FAILED: no result within 600 s');
  void cleanup().then(() => process.exit(1));
}, 600_000);
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.on(signal, () => {
    log(`${signal}: stopping kefu and the browser`);
    void cleanup().then(() => process.exit(130));
  });
}

const base = `http://127.0.0.1:${httpPort}`;
let token = '';

/** @return the parsed body of an API request; throws unless the status is `expected`. */
async function call(method, route, body, expected = 200) {
  const response = await fetch(`${base}/api/v1${route}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status !== expected) throw new Error(`${method} ${route} answered ${response.status}: ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}

/** Runs `work(i)` for i in [0, n) with `parallel` at a time. */
async function each(n, parallel, work) {
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < n) await work(next++);
  }));
}

const profileDir = process.env.WALLBOARD_PROFILE ? path.resolve(process.env.WALLBOARD_PROFILE) : '';
const profileRate = Number(process.env.WALLBOARD_PROFILE_RATE ?? 100);
/** The V8 sampling profiler costs the page far more than the trace: WALLBOARD_PROFILE_JS=0 leaves it out. */
const profileJs = process.env.WALLBOARD_PROFILE_JS !== '0';

/**
 * Starts a Chromium trace (main-thread tasks, style, layout, paint, GC) and a sampling CPU profile
 * of the page, a diagnostic (WALLBOARD_PROFILE): both cost the page time, so a profiled step's
 * figures are not the bench's. @return what stopProfile needs.
 */
async function startProfile(page) {
  fs.mkdirSync(profileDir, { recursive: true });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 250 });
  await browser.startTracing(page, {
    categories: ['-*', 'devtools.timeline', 'disabled-by-default-devtools.timeline', 'disabled-by-default-devtools.timeline.frame',
      'toplevel', 'v8', 'v8.execute', 'blink.user_timing', 'disabled-by-default-v8.gc'],
  });
  if (profileJs) await cdp.send('Profiler.start');
  return { cdp };
}

/** Stops what startProfile started and writes trace-RATE.json and profile-RATE.cpuprofile. */
async function stopProfile({ cdp }, rate) {
  const profile = profileJs ? (await cdp.send('Profiler.stop')).profile : null;
  const trace = await browser.stopTracing();
  if (profile) fs.writeFileSync(path.join(profileDir, `profile-${rate}.cpuprofile`), JSON.stringify(profile));
  fs.writeFileSync(path.join(profileDir, `trace-${rate}.json`), trace);
  await cdp.detach();
  log(`profile of the ${rate}/s step: ${profileDir}/trace-${rate}.json and profile-${rate}.cpuprofile ` +
    `(node bench/web/trace_summary.mjs ${profileDir}/trace-${rate}.json ${profileDir}/profile-${rate}.cpuprofile)`);
}

/** @return the q-quantile of sorted `values`. */
const quantile = (values, q) => (values.length ? values[Math.min(values.length - 1, Math.ceil(q * values.length) - 1)] : NaN);
const fmt = (value, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : '-');

/** Sends state changes at `rate`/s for `seconds`; @return the sends {ext, state, sentAt, status}. */
async function drive(rate, seconds, agents, stateOf) {
  const total = Math.round(rate * seconds);
  const sends = [];
  const start = wallNow();
  let inFlight = 0;
  const pending = new Set();
  for (let k = 0; k < total;) {
    const due = Math.min(total, Math.floor(((wallNow() - start) * rate) / 1000) + 1);
    while (k < due && inFlight < MaxInFlight) {
      const agent = agents[k % agents.length];
      const state = stateOf.get(agent.id) === 'ready' ? 'not_ready' : 'ready';
      stateOf.set(agent.id, state);
      const send = { ext: agent.extension, state, sentAt: wallNow(), status: 0 };
      sends.push(send);
      inFlight++;
      const request = fetch(`${base}/api/v1/agents/${agent.id}/${state === 'ready' ? 'ready' : 'not-ready'}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: state === 'ready' ? undefined : JSON.stringify({ reason: 'break' }),
        signal: AbortSignal.timeout(10_000),
      })
        .then(async (r) => {
          await r.arrayBuffer();
          send.status = r.status;
        }, () => {
          send.status = -1;
        })
        .finally(() => {
          inFlight--;
          pending.delete(request);
        });
      pending.add(request);
      k++;
    }
    if (k < total) await sleep(inFlight >= MaxInFlight ? 2 : 1);
  }
  const end = wallNow();
  await Promise.all(pending);
  return { sends, start, end };
}

/** @return the per-step figures from the sends and what the page recorded. */
function analyse(rate, driven, page, frameMs) {
  const { sends, start, end } = driven;
  const failed = sends.filter((s) => s.status !== 200).length;
  // The page's renders per agent card, in time order: [state, renderedAt].
  const byCard = new Map();
  for (const [testId, state, renderedAt] of page.changes) {
    const ext = testId.replace(/^agent-/, '');
    if (!byCard.has(ext)) byCard.set(ext, []);
    byCard.get(ext).push([state, renderedAt]);
  }
  const sendsByCard = new Map();
  for (const s of sends) {
    if (!sendsByCard.has(s.ext)) sendsByCard.set(s.ext, []);
    sendsByCard.get(s.ext).push(s);
  }
  const lags = [];
  let unrendered = 0;
  for (const [ext, cardSends] of sendsByCard) {
    const renders = byCard.get(ext) ?? [];
    let p = 0;
    for (const s of cardSends) {
      while (p < renders.length && !(renders[p][0] === s.state && renders[p][1] >= s.sentAt)) p++;
      if (p >= renders.length) {
        unrendered++;
        continue;
      }
      lags.push(renders[p][1] - s.sentAt);
      p++;
    }
  }
  lags.sort((a, b) => a - b);
  // Frames over [start, end + 1 s].
  const windowEnd = end + 1000;
  const frames = page.frames.filter((t) => t >= start && t <= windowEnd);
  let dropped = 0;
  let stalls = 0;
  let worstGap = 0;
  for (let i = 1; i < frames.length; i++) {
    const gap = frames[i] - frames[i - 1];
    dropped += Math.max(0, Math.round(gap / frameMs) - 1);
    if (gap > StallMs) stalls++;
    worstGap = Math.max(worstGap, gap);
  }
  const expected = (windowEnd - start) / frameMs;
  const longTasks = page.longTasks.filter(([t]) => t >= start && t <= windowEnd);
  const sentRate = sends.length / ((end - start) / 1000);
  const maxLag = lags.length ? lags[lags.length - 1] : Infinity;
  const droppedShare = dropped / expected;
  const reasons = [];
  if (sentRate < SentRateFloor * rate) reasons.push(`sent only ${fmt(sentRate)}/s`);
  if (failed > 0) reasons.push(`${failed} requests not 200`);
  if (unrendered > 0) reasons.push(`${unrendered} changes never rendered`);
  if (maxLag > LagLimitMs) reasons.push(`slowest render ${fmt(maxLag)} ms > ${LagLimitMs}`);
  if (droppedShare >= DroppedLimit) reasons.push(`${fmt(droppedShare * 100, 2)} % frames dropped`);
  return {
    rate,
    pass: reasons.length === 0,
    renderedInTime: sentRate >= SentRateFloor * rate && failed === 0 && unrendered === 0 && maxLag <= LagLimitMs,
    reasons,
    line:
      `rate ${rate}/s: sent ${sends.length} at ${fmt(sentRate)}/s, ${failed} not 200; rendered ${lags.length}/${sends.length}` +
      `; lag p50 ${fmt(quantile(lags, 0.5))} ms p99 ${fmt(quantile(lags, 0.99))} ms max ${fmt(maxLag)} ms` +
      `; frames ${frames.length}, dropped ${dropped} of ${fmt(expected)} (${fmt(droppedShare * 100, 2)} %)` +
      `, gaps > ${StallMs} ms ${stalls}, worst gap ${fmt(worstGap)} ms; long tasks ${longTasks.length}` +
      ` (${fmt(longTasks.reduce((sum, [, d]) => sum + d, 0))} ms)`,
  };
}

let failed = false;
try {
  for (let i = 0; ; i++) {
    if (kefuExited) throw new Error(`kefu exited at start, ${kefuExit}: ${fs.readFileSync(kefuLogPath, 'utf8').slice(-500)}`);
    const up = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
    if (up) break;
    if (i > 300) throw new Error('kefu did not answer /healthz within 30 s');
    await sleep(100);
  }
  token = (await call('POST', '/auth/login', { username: 'admin', password: adminPassword })).token;

  const seedStart = Date.now();
  const skills = new Array(queueCount);
  await each(queueCount, 4, async (i) => {
    const name = `wb-skill-${String(i).padStart(2, '0')}`;
    skills[i] = (await call('POST', '/skills', { name, description: '' }, 201)).id;
  });
  await each(queueCount, 4, async (i) => {
    await call('POST', '/queues', { name: `wb-queue-${String(i).padStart(2, '0')}`,
      required_skills: [{ skill_id: skills[i], min_level: 1 }] }, 201);
  });
  const agents = new Array(agentCount);
  await each(agentCount, 8, async (j) => {
    const extension = String(20000 + j);
    const skillsOf = [...new Set([j % queueCount, (j + 1) % queueCount])].map((s) => ({ skill_id: skills[s], level: 5 }));
    const created = await call('POST', '/agents', { name: `Agent ${String(j).padStart(3, '0')}`, extension,
      sip_password: `secret-${extension}`, skills: skillsOf }, 201);
    agents[j] = { id: created.id, extension };
  });
  const stateOf = new Map();
  await each(agentCount, 8, async (j) => {
    stateOf.set(agents[j].id, (await call('POST', `/agents/${agents[j].id}/login`, {})).state);
  });
  const notReady = [...stateOf.values()].filter((s) => s !== 'ready').length;
  if (notReady > 0) throw new Error(`${notReady} agents are not ready after logging in`);
  await call('POST', '/users', { username: 'wb-supervisor', role: 'supervisor', password: supervisorPassword }, 201);
  log(`created ${queueCount} skills, ${queueCount} queues, ${agentCount} agents (logged in, ready) and a supervisor in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`);

  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox'],
    // Playwright's own handlers would exit the process on a signal before kefu is stopped.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'en-US' });
  // What this machine drops anyway: 3 s of requestAnimationFrame on an empty page.
  {
    const blank = await context.newPage();
    await blank.setContent('<html><body>frames</body></html>');
    const frames = await blank.evaluate(() => new Promise((resolve) => {
      const times = [];
      const end = performance.now() + 3000;
      const frame = () => {
        const t = performance.timeOrigin + performance.now();
        times.push(t);
        if (performance.now() < end) requestAnimationFrame(frame);
        else resolve(times);
      };
      requestAnimationFrame(frame);
    }));
    await blank.close();
    const gaps = frames.slice(1).map((t, i) => t - frames[i]).sort((a, b) => a - b);
    const interval = quantile(gaps, 0.5);
    const dropped = gaps.reduce((sum, g) => sum + Math.max(0, Math.round(g / interval) - 1), 0);
    const expected = (frames[frames.length - 1] - frames[0]) / interval;
    console.error(`# wallboard: an empty page (3 s): frames ${frames.length}, interval ${fmt(interval, 2)} ms, dropped ${dropped}` +
      ` (${fmt((dropped / expected) * 100, 2)} %), worst gap ${fmt(gaps[gaps.length - 1])} ms`);
  }
  const page = await context.newPage();
  if (process.env.WALLBOARD_BLOCK_LIVE === '1') {
    // A diagnostic, not the figure: the page's queue live reads fail, so only agent cards change.
    await page.route(/\/api\/v1\/queues\/[^/]+\/live$/, (route) => route.abort());
    log('WALLBOARD_BLOCK_LIVE=1: the page\'s GET /queues/{id}/live requests are aborted (diagnostic only)');
  }
  page.on('pageerror', (e) => log(`page error: ${e.message}`));
  await page.goto(`${base}/`);
  await page.fill('input[name=username]', 'wb-supervisor');
  await page.fill('input[name=password]', supervisorPassword);
  await page.click('button[type=submit]');
  await page.waitForSelector('[data-testid=wallboard]', { timeout: 15_000 });
  await page.waitForFunction(
    ({ agents, queues }) =>
      document.querySelectorAll('.agent-card[data-state=ready]').length === agents &&
      document.querySelectorAll('.queue-tiles .tile').length === queues,
    { agents: agentCount, queues: queueCount },
    { timeout: 60_000, polling: 250 },
  );
  await page.waitForSelector('[data-testid=conn]:has-text("Live")', { timeout: 10_000 }).catch(() =>
    log('warning: the connection indicator does not say "Live"'));
  // The wallboard does not scroll: with 50 queues the tiles take the screen and the agent grid
  // gets no height. WALLBOARD_SHOW_AGENTS=1 caps the tiles' height (a style the bench adds, not
  // the app's) so that the changing cards are painted too.
  if (process.env.WALLBOARD_SHOW_AGENTS === '1') {
    await page.addStyleTag({ content: '.queue-tiles { max-height: 25vh; overflow: hidden; }' });
    log('WALLBOARD_SHOW_AGENTS=1: the queue tiles are capped at 25vh by a style the bench adds');
  }
  const visibleCards = await page.evaluate(() => [...document.querySelectorAll('.agent-card')]
    .filter((card) => {
      const r = card.getBoundingClientRect();
      const grid = document.querySelector('.agent-grid').getBoundingClientRect();
      return r.bottom > Math.max(0, grid.top) && r.top < Math.min(window.innerHeight, grid.bottom) && r.height > 0;
    }).length);
  const visibleArea = await page.evaluate(() => {
    const grid = document.querySelector('.agent-grid').getBoundingClientRect();
    return `${Math.round(grid.width)}×${Math.round(grid.height)}`;
  });
  log(`the wallboard shows ${agentCount} ready agents and ${queueCount} queue tiles at 1920×1080; ` +
    `the agent grid is ${visibleArea} px, ${visibleCards} agent cards are (partly) visible`);
  // The page's own API requests, to explain its load: GET /queues/{id}/live per step.
  let liveReads = 0;
  page.on('request', (request) => {
    if (/\/api\/v1\/queues\/[^/]+\/live$/.test(new URL(request.url()).pathname)) liveReads++;
  });

  if (process.env.WALLBOARD_CONTROL === '1') {
    // A diagnostic, not the figure: the same REST load while the page is empty, to tell the
    // frames the machine drops under that load from those the wallboard drops.
    await page.goto('about:blank'); // the app's timers and socket go with its document
    await page.setContent('<html><body><div class="agent-grid">control</div></body></html>');
    log('WALLBOARD_CONTROL=1: the page is emptied; its frames show the machine under the REST load alone');
  }
  // The page's recorders: frames, data-state mutations (stamped with the next frame), long tasks.
  await page.evaluate(() => {
    const now = () => performance.timeOrigin + performance.now();
    const wb = { frames: [], changes: [], unstamped: [], longTasks: [] };
    window.__wallboardBench = wb;
    const frame = () => {
      const t = now();
      wb.frames.push(t);
      for (const change of wb.unstamped) wb.changes.push([change[0], change[1], t]);
      wb.unstamped.length = 0;
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
    new MutationObserver((records) => {
      for (const r of records) {
        const card = r.target;
        wb.unstamped.push([card.getAttribute('data-testid'), card.getAttribute('data-state')]);
      }
    }).observe(document.querySelector('.agent-grid'), { subtree: true, attributes: true, attributeFilter: ['data-state'] });
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) wb.longTasks.push([performance.timeOrigin + e.startTime, e.duration]);
    }).observe({ type: 'longtask' });
  });
  /** @return what the page recorded since the last call, and forgets it. */
  const drain = () => page.evaluate(() => {
    const wb = window.__wallboardBench;
    const out = { frames: wb.frames, changes: wb.changes, longTasks: wb.longTasks };
    wb.frames = [];
    wb.changes = [];
    wb.longTasks = [];
    return out;
  });

  // The quiet baseline: the frame interval, and what the machine drops with nothing changing.
  await sleep(1000);
  await drain();
  const baseStart = wallNow();
  liveReads = 0;
  await sleep(3000);
  const quiet = await drain();
  const quietLiveRate = liveReads / 3;
  const intervals = quiet.frames.slice(1).map((t, i) => t - quiet.frames[i]).sort((a, b) => a - b);
  const frameMs = quantile(intervals, 0.5);
  if (!Number.isFinite(frameMs) || frameMs <= 0) throw new Error('the page drew no frames during the baseline');
  const baseline = analyse(0, { sends: [], start: baseStart, end: wallNow() - 1000 }, quiet, frameMs);
  log(`frame interval (median of the quiet baseline) ${frameMs.toFixed(2)} ms (${(1000 / frameMs).toFixed(1)} Hz)`);
  console.error(`# wallboard: baseline (no changes, 3 s) ${baseline.line.replace(/^rate 0\/s: sent.*?; frames/, 'frames')}` +
    `; the page read queue live figures ${fmt(quietLiveRate)}/s`);

  const outcomes = [];
  for (const rate of rates) {
    liveReads = 0;
    const profiling = profileDir && rate === profileRate ? await startProfile(page) : null;
    const driven = await drive(rate, stepS, agents, stateOf);
    await sleep(LagLimitMs + 1000); // late renders of the step still land in this step
    if (profiling) await stopProfile(profiling, rate);
    const outcome = analyse(rate, driven, await drain(), frameMs);
    outcomes.push(outcome);
    const liveRate = liveReads / ((wallNow() - driven.start) / 1000);
    if (process.env.WALLBOARD_DOM_COUNT === '1') {
      const nodes = await page.evaluate(() => {
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_ALL);
        let n = 0;
        while (walker.nextNode()) n++;
        return n;
      });
      log(`DOM nodes after the ${rate}/s step: ${nodes}`);
    }
    console.error(`# wallboard: ${outcome.line}; the page read queue live figures ${fmt(liveRate)}/s` +
      ` -> ${outcome.pass ? 'pass' : `FAIL (${outcome.reasons.join('; ')})`}`);
    if (kefuExited) throw new Error(`kefu exited during the bench, ${kefuExit}`);
  }
  const conn = await page.textContent('[data-testid=conn]').catch(() => '?');
  log(`connection indicator at the end: "${conn?.trim()}"`);
  if (process.env.WALLBOARD_CONTROL !== '1') {
    const shotPath = process.env.WALLBOARD_SCREENSHOT || path.join(os.tmpdir(), 'kefu-wallboard-bench.png');
    await page.screenshot({ path: shotPath });
    log(`screenshot ${shotPath}`);
  }

  let figure = 0;
  for (const o of outcomes) {
    if (!o.pass) break;
    figure = o.rate;
  }
  let renderedFigure = 0;
  for (const o of outcomes) {
    if (!o.renderedInTime) break;
    renderedFigure = o.rate;
  }
  console.error(`# wallboard: frames aside, every change was rendered within ${LagLimitMs} ms up to ${renderedFigure} changes/s` +
    ` (highest rate tested ${Math.max(...rates)})`);
  const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  console.error(`# wallboard: ${agentCount} agents, ${queueCount} queues, steps of ${stepS} s; pass = sent at >= ${SentRateFloor * 100} % of the rate,` +
    ` all 200, all rendered within ${LagLimitMs} ms of the request, < ${DroppedLimit * 100} % frames dropped; load average ${load}, ${os.cpus().length} cores`);
  console.log(`bench: wallboard_updates_per_sec ${figure} updates/s`);
} catch (e) {
  failed = true;
  log(`FAILED: ${e instanceof Error ? e.stack : e}`);
} finally {
  clearTimeout(deadline);
  await cleanup();
}
process.exit(failed ? 1 : 0);
