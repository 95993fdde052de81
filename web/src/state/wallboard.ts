// The supervisor wallboard's data: queues with their live figures, agents with their states and
// calls, kept current from the event stream; and the totals over the queues shown. Pure.
import type { Agent, AgentStateName, Queue, QueueInterval, QueueLive } from '../api';
import { agentChangeFromMessage } from './agent';
import type { StreamMessage } from './call';

/** One agent's row. */
export interface AgentRow {
  id: string;
  name: string;
  extension: string;
  state: AgentStateName | null;
  reason: string | null;
  sinceMs: number | null;
  /** The call the agent is alerted for or talks on, for monitoring. */
  callId: string | null;
}

/** One queue's tile. */
export interface QueueTile {
  id: string;
  name: string;
  live: QueueLive | null;
}

/** Everything the wallboard shows. */
export interface WallboardState {
  queues: Record<string, QueueTile>;
  agents: Record<string, AgentRow>;
  /** The stream sequence number of the last message applied. */
  lastSeq: number;
}

/** Nothing loaded. */
export const EmptyWallboard: WallboardState = { queues: {}, agents: {}, lastSeq: 0 };

/** What changes the wallboard. */
export type WallboardAction =
  | { type: 'queues'; queues: readonly Queue[] }
  | { type: 'agents'; agents: readonly Agent[] }
  | { type: 'agent_state'; agentId: string; state: AgentStateName; reason: string | null; atMs: number }
  | { type: 'live'; live: QueueLive }
  /** Several queues' figures read together, applied as one update. */
  | { type: 'lives'; lives: readonly QueueLive[] }
  | { type: 'message'; message: StreamMessage }
  /** Several actions gathered over one frame, applied as one update. */
  | { type: 'batch'; actions: readonly WallboardAction[] };

/** @return `value[key]` when it is a string, else null. */
function str(value: unknown, key: string): string | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = (value as Record<string, unknown>)[key];
  return typeof v === 'string' ? v : null;
}

function rowOf(agent: Agent, before: AgentRow | undefined): AgentRow {
  return {
    id: agent.id,
    name: agent.name,
    extension: agent.extension,
    state: before?.state ?? null,
    reason: before?.reason ?? null,
    sinceMs: before?.sinceMs ?? null,
    callId: before?.callId ?? null,
  };
}

function withAgentState(
  state: WallboardState,
  agentId: string,
  next: AgentStateName,
  reason: string | null,
  atMs: number,
): WallboardState {
  const row = state.agents[agentId];
  if (!row) return state;
  if (row.sinceMs !== null && atMs < row.sinceMs) return state;
  const changed = row.state !== next || row.reason !== reason;
  return {
    ...state,
    agents: {
      ...state.agents,
      [agentId]: {
        ...row,
        state: next,
        reason: next === 'not_ready' ? reason : null,
        sinceMs: changed || row.sinceMs === null ? atMs : row.sinceMs,
        // An agent back to ready or logged out holds no call any more.
        callId: next === 'ready' || next === 'logged_out' || next === 'not_ready' ? null : row.callId,
      },
    },
  };
}

function applyMessage(state: WallboardState, message: StreamMessage): WallboardState {
  const data = message.data;
  const id = message.id ?? str(data, 'id');
  const change = agentChangeFromMessage(message);
  if (change) return withAgentState(state, change.agentId, change.state, change.reason, change.atMs);
  switch (message.type) {
    case 'agent.created':
    case 'agent.updated': {
      const agent = data as Agent | undefined;
      if (!agent || typeof agent.id !== 'string') return state;
      return { ...state, agents: { ...state.agents, [agent.id]: rowOf(agent, state.agents[agent.id]) } };
    }
    case 'agent.deleted': {
      if (!id || !state.agents[id]) return state;
      const agents = { ...state.agents };
      delete agents[id];
      return { ...state, agents };
    }
    case 'queue.created':
    case 'queue.updated': {
      const queue = data as Queue | undefined;
      if (!queue || typeof queue.id !== 'string') return state;
      const before = state.queues[queue.id];
      return { ...state, queues: { ...state.queues, [queue.id]: { id: queue.id, name: queue.name, live: before?.live ?? null } } };
    }
    case 'queue.deleted': {
      if (!id || !state.queues[id]) return state;
      const queues = { ...state.queues };
      delete queues[id];
      return { ...state, queues };
    }
    case 'call.ringing':
    case 'call.answered': {
      const agentId = str(data, 'agent_id');
      const callId = str(data, 'call_id') ?? id;
      const row = agentId ? state.agents[agentId] : undefined;
      if (!row || !callId) return state;
      return { ...state, agents: { ...state.agents, [row.id]: { ...row, callId } } };
    }
    case 'call.ended':
    case 'call.transferred': {
      const callId = str(data, 'call_id') ?? id;
      if (!callId) return state;
      let agents = state.agents;
      for (const row of Object.values(state.agents)) {
        if (row.callId === callId) agents = { ...agents, [row.id]: { ...row, callId: null } };
      }
      return agents === state.agents ? state : { ...state, agents };
    }
    default:
      return state;
  }
}

