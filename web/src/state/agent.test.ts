import { describe, expect, it } from 'vitest';
import type { Agent, Queue } from '../api';
import { agentChangeFromMessage, agentReducer, qualifiedQueues, stateControls, UnknownAgentState, type AgentStateChange } from './agent';

const Me = 'ag_me';
const change = (state: AgentStateChange['state'], atMs: number, fromEvent = true, reason: string | null = null): AgentStateChange => ({
  agentId: Me,
  state,
  reason,
  atMs,
  fromEvent,
});

describe('agent state', () => {
  it('follows its own agent and keeps the time the state began', () => {
    let s = agentReducer(UnknownAgentState, Me, change('ready', 100));
    expect(s).toMatchObject({ state: 'ready', sinceMs: 100 });
    s = agentReducer(s, Me, change('ready', 150));
    expect(s.sinceMs).toBe(100);
    s = agentReducer(s, Me, change('not_ready', 200, true, 'break'));
    expect(s).toMatchObject({ state: 'not_ready', reason: 'break', sinceMs: 200 });
    expect(agentReducer(s, Me, { ...change('busy', 300), agentId: 'ag_other' })).toBe(s);
  });

  it('drops an event older than one applied, but takes an API answer', () => {
    let s = agentReducer(UnknownAgentState, Me, change('busy', 500));
    expect(agentReducer(s, Me, change('ready', 400))).toBe(s);
    s = agentReducer(s, Me, change('wrap_up', 450, false));
    expect(s.state).toBe('wrap_up');
  });

  it('keeps a reason only while not ready', () => {
    const s = agentReducer(UnknownAgentState, Me, change('ready', 1, true, 'break'));
    expect(s.reason).toBeNull();
  });

  it('reads agent.state_changed and refuses malformed ones', () => {
    expect(agentChangeFromMessage({ type: 'agent.state_changed', at_ms: 9, data: { agent_id: 'a', state: 'not_ready', reason: 'lunch' } })).toEqual({
      agentId: 'a',
      state: 'not_ready',
      reason: 'lunch',
      atMs: 9,
      fromEvent: true,
    });
    expect(agentChangeFromMessage({ type: 'agent.state_changed', data: { agent_id: 'a', state: 'dancing' } })).toBeNull();
    expect(agentChangeFromMessage({ type: 'agent.state_changed', data: null })).toBeNull();
    expect(agentChangeFromMessage({ type: 'agent.updated', data: { agent_id: 'a', state: 'ready' } })).toBeNull();
  });

  it('offers the state changes the routing engine accepts', () => {
    expect(stateControls('logged_out')).toEqual({ login: true, logout: false, ready: false, notReady: false });
    expect(stateControls('ready')).toEqual({ login: false, logout: true, ready: false, notReady: true });
    expect(stateControls('not_ready').ready).toBe(true);
    expect(stateControls('busy')).toEqual({ login: false, logout: false, ready: false, notReady: true });
    expect(stateControls(null)).toEqual({ login: false, logout: false, ready: false, notReady: false });
  });

  it('lists the queues whose every required skill the agent has at the level', () => {
    const agent = { skills: [{ skill_id: 'sk_zh', level: 6 }, { skill_id: 'sk_card', level: 2 }] } as Agent;
    const queue = (id: string, required: { skill_id: string; min_level: number }[]) => ({ id, name: id, required_skills: required }) as Queue;
    const queues = [
      queue('general', [{ skill_id: 'sk_zh', min_level: 3 }]),
      queue('cards', [{ skill_id: 'sk_zh', min_level: 3 }, { skill_id: 'sk_card', min_level: 5 }]),
      queue('loans', [{ skill_id: 'sk_loan', min_level: 1 }]),
      queue('open', []),
    ];
    expect(qualifiedQueues(agent, queues).map((q) => q.id)).toEqual(['general', 'open']);
  });
});
