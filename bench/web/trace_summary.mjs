// Summarises a Chromium trace (and optionally a CPU profile) of the wallboard bench's profiled step
// (WALLBOARD_PROFILE): what the page's main thread spent its time on, and what each task longer
// than a frame was made of, so the cause of dropped frames can be named with numbers.
//
// usage: node bench/web/trace_summary.mjs TRACE.json [PROFILE.cpuprofile] [LONG_MS (30)]
// Prints: main-thread busy time by event (style recalculation, layout, paint, script, GC, ...);
// every task of at least LONG_MS with its parts and the functions that ran in it (from the CPU
// profile); and the functions with the most self time over the whole trace.
import fs from 'node:fs';

const args = process.argv.slice(2);
// The last argument is LONG_MS when it is a number (the profile may be left out).
const longArg = args.length > 1 && /^\d+$/.test(args[args.length - 1]) ? args.pop() : undefined;
const [tracePath, profilePath] = args;
if (!tracePath) {
  console.error('usage: node bench/web/trace_summary.mjs TRACE.json [PROFILE.cpuprofile] [LONG_MS]');
  process.exit(2);
}
const longMs = Number(longArg ?? 30);
const raw = JSON.parse(fs.readFileSync(tracePath, 'utf8'));
const events = Array.isArray(raw) ? raw : raw.traceEvents;