/** @return whether two plain values (numbers, strings, null, records of them) are equal. */
function samePlain(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  let keys = 0;
  for (const key in ra) {
    keys++;
    if (!(key in rb) || !samePlain(ra[key], rb[key])) return false;
  }
  return keys === Object.keys(rb).length;
}

/** @return whether two queues' live figures are the same (compared without serialising them). */
function sameLive(a: QueueLive | null, b: QueueLive): boolean {
  return a !== null && samePlain(a, b);
}

/**
 * @return the wallboard with `lives` applied; a tile whose figures did not change keeps its
 * object (so its memoised view does not re-render), and nothing changed returns `state` itself
 */
function withLives(state: WallboardState, lives: readonly QueueLive[]): WallboardState {
  let queues: Record<string, QueueTile> | null = null;
  for (const live of lives) {
    const tile = (queues ?? state.queues)[live.queue_id];
    if (!tile || sameLive(tile.live, live)) continue;
    queues ??= { ...state.queues };
    queues[tile.id] = { ...tile, live };
  }
  return queues ? { ...state, queues } : state;
}

/**
 * @return the wallboard after `actions` in order. Agent state changes, the bulk of a busy
 * stream, are written into one copy of the agents map instead of a copy per change (a copy of
 * 500 rows per event was milliseconds per batch); anything else goes through the reducer.
 */
function applyBatch(state: WallboardState, actions: readonly WallboardAction[]): WallboardState {
  let base = state;
  let agents: Record<string, AgentRow> | null = null;
  let lastSeq = state.lastSeq;
  const settle = (): WallboardState => {
    const next = agents || lastSeq !== base.lastSeq ? { ...base, agents: agents ?? base.agents, lastSeq } : base;
    agents = null;
    return next;
  };
  for (const action of actions) {
    const change = action.type === 'message' ? agentChangeFromMessage(action.message) : null;
    if (action.type !== 'message' || !change) {
      base = wallboardReducer(settle(), action);
      lastSeq = base.lastSeq;
      continue;
    }
    if (typeof action.message.seq === 'number') lastSeq = Math.max(lastSeq, action.message.seq);
    const current = agents ?? base.agents;
    const single: WallboardState = { queues: base.queues, agents: { [change.agentId]: current[change.agentId] } as Record<string, AgentRow>, lastSeq };
    if (!current[change.agentId]) continue;
    const after = withAgentState(single, change.agentId, change.state, change.reason, change.atMs);
    if (after === single) continue;
    agents ??= { ...base.agents };
    agents[change.agentId] = after.agents[change.agentId] as AgentRow;
  }
  return settle();
}

/** @return the wallboard after `action`. */
export function wallboardReducer(state: WallboardState, action: WallboardAction): WallboardState {
  switch (action.type) {
    case 'queues': {
      const queues: Record<string, QueueTile> = {};
      for (const q of action.queues) queues[q.id] = { id: q.id, name: q.name, live: state.queues[q.id]?.live ?? null };
      return { ...state, queues };
    }
    case 'agents': {
      const agents: Record<string, AgentRow> = {};
      for (const a of action.agents) agents[a.id] = rowOf(a, state.agents[a.id]);
      return { ...state, agents };
    }
    case 'agent_state':
      // A snapshot read while events flowed may be older than them: it only fills in the unknown.
      if (state.agents[action.agentId]?.state !== null) return state;
      return withAgentState(state, action.agentId, action.state, action.reason, action.atMs);
    case 'live':
      return withLives(state, [action.live]);
    case 'lives':
      return withLives(state, action.lives);
    case 'batch':
      return applyBatch(state, action.actions);
    case 'message': {
      const next = applyMessage(state, action.message);
      const seq = typeof action.message.seq === 'number' ? action.message.seq : state.lastSeq;
      return next === state && seq === state.lastSeq ? state : { ...next, lastSeq: Math.max(seq, state.lastSeq) };
    }
  }
}

