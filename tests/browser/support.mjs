// What the browser tests share: Debian's Chromium with a fake microphone, `kefu serve` on free
// loopback ports with the demo data, tone WAV files and their analysis, and the in-page analyser
// that measures what a browser hears.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { chromium } from 'playwright-core';

/** @return a promise resolved after `ms` milliseconds. */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** @return a TCP port free on the loopback now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts Debian's Chromium (or $CHROMIUM) headless with a fake camera and microphone; the
 * microphone plays `micWav` when given. With `ownSignals` the caller's own signal handlers must
 * close it (a script that starts kefu: Playwright's handlers would kill the browser first and
 * leave kefu running); without, Playwright closes it on SIGINT, SIGTERM and SIGHUP.
 * @return the Playwright Browser
 */
export function launchChromium({ micWav = null, extraArgs = [], ownSignals = false } = {}) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    handleSIGINT: !ownSignals,
    handleSIGTERM: !ownSignals,
    handleSIGHUP: !ownSignals,
    args: [
      '--no-sandbox',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      ...(micWav ? [`--use-file-for-fake-audio-capture=${micWav}`] : []),
      '--allow-loopback-in-peer-connection',
      '--autoplay-policy=no-user-gesture-required',
      ...extraArgs,
    ],
  });
}

/**
 * Serves one empty page on a free loopback port: getUserMedia needs a secure context, and
 * http://127.0.0.1 is one.
 * @return {url, close()}
 */