// The page's main thread: the CrRendererMain with the most complete events.
const threadNames = new Map();
for (const e of events) {
  if (e.ph === 'M' && e.name === 'thread_name') threadNames.set(`${e.pid}:${e.tid}`, e.args.name);
}
const perThread = new Map();
for (const e of events) {
  if (e.ph !== 'X') continue;
  const key = `${e.pid}:${e.tid}`;
  if (threadNames.get(key) !== 'CrRendererMain') continue;
  perThread.set(key, (perThread.get(key) ?? 0) + 1);
}
const mainKey = [...perThread.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
if (!mainKey) {
  console.error('no CrRendererMain thread in the trace');
  process.exit(1);
}
const main = events
  .filter((e) => e.ph === 'X' && `${e.pid}:${e.tid}` === mainKey && typeof e.dur === 'number')
  .sort((a, b) => a.ts - b.ts || b.dur - a.dur);
const tasks = main.filter((e) => e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask');
const first = main[0].ts;
const last = Math.max(...main.map((e) => e.ts + e.dur));
const spanMs = (last - first) / 1000;

// What an event is, in the words of the DevTools performance panel.
const kinds = {
  UpdateLayoutTree: 'style recalculation',
  Layout: 'layout',
  PrePaint: 'pre-paint',
  Paint: 'paint',
  Layerize: 'layerize',
  UpdateLayer: 'update layer',
  'Document::updateStyle': 'style recalculation',
  FunctionCall: 'script (function call)',
  EvaluateScript: 'script (evaluate)',
  'v8.compile': 'compile',
  MinorGC: 'GC (minor)',
  MajorGC: 'GC (major)',
  'V8.GC_SCAVENGER': 'GC (minor)',
  'V8.GC_MARK_COMPACTOR': 'GC (major)',
  'BlinkGC.AtomicPhase': 'GC (blink)',
  ParseHTML: 'parse HTML',
  HitTest: 'hit test',
  TimerFire: 'timer',
  FireAnimationFrame: 'animation frame callback',
  EventDispatch: 'DOM event',
  XHRReadyStateChange: 'XHR',
  ResourceReceiveResponse: 'network response',
  ResourceReceivedData: 'network data',
  ResourceFinish: 'network finish',
};
/** @return `events` inside [start, end] grouped by name, the time of each group (nested same-name events once). */
function breakdown(list, start, end) {
  const byName = new Map();
  const openUntil = new Map();
  for (const e of list) {
    if (e.ts < start || e.ts + e.dur > end) continue;
    const name = e.name;
    if ((openUntil.get(name) ?? -1) > e.ts) continue; // nested in one of the same name
    openUntil.set(name, e.ts + e.dur);
    const entry = byName.get(name) ?? { ms: 0, count: 0 };
    entry.ms += e.dur / 1000;
    entry.count++;
    byName.set(name, entry);
  }
  return [...byName.entries()].sort((a, b) => b[1].ms - a[1].ms);
}
const fmt = (v) => v.toFixed(1);

// Tasks are counted once: Chromium logs both RunTask and ThreadControllerImpl::RunTask for a task.
const topTasks = tasks.filter((t) => t.name === 'ThreadControllerImpl::RunTask');
const wallBusy = topTasks.reduce((s, t) => s + t.dur, 0) / 1000;
const cpuBusy = topTasks.reduce((s, t) => s + (t.tdur ?? 0), 0) / 1000;
console.log(`main thread ${mainKey}: ${fmt(spanMs)} ms traced, ${topTasks.length} tasks, busy ${fmt(wallBusy)} ms of wall time` +
  ` and ${fmt(cpuBusy)} ms of CPU time (${fmt((cpuBusy / spanMs) * 1000)} ms per second; wall time beyond the CPU time is the` +
  ' thread waiting for a core)');

// CPU time per thread of every Chromium process (top-level events only): the page's cost to the
// machine, which a busy machine does not inflate as it does wall times.
{
  const processNames = new Map();
  for (const e of events) if (e.ph === 'M' && e.name === 'process_name') processNames.set(e.pid, e.args.name);
  const cpuByThread = new Map();
  const openUntil = new Map();
  const timed = events.filter((e) => e.ph === 'X' && typeof e.tdur === 'number').sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  for (const e of timed) {
    const key = `${e.pid}:${e.tid}`;
    if ((openUntil.get(key) ?? -1) > e.ts) continue;
    openUntil.set(key, e.ts + e.dur);
    cpuByThread.set(key, (cpuByThread.get(key) ?? 0) + e.tdur / 1000);
  }
  console.log('\nCPU time by thread (ms per second of trace):');
  for (const [key, ms] of [...cpuByThread.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8)) {
    const pid = Number(key.split(':')[0]);
    console.log(`  ${fmt((ms / spanMs) * 1000).padStart(7)}  ${processNames.get(pid) ?? pid} / ${threadNames.get(key) ?? key}`);
  }
}
console.log('\nCPU time of the main thread by event (ms per second of trace):');
{
  const cpuByName = new Map();
  for (const e of main) {
    if (typeof e.tdur !== 'number' || e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask') continue;
    cpuByName.set(e.name, (cpuByName.get(e.name) ?? 0) + e.tdur / 1000);
  }
  for (const [name, ms] of [...cpuByName.entries()].sort((a, b) => b[1] - a[1]).slice(0, 16)) {
    console.log(`  ${fmt((ms / spanMs) * 1000).padStart(7)}  ${name}${kinds[name] ? ` (${kinds[name]})` : ''}`);
  }
}
console.log('\nbusy time by event over the whole trace (nested events of another name are counted in both):');
for (const [name, { ms, count }] of breakdown(main, first, last).slice(0, 24)) {
  if (name === 'RunTask' || name === 'ThreadControllerImpl::RunTask') continue;
  console.log(`  ${fmt(ms).padStart(8)} ms ${String(count).padStart(6)}×  ${name}${kinds[name] ? ` (${kinds[name]})` : ''}`);
}

// The CPU profile: self time per sample, with its timestamps (the trace's clock, µs).
let samples = [];
if (profilePath) {
  const profile = JSON.parse(fs.readFileSync(profilePath, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parents = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parents.set(c, n.id);
  let t = profile.startTime;
  const label = (node) => {
    const f = node.callFrame;
    const file = f.url ? f.url.replace(/^.*\//, '') : '';
    return `${f.functionName || '(anonymous)'}${file ? ` ${file}:${f.lineNumber + 1}` : ''}`;
  };
  samples = profile.samples.map((id, i) => {
    t += profile.timeDeltas[i];
    // The innermost frame of the app's own code (not React's), for "who asked for this".
    let ownId = id;
    while (ownId !== undefined && !/\/assets\/(index|wallboard)-/.test(nodes.get(ownId)?.callFrame.url ?? '')) ownId = parents.get(ownId);
    return { ts: t, self: label(nodes.get(id)), own: ownId !== undefined ? label(nodes.get(ownId)) : null };
  });
  samples.sort((a, b) => a.ts - b.ts);
}
const interval = samples.length > 1 ? (samples[samples.length - 1].ts - samples[0].ts) / samples.length / 1000 : 0;
/** @return the top `n` labels of samples in [start, end] by `key`, as "label ms". */
function topFunctions(start, end, key, n) {
  const counts = new Map();
  for (const s of samples) {
    if (s.ts < start || s.ts > end || s[key] === null || s.self === '(idle)' || s.self === '(program)') continue;
    counts.set(s[key], (counts.get(s[key]) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([l, c]) => `${fmt(c * interval)} ms ${l}`);
}

const long = tasks.filter((t) => t.dur / 1000 >= longMs);
console.log(`\ntasks of ${longMs} ms or more: ${long.length} (${fmt(long.reduce((s, t) => s + t.dur, 0) / 1000)} ms)`);
for (const task of long) {
  const parts = breakdown(main, task.ts, task.ts + task.dur)
    .filter(([name]) => name !== 'RunTask' && name !== 'ThreadControllerImpl::RunTask')
    .slice(0, 7)
    .map(([name, { ms, count }]) => `${name}${count > 1 ? `×${count}` : ''} ${fmt(ms)}`);
  console.log(`  at +${fmt((task.ts - first) / 1000)} ms: ${fmt(task.dur / 1000)} ms = ${parts.join(', ')}`);
  if (samples.length) {
    const own = topFunctions(task.ts, task.ts + task.dur, 'own', 4);
    const self = topFunctions(task.ts, task.ts + task.dur, 'self', 5);
    if (own.length) console.log(`      app code: ${own.join('; ')}`);
    if (self.length) console.log(`      self: ${self.join('; ')}`);
  }
}
if (samples.length) {
  console.log(`\nself time over the whole profile (sample interval ${fmt(interval * 1000)} µs):`);
  for (const line of topFunctions(-Infinity, Infinity, 'self', 25)) console.log(`  ${line}`);
  console.log('\ninnermost app function on the stack (index-*.js / wallboard-*.js), over the whole profile:');
  for (const line of topFunctions(-Infinity, Infinity, 'own', 15)) console.log(`  ${line}`);
}