/** Schedules `callback` once (e.g. at the next animation frame); returns a cancel function. */
export type FrameScheduler = (callback: () => void) => () => void;

/**
 * Gathers items and hands them to `flush` together, at most once per scheduled tick: the first
 * item of a batch schedules the tick, later ones join it. The wallboard pushes stream messages
 * here so that a burst of hundreds of agent state changes costs one React update per frame.
 */
export class Batcher<T> {
  private items_: T[] = [];
  private cancel_: (() => void) | null = null;

  /** @param flush gets every item pushed since the last flush, in order (never empty). */
  constructor(
    private readonly schedule_: FrameScheduler,
    private readonly flush_: (items: T[]) => void,
  ) {}

  /** Adds `item` to the batch, scheduling a flush when none is pending. */
  push(item: T): void {
    this.items_.push(item);
    if (this.cancel_ !== null) return;
    this.cancel_ = this.schedule_(() => this.flushNow());
  }

  /** Hands the pending items over now (nothing when none). */
  flushNow(): void {
    if (this.cancel_ !== null) this.cancel_();
    this.cancel_ = null;
    if (this.items_.length === 0) return;
    const items = this.items_;
    this.items_ = [];
    this.flush_(items);
  }

  /** Drops the pending items and the scheduled flush (on unmount). */
  dispose(): void {
    if (this.cancel_ !== null) this.cancel_();
    this.cancel_ = null;
    this.items_ = [];
  }

  /** @return how many items wait for the next flush. */
  get pending(): number {
    return this.items_.length;
  }
}

/** What the wallboard knows when it picks the queues whose live figures to read this second. */
export interface LiveReadInput {
  /** Every queue shown. */
  all: readonly string[];
  /** The queues whose tiles are on screen now. */
  visible: ReadonlySet<string>;
  /** The queues a stream message named since the last read (calls, interactions). */
  touched: ReadonlySet<string>;
  /** Whether every queue is due (a full refresh). */
  full: boolean;
  /** The tiles as shown (a queue with calls waiting has a longest wait that grows). */
  queues: Readonly<Record<string, QueueTile>>;
}

/**
 * @return the queues to read this second, in the order of `all`: every queue on a full refresh;
 * else those on screen (their ready / staffed counts move with every agent change), those with
 * calls waiting (the longest wait grows), those a stream message named (a call or interaction
 * changed their figures) and those never read. An off-screen queue with no such news changes
 * only its tile's ready / staffed counts, which nobody sees until the next full refresh.
 */
export function liveReadSet({ all, visible, touched, full, queues }: LiveReadInput): string[] {
  if (full) return [...all];
  return all.filter((id) => {
    const live = queues[id]?.live;
    return visible.has(id) || touched.has(id) || !live || live.waiting > 0;
  });
}

/** Schedules `next` after a pause (e.g. a timer); returns a cancel function. */
export type SliceScheduler = (next: () => void) => () => void;

/**
 * Starts `read` for `ids` a slice of `perSlice` at a time, the first slice at once and each next
 * one when `schedule` calls back: starting every read in one task holds the page's main thread
 * for tens of milliseconds. @return the answers in the order of `ids` (when all are in), and a
 * function that stops starting further slices (the answers then never settle).
 */
export function readInSlices<T>(
  ids: readonly string[],
  read: (id: string) => Promise<T>,
  perSlice: number,
  schedule: SliceScheduler,
): { answers: Promise<T[]>; cancel: () => void } {
  const reads: Promise<T>[] = [];
  let cancelNext: (() => void) | null = null;
  let cancelled = false;
  const answers = new Promise<T[]>((resolve, reject) => {
    let next = 0;
    const slice = () => {
      cancelNext = null;
      if (cancelled) return;
      const end = Math.min(ids.length, next + Math.max(1, perSlice));
      for (; next < end; next++) reads.push(read(ids[next] as string));
      if (next < ids.length) cancelNext = schedule(slice);
      else Promise.all(reads).then(resolve, reject);
    };
    slice();
  });
  return {
    answers,
    cancel: () => {
      cancelled = true;
      cancelNext?.();
      cancelNext = null;
    },
  };
}

