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
  | { type: 'message'; message: StreamMessage };

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
    case 'live': {
      const tile = state.queues[action.live.queue_id];
      if (!tile) return state;
      return { ...state, queues: { ...state.queues, [tile.id]: { ...tile, live: action.live } } };
    }
    case 'message': {
      const next = applyMessage(state, action.message);
      const seq = typeof action.message.seq === 'number' ? action.message.seq : state.lastSeq;
      return next === state && seq === state.lastSeq ? state : { ...next, lastSeq: Math.max(seq, state.lastSeq) };
    }
  }
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
