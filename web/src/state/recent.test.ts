import { describe, expect, it } from 'vitest';
import { addRecentCall, loadRecentCalls, RecentCallLimit } from './recent';

function store(initial?: string) {
  const data = new Map<string, string>(initial === undefined ? [] : [['kefu.recentCalls', initial]]);
  return { getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => void data.set(k, v) };
}

describe('recent calls', () => {
  it('keeps the newest first, once per call, up to the limit', () => {
    const s = store();
    for (let i = 0; i < RecentCallLimit + 5; i++) addRecentCall(s, { callId: `c${i}`, caller: null, endedAtMs: i, disposition: 'resolved', notes: '' });
    addRecentCall(s, { callId: 'c60', caller: '1', endedAtMs: 99, disposition: 'escalated', notes: 'again' });
    const list = loadRecentCalls(s);
    expect(list).toHaveLength(RecentCallLimit);
    expect(list[0]).toMatchObject({ callId: 'c60', disposition: 'escalated' });
    expect(list.filter((c) => c.callId === 'c60')).toHaveLength(1);
  });

  it('reads a damaged store as empty', () => {
    expect(loadRecentCalls(store('{not json'))).toEqual([]);
    expect(loadRecentCalls(store('{"a":1}'))).toEqual([]);
    expect(loadRecentCalls(store('[1, {"callId": "x"}]'))).toEqual([{ callId: 'x' }]);
  });
});