/** @return the batch action for stream `messages`, to dispatch as one update. */
export function messagesAction(messages: readonly StreamMessage[]): WallboardAction {
  return { type: 'batch', actions: messages.map((message) => ({ type: 'message', message }) as const) };
}

/**
 * @return the queues whose live figures a stream message may have changed (routing and call
 * events name their queue), so the wallboard re-reads them at once instead of at the next tick
 */
export function queuesTouchedBy(message: StreamMessage): string[] {
  if (!message.type.startsWith('interaction.') && !message.type.startsWith('call.') && message.type !== 'agent.state_changed') {
    return [];
  }
  const queueId = str(message.data, 'queue_id');
  // An agent's state changes staffed/ready counts of every queue it qualifies for.
  if (message.type === 'agent.state_changed') return ['*'];
  return queueId ? [queueId] : [];
}

/** The figures over several queues. */
export interface Totals {
  waiting: number;
  longestWaitMs: number;
  offered: number;
  answered: number;
  abandoned: number;
  /** Answered-weighted, as the per-queue figures are per answered call; null with nothing answered. */
  serviceLevel: number | null;
  asaMs: number | null;
  ahtMs: number | null;
}

/** @return the totals over `tiles` that have live figures. */
export function totalsOf(tiles: readonly QueueTile[]): Totals {
  let waiting = 0;
  let longestWaitMs = 0;
  let offered = 0;
  let answered = 0;
  let abandoned = 0;
  let slWeight = 0;
  let slSum = 0;
  let asaSum = 0;
  let asaWeight = 0;
  let ahtSum = 0;
  let ahtWeight = 0;
  for (const tile of tiles) {
    const live = tile.live;
    if (!live) continue;
    const t = live.today;
    waiting += live.waiting;
    longestWaitMs = Math.max(longestWaitMs, live.longest_wait_ms);
    offered += t.offered;
    answered += t.answered;
    abandoned += t.abandoned;
    // Service level is answered-in-time over answered plus long abandons: weigh by both.
    const slBase = t.answered + t.abandoned;
    if (t.service_level !== null && slBase > 0) {
      slSum += t.service_level * slBase;
      slWeight += slBase;
    }
    if (t.average_speed_of_answer_ms !== null && t.answered > 0) {
      asaSum += t.average_speed_of_answer_ms * t.answered;
      asaWeight += t.answered;
    }
    if (t.average_handle_ms !== null && t.answered > 0) {
      ahtSum += t.average_handle_ms * t.answered;
      ahtWeight += t.answered;
    }
  }
  return {
    waiting,
    longestWaitMs,
    offered,
    answered,
    abandoned,
    serviceLevel: slWeight > 0 ? slSum / slWeight : null,
    asaMs: asaWeight > 0 ? asaSum / asaWeight : null,
    ahtMs: ahtWeight > 0 ? ahtSum / ahtWeight : null,
  };
}

/** @return how many agents are in each state (agents of unknown state apart). */
export function stateCounts(rows: readonly AgentRow[]): Record<AgentStateName, number> {
  const counts: Record<AgentStateName, number> = { logged_out: 0, ready: 0, not_ready: 0, reserved: 0, busy: 0, wrap_up: 0 };
  for (const row of rows) if (row.state) counts[row.state] += 1;
  return counts;
}

/** One point of the wallboard charts: the queues' intervals summed. */
export interface ChartPoint {
  startMs: number;
  offered: number;
  answered: number;
  abandoned: number;
  serviceLevel: number | null;
}

/** @return the intervals of several queues summed by start time, oldest first. */
export function mergeIntervals(perQueue: readonly (readonly QueueInterval[])[]): ChartPoint[] {
  const byStart = new Map<number, { offered: number; answered: number; abandoned: number; within: number; slBase: number }>();
  for (const intervals of perQueue) {
    for (const i of intervals) {
      const p = byStart.get(i.start_ms) ?? { offered: 0, answered: 0, abandoned: 0, within: 0, slBase: 0 };
      p.offered += i.offered;
      p.answered += i.answered;
      p.abandoned += i.abandoned;
      p.within += i.answered_within_threshold;
      p.slBase += i.answered + i.abandoned - i.short_abandoned;
      byStart.set(i.start_ms, p);
    }
  }
  return [...byStart.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([startMs, p]) => ({
      startMs,
      offered: p.offered,
      answered: p.answered,
      abandoned: p.abandoned,
      serviceLevel: p.slBase > 0 ? p.within / p.slBase : null,
    }));
}
