// The web app's UI test (issue 7): Debian's Chromium through playwright-core against a real
// `kefu serve` (temporary SQLite file, demo data) on free loopback ports.
//   agent1001 logs in, goes not ready then ready, and the desktop shows each state;
//   a supervisor (second browser context, 1920×1080) sees agent1001's change on the wallboard
//   within 2 s, and the wallboard does not scroll;
//   an admin opens every admin page, sees a 400's message next to the field it names, creates
//   and deletes a skill; the language switch is kept across a reload.
// A PNG of each screen goes to OUTPUT_DIR. kefu is always stopped.
// usage: node desktop_ui.mjs KEFU_BINARY SOURCE_DIR OUTPUT_DIR [CONFIG (default deploy/all-in-one.yaml)]
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { launchChromium, sanitizerReports, sleep, startKefu } from './support.mjs';

const [kefuArg, sourceArg, outputArg, configArg] = process.argv.slice(2);
if (!kefuArg || !sourceArg || !outputArg) {
  console.error('usage: node desktop_ui.mjs KEFU_BINARY SOURCE_DIR OUTPUT_DIR');
  process.exit(2);
}
const [kefuBinary, sourceDir, outputDir] = [kefuArg, sourceArg, outputArg].map((p) => path.resolve(p));
const webRoot = path.join(sourceDir, 'web', 'dist');
if (!fs.existsSync(path.join(webRoot, 'index.html'))) {
  console.error(`desktop_ui: ${webRoot}/index.html is missing: run npm --prefix web run build`);
  process.exit(1);
}
fs.mkdirSync(outputDir, { recursive: true });

const results = [];
const check = (condition, what) => {
  if (!condition) throw new Error(`FAILED: ${what}`);
  results.push(what);
  console.log(`ok - ${what}`);
};

const kefu = await startKefu({
  binary: kefuBinary,
  sourceDir,
  outputDir,
  name: 'web-ui',
  config: configArg ? path.resolve(configArg) : null,
});
const httpPort = kefu.httpPort;

let proxy = null;
let browser = null;
let failed = false;

/** Stops the browser, the proxy and kefu (SIGKILL when SIGTERM is not enough); runs once. */
let cleaned = null;
function cleanup() {
  cleaned ??= (async () => {
    await browser?.close().catch(() => undefined);
    proxy?.close();
    await kefu.stop();
  })();
  return cleaned;
}
// kefu must not outlive the test: not on a hang (the deadline), not when ctest stops it.
const deadline = setTimeout(() => {
  console.error('desktop_ui: FAILED: no result within 150 s');
  void cleanup().then(() => process.exit(1));
}, 150_000);
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.on(signal, () => void cleanup().then(() => process.exit(1)));
}
/** fetch() that gives up after 2 s (a site that accepts but never answers must not hang the test). */
const fetchSoon = (url) => fetch(url, { signal: AbortSignal.timeout(2000) });