export async function blankPage(title) {
  const server = http.createServer((request, response) => {
    response.writeHead(200, { 'Content-Type': 'text/html' });
    response.end(`<!doctype html><title>${title}</title>`);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() };
}

/**
 * The line protocol of the peer scripts: one JSON object per line on stdout and stdin. A line
 * that comes while nobody waits is kept; when stdin closes, waiting gets {"quit": true}.
 * @return {say(object), nextLine(): Promise<string>, close()}
 */
export function stdioLines() {
  const lines = readline.createInterface({ input: process.stdin });
  const queued = [];
  let waiting = null;
  let closed = false;
  const quit = JSON.stringify({ quit: true });
  lines.on('line', (line) => (waiting ? (waiting(line), (waiting = null)) : queued.push(line)));
  lines.on('close', () => {
    closed = true;
    if (waiting) waiting(quit);
    waiting = null;
  });
  return {
    say: (object) => process.stdout.write(JSON.stringify(object) + '\n'),
    nextLine: () =>
      queued.length ? Promise.resolve(queued.shift()) : closed ? Promise.resolve(quit) : new Promise((resolve) => (waiting = resolve)),
    close: () => lines.close(),
  };
}

/**
 * Runs in the page (pass to page.evaluate): the audio statistics of window.pc.
 * @return {packets_received, packets_lost, packets_sent, codec_id} (those known)
 */
export async function rtpStatsInPage() {
  const result = {};
  (await window.pc.getStats()).forEach((report) => {
    if (report.type === 'inbound-rtp' && report.kind === 'audio') {
      result.packets_received = report.packetsReceived;
      result.packets_lost = report.packetsLost;
      result.codec_id = report.codecId;
    }
    if (report.type === 'outbound-rtp' && report.kind === 'audio') result.packets_sent = report.packetsSent;
  });
  return result;
}

/**
 * Starts `kefu serve` in a temporary directory: free HTTP and SIP ports, a fresh SQLite file, the
 * demo data, web/dist as web.root, with `config` (default deploy/all-in-one.yaml; false: none, for
 * a caller that passes flags in `args`). `env` and `args` override those settings (flags win over
 * the environment). Its output goes to `logPath` (default OUTPUT_DIR/`logName`, else the
 * temporary directory, which stop() removes: `keepLogAs` names a copy kept then).
 * @return {api, httpPort, sipPort, workDir, logPath, exited(), exitText(), waitHealthy(), stop()}
 */
export async function startKefu({
  binary,
  sourceDir,
  outputDir = null,
  config = null,
  args = [],
  env = {},
  name = 'kefu',
  logName = 'kefu.log',
  logPath = null,
  keepLogAs = null,
}) {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), `kefu-${name}-`));
  const httpPort = await freePort();
  const sipPort = await freePort();
  logPath ??= path.join(outputDir ?? workDir, logName);
  const log = fs.openSync(logPath, 'w');
  const configArgs = config === false ? [] : ['--config', config ?? path.join(sourceDir, 'deploy', 'all-in-one.yaml')];
  const child = spawn(binary, ['serve', ...configArgs, ...args], {
    cwd: workDir,
    env: {
      ...process.env,
      KEFU_HTTP_LISTEN: `127.0.0.1:${httpPort}`,
      KEFU_SIP_LISTEN: `127.0.0.1:${sipPort}`,
      KEFU_STORAGE_URL: `sqlite:${path.join(workDir, 'kefu.db')}`,
      KEFU_WEB_ROOT: path.join(sourceDir, 'web', 'dist'),
      KEFU_DEMO_SEED: 'true',
      // The configuration's relative paths are meant for the source directory; kefu runs in workDir.
      KEFU_IVR_FLOWS_DIR: path.join(sourceDir, 'deploy', 'flows'),
      KEFU_IVR_TTS_CACHE_DIR: path.join(workDir, 'tts'),
      ...env,
    },
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  let exited = false;
  let exitText = '';
  child.on('exit', (code, signal) => {
    exited = true;
    exitText = signal ? `signal ${signal}` : `code ${code}`;
  });
  child.on('error', (e) => {
    exited = true;
    exitText = `cannot start ${binary}: ${e.message}`;
  });
  const api = `http://127.0.0.1:${httpPort}`;
  let stopped = null;
  return {
    api,
    httpPort,
    sipPort,
    workDir,
    logPath,
    exited: () => exited,
    exitText: () => exitText,
    /** Waits (up to 20 s) for /healthz; throws when kefu exits or never answers. */
    async waitHealthy() {
      for (let i = 0; ; i++) {
        if (exited) throw new Error(`kefu exited at start, ${exitText} (see ${logPath})`);
        const up = await fetch(`${api}/healthz`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
        if (up) return;
        if (i > 150) throw new Error('kefu did not answer /healthz within 20 s');
        await sleep(100);
      }
    },
    /** Stops kefu (SIGKILL when SIGTERM is not enough within 5 s) and removes its directory; runs once. */
    stop() {
      stopped ??= (async () => {
        if (!exited) {
          child.kill('SIGTERM');
          for (let i = 0; i < 50 && !exited; i++) await sleep(100);
          if (!exited) child.kill('SIGKILL');
        }
        if (keepLogAs) fs.copyFileSync(logPath, keepLogAs);
        fs.rmSync(workDir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

/** @return the sanitizer (ASan/UBSan/LSan) reports in a kefu log, at most five lines. */
export function sanitizerReports(logPath) {
  const log = fs.existsSync(logPath) ? fs.readFileSync(logPath, 'utf8') : '';
  return log.split('\n').filter((line) => /ERROR: (Address|Leak)Sanitizer|runtime error:/.test(line)).slice(0, 5);
}

/** Writes a mono 16-bit WAV of a sine at `hz` (0.4 of full scale) for `seconds`; @return `file`. */
export function writeToneWav(file, hz, seconds, rate = 8000) {
  const samples = Math.round(seconds * rate);
  const data = Buffer.alloc(44 + samples * 2);
  data.write('RIFF', 0);
  data.writeUInt32LE(36 + samples * 2, 4);
  data.write('WAVEfmt ', 8);
  data.writeUInt32LE(16, 16);
  data.writeUInt16LE(1, 20); // PCM
  data.writeUInt16LE(1, 22); // mono
  data.writeUInt32LE(rate, 24);
  data.writeUInt32LE(rate * 2, 28);
  data.writeUInt16LE(2, 32);
  data.writeUInt16LE(16, 34);
  data.write('data', 36);
  data.writeUInt32LE(samples * 2, 40);
  for (let n = 0; n < samples; n++) {
    data.writeInt16LE(Math.round(0.4 * 32767 * Math.sin((2 * Math.PI * hz * n) / rate)), 44 + n * 2);
  }
  fs.writeFileSync(file, data);
  return file;
}

/**
 * Reads one channel of a 16-bit PCM WAV file (chunks walked, so extra chunks are fine).
 * @return {rate, pcm: Float64Array in [-1, 1]} or null when it is not such a file
 */
export function readWav(file, channel = 0) {
  const data = fs.readFileSync(file);
  if (data.length < 12 || data.toString('ascii', 0, 4) !== 'RIFF' || data.toString('ascii', 8, 12) !== 'WAVE') return null;
  let rate = 0;
  let channels = 0;
  let bits = 0;
  for (let at = 12; at + 8 <= data.length; ) {
    const id = data.toString('ascii', at, at + 4);
    const size = data.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'fmt ' && size >= 16) {
      channels = data.readUInt16LE(body + 2);
      rate = data.readUInt32LE(body + 4);
      bits = data.readUInt16LE(body + 14);
    } else if (id === 'data') {
      if (bits !== 16 || channels < 1 || channel >= channels) return null;
      const end = Math.min(data.length, body + size);
      const frames = Math.floor((end - body) / (2 * channels));
      const pcm = new Float64Array(frames);
      for (let i = 0; i < frames; i++) pcm[i] = data.readInt16LE(body + (i * channels + channel) * 2) / 32768;
      return { rate, pcm };
    }
    at = body + size + (size % 2);
  }
  return null;
}

/** @return the share (0..1) of the energy of `part` at `hz` (Goertzel; 1 for a pure tone). */
export function toneFraction(part, rate, hz) {
  const w = (2 * Math.PI * hz) / rate;
  const coefficient = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  let energy = 0;
  for (const x of part) {
    const s0 = x + coefficient * s1 - s2;
    s2 = s1;
    s1 = s0;
    energy += x * x;
  }
  const power = s1 * s1 + s2 * s2 - coefficient * s1 * s2;
  return energy > 0 ? (2 * power) / (part.length * energy) : 0;
}

/**
 * Splits `audio` into 200 ms windows; a window quieter than 1 % of full scale (RMS) is silence.
 * @return per window {at_ms, rms, dominant_hz (0 when silent), fractions: {hz: share of energy}}
 */
export function analyseWindows(audio, tones) {
  const size = Math.floor(audio.rate / 5);
  const out = [];
  for (let at = 0; size > 0 && at + size <= audio.pcm.length; at += size) {
    const part = audio.pcm.subarray(at, at + size);
    let energy = 0;
    for (const x of part) energy += x * x;
    const rms = Math.sqrt(energy / size);
    const fractions = {};
    for (const hz of tones) fractions[hz] = rms > 0.01 ? toneFraction(part, audio.rate, hz) : 0;
    let dominant = 0;
    if (rms > 0.01) {
      // A 5 Hz scan of the telephone band; the tones of the tests are far apart.
      let best = -1;
      for (let hz = 100; hz <= Math.min(3500, audio.rate / 2 - 100); hz += 5) {
        const f = toneFraction(part, audio.rate, hz);
        if (f > best) [best, dominant] = [f, hz];
      }
    }
    out.push({ at_ms: (at * 1000) / audio.rate, rms, dominant_hz: dominant, fractions });
  }
  return out;
}

/** @return the share (0..1) of windows whose dominant frequency is within 4 % of `hz`. */
export function shareOfTone(windows, hz) {
  if (windows.length === 0) return 0;
  return windows.filter((w) => Math.abs(w.dominant_hz - hz) < hz * 0.04).length / windows.length;
}

/**
 * Runs in the page (pass to page.evaluate with {ms, hz}): averages the spectrum (in dB) of the
 * remote stream over `ms`, so a steady tone stands out and a short blip does not. Needs
 * window.kefuAudio = {context, analyser} (see attachAnalyser).
 * @return {peak_hz, peak_db, levels: {hz: dB}, snapshots} or {error}
 */
export async function listenInPage({ ms, hz }) {
  const { context, analyser } = window.kefuAudio || {};
  if (!analyser) return { error: 'no remote audio' };
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
    for (let i = Math.max(0, at - 2); i <= Math.min(sum.length - 1, at + 2); i++) level = Math.max(level, sum[i]);
    levels[f] = level;
  }
  return { peak_hz: best * binHz, peak_db: sum[best], levels, snapshots };
}

/**
 * Runs in the page (pass to page.evaluate with {hz, db, timeout}): waits for `hz` above `db` dB in
 * a short (43 ms) analyser window of the remote stream. Needs window.kefuAudio.quick.
 * @return the Unix ms it was first heard, or null
 */
export async function awaitToneInPage({ hz, db, timeout }) {
  const { context, quick } = window.kefuAudio || {};
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
}

/**
 * Runs in the page (pass to page.evaluate): sets window.kefuAudio to a long analyser (16384
 * points, for levels) and a short one (2048, for timing) on window.kefuRemoteStream.
 * A muted media element plays the stream too: Chromium feeds a remote stream to Web Audio only
 * while one does.
 */
export async function attachAnalyser() {
  const stream = window.kefuRemoteStream;
  if (!stream) return false;
  const element = new Audio();
  element.srcObject = stream;
  element.muted = true;
  await element.play().catch(() => {});
  const context = new AudioContext();
  await context.resume().catch(() => {});
  const source = context.createMediaStreamSource(stream);
  const analyser = context.createAnalyser();
  analyser.fftSize = 16384;
  analyser.smoothingTimeConstant = 0;
  source.connect(analyser);
  const quick = context.createAnalyser();
  quick.fftSize = 2048;
  quick.smoothingTimeConstant = 0;
  source.connect(quick);
  window.kefuAudio = { element, context, analyser, quick };
  return true;
}

/**
 * A baresip phone for a test: plays `wav` as its microphone, records what it hears
 * (DIR/rec/*-dec.wav), no auto answer; driven through its ctrl_tcp socket (netstrings of JSON).
 */
export class BaresipPhone {
  /** @param dir an empty directory of its own; @param user its SIP user (the caller's number). */
  constructor(dir, user, wav) {
    this.dir = dir;
    this.user = user;
    this.wav = wav;
    this.events = [];
    this.buffer = '';
    this.waiters = [];
    this.token = 0;
    this.exited = false;
  }

  /** Starts baresip and connects to its control port (within 10 s); throws when it cannot. */
  async start() {
    fs.mkdirSync(path.join(this.dir, 'rec'), { recursive: true });
    const sipPort = await freePortPair();
    const ctrlPort = await freePort();
    fs.writeFileSync(
      path.join(this.dir, 'config'),
      [
        'net_interface 127.0.0.1',
        `sip_listen 127.0.0.1:${sipPort}`,
        'audio_player aubridge,nil',
        'audio_alert aubridge,nil',
        `audio_source aufile,${this.wav}`,
        'module_path /usr/lib/baresip/modules',
        'module g711.so',
        'module aubridge.so',
        'module aufile.so',
        'module sndfile.so',
        `snd_path ${path.join(this.dir, 'rec')}`,
        'module_tmp account.so',
        'module_app menu.so',
        'module_app ctrl_tcp.so',
        `ctrl_tcp_listen 127.0.0.1:${ctrlPort}`,
        'statmode_default off',
        '',
      ].join('\n'),
    );
    fs.writeFileSync(
      path.join(this.dir, 'accounts'),
      `<sip:${this.user}@127.0.0.1:${sipPort}>;regint=0;audio_codecs=pcmu,pcma;answermode=manual\n`,
    );
    fs.writeFileSync(path.join(this.dir, 'contacts'), '');
    const log = fs.openSync(path.join(this.dir, 'baresip.log'), 'w');
    this.child = spawn('baresip', ['-f', this.dir], { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    this.child.on('exit', () => (this.exited = true));
    this.child.on('error', () => (this.exited = true));
    for (let i = 0; i < 200 && !this.socket; i++) {
      if (this.exited) break;
      this.socket = await new Promise((resolve) => {
        const socket = net.connect(ctrlPort, '127.0.0.1', () => resolve(socket));
        socket.once('error', () => resolve(null));
      });
      if (!this.socket) await sleep(50);
    }
    if (!this.socket) throw new Error(`baresip did not open its control port; see ${this.dir}/baresip.log`);
    this.socket.setEncoding('utf8');
    this.socket.on('data', (chunk) => this.received(chunk));
    this.socket.on('error', () => undefined);
  }

  /** Sends a control command (e.g. dial, hangup). */
  command(name, params = '') {
    const json = JSON.stringify({ command: name, params, token: `t${++this.token}` });
    this.socket?.write(`${Buffer.byteLength(json)}:${json},`);
  }

  /** @return the first event of `type` (seen before or within `timeout` ms), or null. */
  async event(type, timeout = 10000) {
    const seen = this.events.find((e) => e.type === type);
    if (seen) return seen;
    return new Promise((resolve) => {
      const waiter = { type, resolve };
      this.waiters.push(waiter);
      setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(null);
      }, timeout);
    });
  }

  /** Stops baresip (SIGKILL after 2 s), which closes its recordings; runs once. */
  async stop() {
    this.socket?.destroy();
    this.socket = null;
    if (this.child && !this.exited) {
      this.child.kill('SIGTERM');
      for (let i = 0; i < 100 && !this.exited; i++) await sleep(20);
      if (!this.exited) this.child.kill('SIGKILL');
    }
  }

  /** @return the recordings of what it heard (*-dec.wav), oldest first. */
  recordings() {
    const dir = path.join(this.dir, 'rec');
    return fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('-dec.wav'))
      .map((f) => path.join(dir, f))
      .sort((a, b) => fs.statSync(a).mtimeMs - fs.statSync(b).mtimeMs);
  }

  /** @return baresip's log. */
  log() {
    return fs.readFileSync(path.join(this.dir, 'baresip.log'), 'utf8');
  }

  received(chunk) {
    this.buffer += chunk;
    for (;;) {
      const colon = this.buffer.indexOf(':');
      if (colon < 0) return;
      const length = Number(this.buffer.slice(0, colon));
      // Lengths are in bytes; the control messages are ASCII JSON.
      if (this.buffer.length < colon + 1 + length + 1) return;
      const text = this.buffer.slice(colon + 1, colon + 1 + length);
      this.buffer = this.buffer.slice(colon + 1 + length + 1);
      let message = null;
      try {
        message = JSON.parse(text);
      } catch {
        continue;
      }
      if (!message.event) continue;
      this.events.push(message);
      for (const waiter of this.waiters.filter((w) => w.type === message.type)) {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.resolve(message);
      }
    }
  }
}

/** @return a port free for UDP and TCP whose next port is free too (baresip binds port + 1 for TLS). */
async function freePortPair() {
  const canBind = (port, udp) =>
    new Promise((resolve) => {
      if (udp) {
        import('node:dgram').then(({ default: dgram }) => {
          const socket = dgram.createSocket('udp4');
          socket.once('error', () => resolve(false));
          socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
        });
      } else {
        const server = net.createServer();
        server.once('error', () => resolve(false));
        server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
      }
    });
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await freePort();
    if (port < 65535 && (await canBind(port, true)) && (await canBind(port + 1, false)) && (await canBind(port + 1, true))) return port;
  }
  throw new Error('no free port pair for baresip');
}
