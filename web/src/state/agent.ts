// The agent's routing state as the desktop shows it, and which state changes it offers.
import type { Agent, AgentStateName, Queue } from '../api';

/** What the desktop knows of its agent's state. */
export interface AgentState {
  state: AgentStateName | null;
  reason: string | null;
  /** When the state last changed (Unix ms), as the event said or as the answer came. */
  sinceMs: number | null;
  /** The time of the last event applied, to drop late ones. */
  lastEventMs: number;
}

/** Nothing known yet. */
export const UnknownAgentState: AgentState = { state: null, reason: null, sinceMs: null, lastEventMs: 0 };

/** The not-ready reasons offered (codes as the API takes them, `^[a-z0-9_]{1,32}$`). */
export const NotReadyReasons = ['break', 'lunch', 'training', 'meeting', 'after_call_work'] as const;

/** A change of the agent's state: an API answer or an `agent.state_changed` event. */
export interface AgentStateChange {
  agentId: string;
  state: AgentStateName;
  reason: string | null;
  /** When it changed (events) or when the answer came (API answers). */
  atMs: number;
  /** Events are ordered by their time; an API answer is the newest word on the agent. */
  fromEvent: boolean;
}

/** @return the state after `change`; changes of other agents, and events older than one applied, change nothing. */
export function agentReducer(current: AgentState, myAgentId: string, change: AgentStateChange): AgentState {
  if (change.agentId !== myAgentId) return current;
  if (change.fromEvent && change.atMs < current.lastEventMs) return current;
  const same = current.state === change.state && current.reason === change.reason;
  return {
    state: change.state,
    reason: change.state === 'not_ready' ? change.reason : null,
    sinceMs: same && current.sinceMs !== null ? current.sinceMs : change.atMs,
    lastEventMs: change.fromEvent ? change.atMs : current.lastEventMs,
  };
}

const StateNames: readonly AgentStateName[] = ['logged_out', 'ready', 'not_ready', 'reserved', 'busy', 'wrap_up'];

/** @return whether `value` is a state the routing engine reports. */
export function isAgentStateName(value: unknown): value is AgentStateName {
  return typeof value === 'string' && (StateNames as readonly string[]).includes(value);
}

/**
 * Reads an `agent.state_changed` stream message (`data`: agent_id, state, reason).
 * @return the change, or null for any other or malformed message
 */
export function agentChangeFromMessage(message: { type: string; at_ms?: unknown; data?: unknown }): AgentStateChange | null {
  if (message.type !== 'agent.state_changed') return null;
  const data = message.data;
  if (typeof data !== 'object' || data === null) return null;
  const d = data as Record<string, unknown>;
  if (typeof d.agent_id !== 'string' || !isAgentStateName(d.state)) return null;
  return {
    agentId: d.agent_id,
    state: d.state,
    reason: typeof d.reason === 'string' ? d.reason : null,
    atMs: typeof message.at_ms === 'number' ? message.at_ms : 0,
    fromEvent: true,
  };
}

/** The state buttons of the desktop. */
export interface StateControls {
  login: boolean;
  logout: boolean;
  ready: boolean;
  notReady: boolean;
}

/** @return which state changes make sense from `state` (the API refuses the others with 409). */
export function stateControls(state: AgentStateName | null): StateControls {
  switch (state) {
    case null:
      return { login: false, logout: false, ready: false, notReady: false };
    case 'logged_out':
      return { login: true, logout: false, ready: false, notReady: false };
    case 'ready':
      return { login: false, logout: true, ready: false, notReady: true };
    case 'not_ready':
      return { login: false, logout: true, ready: true, notReady: true };
    case 'reserved':
    case 'busy':
    case 'wrap_up':
      // Going not ready while busy is taken: the agent gets nothing new after this call.
      return { login: false, logout: false, ready: false, notReady: true };
  }
}

/** @return the queues whose every required skill the agent has at the minimum level or above. */
export function qualifiedQueues(agent: Agent, queues: readonly Queue[]): Queue[] {
  const levels = new Map(agent.skills.map((s) => [s.skill_id, s.level]));
  return queues.filter((q) => q.required_skills.every((r) => (levels.get(r.skill_id) ?? 0) >= r.min_level));
}