try {
  const api = `http://127.0.0.1:${httpPort}`;
  await kefu.waitHealthy();
  let base = api;
  const index = await fetchSoon(`${api}/`).then((r) => (r.ok ? r.text() : ''), () => '');
  if (!index.includes('<div id="root">')) {
    // A kefu built before web.root existed: serve web/dist here and pass /api (and its WebSocket) on.
    proxy = await staticProxy(webRoot, httpPort);
    base = `http://127.0.0.1:${proxy.address().port}`;
    console.log(`# kefu does not serve web/dist: a local proxy serves it on ${base}`);
  }

  // The script's own signal handlers stop kefu and then the browser.
  browser = await launchChromium({ ownSignals: true });
  const shot = async (page, name) => {
    await page.screenshot({ path: path.join(outputDir, `${name}.png`) });
    console.log(`# screenshot ${path.join(outputDir, `${name}.png`)}`);
  };
  const login = async (context, username, password) => {
    const page = await context.newPage();
    page.on('pageerror', (e) => console.log(`# page error (${username}): ${e.message}`));
    await page.goto(`${base}/`);
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', password);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=who]');
    return page;
  };
  const stateOf = (page) => page.getAttribute('[data-testid=agent-state]', 'data-state');
  const waitState = (page, state, timeout = 5000) =>
    page.waitForSelector(`[data-testid=agent-state][data-state=${state}]`, { timeout });

  // The agent: English, a laptop screen.
  const agentContext = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'en-US' });
  // The agent's event socket passes through here, so the test can add a softphone alert of its own
  // (a real call to the browser is the softphone test's part).
  let agentSocket = null;
  const agentSent = [];
  await agentContext.routeWebSocket(/\/api\/v1\/events/, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((message) => {
      agentSent.push(String(message));
      server.send(message);
    });
    agentSocket = ws;
  });
  const agent = await login(agentContext, 'agent1001', 'agent-demo');
  const paint = await agent.evaluate(() => {
    const fcp = performance.getEntriesByName('first-contentful-paint')[0];
    const bytes = performance.getEntriesByType('resource').reduce((sum, r) => sum + (r.transferSize || 0), 0);
    return { fcp: fcp ? Math.round(fcp.startTime) : null, bytes };
  });
  console.log(`# figure: login page first contentful paint ${paint.fcp} ms, ${paint.bytes} bytes fetched by the desktop`);
  await agent.waitForSelector('[data-testid=agent-state]:not([data-state=unknown])');
  check((await agent.url()).endsWith('#/desktop'), 'agent1001 lands on the desktop');
  if ((await stateOf(agent)) === 'logged_out') {
    await agent.click('[data-testid=state-login]');
    await agent.waitForSelector('[data-testid=agent-state]:not([data-state=logged_out])');
  }
  await agent.selectOption('[data-testid=reason]', 'break');
  await agent.click('[data-testid=state-not-ready]');
  await waitState(agent, 'not_ready');
  const shownNotReady = await agent.textContent('[data-testid=agent-state]');
  check(/Not ready/.test(shownNotReady) && /Break/.test(shownNotReady), `the desktop shows "${shownNotReady.trim()}"`);
  const apiState = await agent.evaluate(async () => {
    const session = JSON.parse(localStorage.getItem('kefu.session'));
    const agents = await (await fetch('/api/v1/agents', { headers: { Authorization: `Bearer ${session.token}` } })).json();
    const me = agents.items.find((a) => a.user_id === session.user.id);
    return (await (await fetch(`/api/v1/agents/${me.id}/state`, { headers: { Authorization: `Bearer ${session.token}` } })).json()).state;
  });
  check(apiState === 'not_ready', 'the API agrees the agent is not ready');

  // The supervisor: Chinese, a wall display; the agent goes ready while the wallboard watches.
  const supervisorContext = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN' });
  let supervisorSocket = null;
  await supervisorContext.routeWebSocket(/\/api\/v1\/events/, (ws) => {
    ws.connectToServer();
    supervisorSocket = ws;
  });
  const supervisor = await login(supervisorContext, 'supervisor', 'supervisor-demo');
  check((await supervisor.url()).endsWith('#/wallboard'), 'the supervisor lands on the wallboard');
  await supervisor.waitForSelector('[data-testid=agent-1001][data-state=not_ready]', { timeout: 5000 });
  await supervisor.waitForSelector('[data-testid=conn]:has-text("实时")', { timeout: 5000 });
  const clicked = Date.now();
  await agent.click('[data-testid=state-ready]');
  await waitState(agent, 'ready');
  check(/Ready/.test(await agent.textContent('[data-testid=agent-state]')), 'the desktop shows Ready');
  await supervisor.waitForSelector('[data-testid=agent-1001][data-state=ready]', { timeout: 2000 });
  const seenMs = Date.now() - clicked;
  check(seenMs <= 2000, `the wallboard shows agent1001 ready ${seenMs} ms after the click (limit 2000)`);
  await shot(agent, 'desktop');
  await supervisor.waitForSelector('[data-testid=tile-general]');
  await sleep(1500); // the charts' first figures
  const scrolls = await supervisor.evaluate(() => document.documentElement.scrollHeight > window.innerHeight + 1);
  check(!scrolls, 'the wallboard fits 1920×1080 without scrolling');
  check(/坐席/.test(await supervisor.textContent('.agents-panel h2')), 'the supervisor sees the wallboard in Chinese');
  // A call of agent1001 (an injected call.answered event) offers listen / whisper / barge.
  const agentId = await agent.evaluate(async () => {
    const session = JSON.parse(localStorage.getItem('kefu.session'));
    const agents = await (await fetch('/api/v1/agents', { headers: { Authorization: `Bearer ${session.token}` } })).json();
    return agents.items.find((a) => a.user_id === session.user.id).id;
  });
  const callEvent = (type) => JSON.stringify({
    seq: 1_000_000, type: `call.${type}`, id: 'call_ui_test', at_ms: Date.now(),
    data: { call_id: 'call_ui_test', type, caller: null, dialed: '4000', entry_point_id: null, queue_id: null,
            agent_id: agentId, target: null, cause: type === 'ended' ? 'caller_hangup' : null, detail: null, quality: null },
  });
  supervisorSocket.send(callEvent('answered'));
  await supervisor.waitForSelector('[data-testid=monitor-listen-1001]', { timeout: 2000 });
  check(!(await supervisor.isEnabled('[data-testid=monitor-barge-1001]')), 'listen / whisper / barge show on the call, disabled until the softphone is on');
  await shot(supervisor, 'wallboard');
  supervisorSocket.send(callEvent('ended'));
  await supervisor.waitForSelector('[data-testid=monitor-listen-1001]', { state: 'detached', timeout: 2000 });
  check(true, 'the monitor buttons go when the call ends');
  await supervisor.click('[data-testid=nav-desktop]');
  await supervisor.waitForSelector('[data-testid=no-agent], [data-testid=agent-state]');
  check(true, 'the supervisor can open the desktop too');

  // The admin: every page, a 400 next to its field, a skill created and deleted.
  const adminContext = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'en-US' });
  const admin = await login(adminContext, 'admin', 'kefu-admin');
  check((await admin.url()).includes('#/admin/'), 'the admin lands on the admin pages');
  for (const [page, rowTestId] of [
    ['users', 'row-agent1001'],
    ['agents', 'row-1001'],
    ['skills', 'row-mandarin'],
    ['queues', 'row-general'],
    ['entry-points', 'row-4000'],
  ]) {
    await admin.click(`[data-testid=admin-nav-${page}]`);
    await admin.waitForSelector('.entity-table tbody tr');
    if (rowTestId) await admin.waitForSelector(`[data-testid=${rowTestId}]`);
    const rows = await admin.locator('.entity-table tbody tr').count();
    check(rows > 0, `admin page ${page} lists ${rows} rows`);
    await shot(admin, `admin-${page}`);
  }
  await admin.click('[data-testid=admin-nav-skills]');
  await admin.waitForSelector('.entity-table tbody tr');
  await admin.click('[data-testid=admin-create]');
  await admin.click('[data-testid=admin-save]');
  await admin.waitForSelector('[data-testid=error-name]');
  check(/empty/.test(await admin.textContent('[data-testid=error-name]')), 'an empty skill name shows the API\'s message next to the name field');
  await shot(admin, 'admin-field-error');
  await admin.fill('[data-field=name] input', 'ui-test-skill');
  await admin.click('[data-testid=admin-save]');
  await admin.waitForSelector('[data-testid=row-ui-test-skill]');
  check(true, 'a skill created from the admin page is listed');
  admin.once('dialog', (dialog) => dialog.accept());
  await admin.click('[data-testid=row-ui-test-skill] button.danger');
  await admin.waitForSelector('[data-testid=row-ui-test-skill]', { state: 'detached' });
  check(true, 'the skill is deleted from the admin page');

  // An incoming call as the softphone protocol announces it: alert, screen pop, then released.
  check(agentSocket !== null, "the agent's event socket is open");
  agentSocket.send(JSON.stringify({
    type: 'softphone.alerting', call_id: 'call_ui_test', caller: '138****5678', queue_id: null, entry_point_id: null,
    customer: { id: 'cu_ui', name: '张**', phones: ['138****5678', '010****1234'], unavailable: false },
    history: [
      { call_id: 'call_old_1', at_ms: Date.now() - 86_400_000, queue_id: null, agent_id: null, cause: 'caller_hangup', disposition: 'resolved', notes: 'Card blocked.' },
      { call_id: 'call_old_2', at_ms: Date.now() - 3_600_000, queue_id: null, agent_id: null, cause: 'rtp_timeout', disposition: null, notes: null },
    ],
  }));
  await agent.waitForSelector('[data-testid=call-panel][data-phase=alerting]', { timeout: 2000 });
  check((await agent.textContent('[data-testid=caller]')) === '138****5678', 'the alert shows the masked caller');
  check((await agent.textContent('[data-testid=customer-name]')) === '张**', 'the screen pop shows the customer card');
  check((await agent.textContent('[data-testid=customer-phones]')) === '138****5678, 010****1234', "the card lists the customer's masked phones");
  const interactions = await agent.locator('[data-testid=interaction]').allTextContents();
  check(
    interactions.length === 2 && /Audio lost/.test(interactions[0]) && /Caller hung up/.test(interactions[1]) && /Resolved/.test(interactions[1]) && /Card blocked/.test(interactions[1]),
    `the pop lists the last interactions newest first with cause, disposition and notes (${interactions.map((i) => i.trim()).join(' | ')})`,
  );
  check(await agent.isEnabled('[data-testid=call-answer]'), 'answer is offered while alerting');
  check(!(await agent.isEnabled('[data-testid=call-hold]')), 'hold is not offered before answering');
  await shot(agent, 'desktop-alerting');
  agentSocket.send(JSON.stringify({ type: 'softphone.released', call_id: 'call_ui_test', cause: 'cancelled' }));
  await agent.waitForSelector('[data-testid=call-panel][data-phase=idle]', { timeout: 2000 });
  check(true, 'a call released before answering leaves no wrap-up');
  check((await agent.textContent('[data-testid=call-panel]')).includes('Last call ended: Cancelled'), 'the end cause is shown by name');
  // The CRM could not be read: the card says so instead of "no record".
  agentSocket.send(JSON.stringify({
    type: 'softphone.alerting', call_id: 'call_ui_crm', caller: '137****0000', queue_id: null, entry_point_id: null,
    customer: { id: null, name: null, phones: [], unavailable: true }, history: [],
  }));
  await agent.waitForSelector('[data-testid=customer-unavailable]', { timeout: 2000 });
  check(/Customer data unavailable/.test(await agent.textContent('[data-testid=customer-card]')), 'an unreadable CRM shows "customer data unavailable"');
  await shot(agent, 'desktop-alerting-crm-unavailable');
  agentSocket.send(JSON.stringify({ type: 'softphone.released', call_id: 'call_ui_crm', cause: 'not_answered' }));
  await agent.waitForSelector('[data-testid=call-panel][data-phase=idle]', { timeout: 2000 });
  // Connected, then released by the far end: the controls of a call in talk, then wrap-up.
  const send = (message) => agentSocket.send(JSON.stringify(message));
  // The call's way so far, as the stream showed it (an agent may not read GET /calls/{id}/events).
  send({ seq: 2_000_000, type: 'call.created', id: 'call_ui_2', at_ms: Date.now(),
         data: { call_id: 'call_ui_2', type: 'created', caller: null, dialed: '4000', entry_point_id: null, queue_id: null,
                 agent_id: null, target: null, cause: null, detail: null, quality: null } });
  send({ type: 'softphone.alerting', call_id: 'call_ui_2', caller: '139****0000', queue_id: null, entry_point_id: null, customer: null });
  await agent.waitForSelector('[data-testid=call-panel][data-phase=alerting]', { timeout: 2000 });
  await agent.waitForSelector('[data-testid=call-history] li', { timeout: 2000 });
  check((await agent.textContent('[data-testid=call-history]')).includes('created'), "the screen pop lists the call's events so far");
  check((await agent.textContent('[data-testid=customer-card]')).includes('No customer record'), 'an unknown caller pops no customer card');
  check((await agent.textContent('[data-testid=customer-card]')).includes('No earlier calls'), 'an alert without history lists no interactions');
  send({ type: 'softphone.connected', call_id: 'call_ui_2' });
  await agent.waitForSelector('[data-testid=call-panel][data-phase=talking]', { timeout: 2000 });
  check((await agent.isEnabled('[data-testid=call-hold]')) && !(await agent.isEnabled('[data-testid=call-answer]')), 'in talk: hold offered, answer not');
  await agent.click('[data-testid=call-mute]');
  check((await agent.getAttribute('[data-testid=call-mute]', 'aria-pressed')) === 'true', 'mute toggles on');
  await agent.click('[data-testid=call-mute]');
  send({ type: 'softphone.released', call_id: 'call_ui_2', cause: 'caller_hangup' });
  await agent.waitForSelector('[data-testid=wrapup]', { timeout: 2000 });
  const dispositions = await agent.locator('[data-testid=disposition] option').count();
  check(dispositions >= 3, `wrap-up offers ${dispositions} disposition codes and notes after the call`);
  await agent.fill('[data-testid=notes]', 'Card blocked; new card sent.');
  await shot(agent, 'desktop-wrapup');

  // The softphone: one offer with its ICE candidates already gathered, on the event socket.
  await agent.click('[data-testid=phone-on]');
  for (let i = 0; i < 50 && !agentSent.some((m) => m.includes('softphone.offer')); i++) await sleep(100);
  const offers = agentSent.filter((m) => m.includes('softphone.offer')).map((m) => JSON.parse(m));
  check(offers.length === 1 && offers[0].sdp.includes('a=candidate'), 'switching the softphone on sends one softphone.offer with its ICE candidates gathered');
  try {
    await agent.waitForSelector('[data-testid=phone-status].phone-on', { timeout: 5000 });
    check(true, "the softphone connects to kefu's media engine");
    await agent.click('[data-testid=phone-off]');
    for (let i = 0; i < 20 && !agentSent.some((m) => m.includes('softphone.hangup')); i++) await sleep(100);
    check(agentSent.some((m) => m.includes('softphone.hangup')), 'switching it off sends softphone.hangup');
  } catch {
    // A kefu without the softphone side does not answer: its refusal is shown instead.
    agentSocket.send(JSON.stringify({ type: 'softphone.error', message: 'no media engine here' }));
    await agent.waitForSelector('[data-testid=phone-status].phone-failed', { timeout: 2000 });
    check((await agent.textContent('[data-testid=phone-status]')).includes('no media engine here'), 'a softphone.error is shown (kefu did not answer the offer)');
  }

  // Language: switched on the agent's desktop and kept across a reload.
  await agent.click('[data-testid=lang-switch]');
  await agent.waitForSelector('[data-testid=agent-state]:has-text("就绪")');
  await agent.reload();
  await agent.waitForSelector('[data-testid=agent-state]:has-text("就绪")');
  check((await agent.evaluate(() => localStorage.getItem('kefu.lang'))) === 'zh-CN', 'the language switch is kept across a reload');
  await shot(agent, 'desktop-zh');
  console.log(`desktop_ui: ${results.length} checks passed; screenshots in ${outputDir}`);
} catch (e) {
  failed = true;
  console.error(e instanceof Error ? e.stack : e);
} finally {
  await cleanup();
  clearTimeout(deadline);
}
// What the sanitizers (an ASan/UBSan build) said while kefu served the UI counts too.
const reports = sanitizerReports(kefu.logPath);
if (reports.length > 0) {
  failed = true;
  console.error(`desktop_ui: FAILED: kefu.log holds sanitizer reports:\n${reports.join('\n')}`);
} else if (!failed) {
  console.log(`desktop_ui: kefu stopped with ${kefu.exitText()}, no sanitizer reports`);
}
process.exit(failed ? 1 : 0);

/** Serves `root` (index.html for app routes) and passes /api and /healthz, WebSocket included, to kefu. */
function staticProxy(root, kefuPort) {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png' };
  const server = http.createServer((request, response) => {
    const url = new URL(request.url, 'http://x');
    if (url.pathname.startsWith('/api/') || url.pathname === '/healthz') {
      const upstream = http.request(
        { host: '127.0.0.1', port: kefuPort, path: request.url, method: request.method, headers: request.headers },
        (answer) => {
          response.writeHead(answer.statusCode, answer.headers);
          answer.pipe(response);
        },
      );
      upstream.on('error', () => response.destroy());
      request.pipe(upstream);
      return;
    }
    let file = path.join(root, path.normalize(url.pathname));
    if (!file.startsWith(root) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) file = path.join(root, 'index.html');
    response.writeHead(200, { 'Content-Type': types[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(response);
  });
  server.on('upgrade', (request, socket, head) => {
    const upstream = net.connect(kefuPort, '127.0.0.1', () => {
      const lines = [`${request.method} ${request.url} HTTP/1.1`];
      for (let i = 0; i < request.rawHeaders.length; i += 2) lines.push(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}`);
      upstream.write(lines.join('\r\n') + '\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
