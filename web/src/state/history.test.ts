import { describe, expect, it } from 'vitest';
import { HistoryCallLimit, HistoryEventLimit, recordCallEvent, type CallHistory } from './history';

const event = (callId: string, type: string, extra: Record<string, unknown> = {}) => ({
  type: `call.${type}`,
  id: callId,
  at_ms: 1_795_500_000_000,
  data: { call_id: callId, type, caller: null, queue_id: 'q_1', agent_id: null, target: null, cause: null, detail: null, ...extra },
});

describe('call history from the stream', () => {
  it('keeps each call\'s events in order, with their targets and causes', () => {
    const h: CallHistory = new Map();
    recordCallEvent(h, event('c1', 'created'));
    recordCallEvent(h, event('c1', 'ringing', { agent_id: 'ag_2', target: 'extension:1002' }));
    recordCallEvent(h, event('c2', 'created'));
    recordCallEvent(h, event('c1', 'transferred', { target: 'queue:q_2' }));
    expect(h.get('c1')?.map((e) => `${e.type} ${e.target ?? ''}`.trim())).toEqual(['created', 'ringing extension:1002', 'transferred queue:q_2']);
    expect(h.get('c1')?.[0]?.at).toBe(new Date(1_795_500_000_000).toISOString());
    expect(h.get('c2')).toHaveLength(1);
  });

  it('ignores other messages', () => {
    const h: CallHistory = new Map();
    expect(recordCallEvent(h, { type: 'agent.state_changed', data: { agent_id: 'a' } })).toBe(false);
    expect(recordCallEvent(h, { type: 'call.created', data: {} })).toBe(false);
    expect(h.size).toBe(0);
  });

  it('forgets the oldest calls and caps each call\'s events', () => {
    const h: CallHistory = new Map();
    for (let i = 0; i < HistoryCallLimit + 10; i++) recordCallEvent(h, event(`c${i}`, 'created'));
    expect(h.size).toBe(HistoryCallLimit);
    expect(h.has('c0')).toBe(false);
    expect(h.has(`c${HistoryCallLimit + 9}`)).toBe(true);
    for (let i = 0; i < HistoryEventLimit + 5; i++) recordCallEvent(h, event('c50', 'dtmf'));
    expect(h.get('c50')).toHaveLength(HistoryEventLimit);
  });
});
