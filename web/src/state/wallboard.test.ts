import { describe, expect, it } from 'vitest';
import type { Agent, Queue, QueueInterval, QueueLive } from '../api';
import { Batcher, EmptyWallboard, liveReadSet, mergeIntervals, messagesAction, queuesTouchedBy, readInSlices, stateCounts, totalsOf, wallboardReducer, type QueueTile, type WallboardAction, type WallboardState } from './wallboard';

const agent = (id: string, extension: string) => ({ id, name: `Agent ${extension}`, extension, user_id: null, skills: [] }) as unknown as Agent;
const queue = (id: string, name: string) => ({ id, name, required_skills: [] }) as unknown as Queue;
const live = (queueId: string, over: Partial<Omit<QueueLive, 'today'>> & { today?: Partial<QueueLive['today']> } = {}): QueueLive => ({
  queue_id: queueId,
  waiting: 0,
  callbacks_pending: 0,
  longest_wait_ms: 0,
  agents_staffed: 0,
  agents_ready: 0,
  ...over,
  today: {
    offered: 0,
    answered: 0,
    abandoned: 0,
    overflowed: 0,
    service_level: null,
    abandon_rate: null,
    average_speed_of_answer_ms: null,
    average_handle_ms: null,
    ...over.today,
  },
});

function loaded(): WallboardState {
  const actions: WallboardAction[] = [
    { type: 'queues', queues: [queue('q_a', 'general'), queue('q_b', 'loans')] },
    { type: 'agents', agents: [agent('ag_1', '1001'), agent('ag_2', '1002')] },
  ];
  return actions.reduce(wallboardReducer, EmptyWallboard);
}

describe('wallboard', () => {
  it('shows an agent state change from the stream and counts states', () => {
    let s = loaded();
    s = wallboardReducer(s, { type: 'message', message: { type: 'agent.state_changed', seq: 4, id: 'ag_1', at_ms: 10, data: { agent_id: 'ag_1', state: 'ready', reason: null } } });
    expect(s.agents.ag_1).toMatchObject({ state: 'ready', sinceMs: 10 });
    expect(s.lastSeq).toBe(4);
    s = wallboardReducer(s, { type: 'message', message: { type: 'agent.state_changed', seq: 5, at_ms: 20, data: { agent_id: 'ag_2', state: 'not_ready', reason: 'break' } } });
    expect(stateCounts(Object.values(s.agents))).toMatchObject({ ready: 1, not_ready: 1, busy: 0 });
  });

  it('lets a state read before the stream fill in the unknown but not override an event', () => {
    let s = loaded();
    s = wallboardReducer(s, { type: 'message', message: { type: 'agent.state_changed', at_ms: 10, data: { agent_id: 'ag_1', state: 'busy', reason: null } } });
    s = wallboardReducer(s, { type: 'agent_state', agentId: 'ag_1', state: 'ready', reason: null, atMs: 0 });
    expect(s.agents.ag_1?.state).toBe('busy');
    s = wallboardReducer(s, { type: 'agent_state', agentId: 'ag_2', state: 'logged_out', reason: null, atMs: 0 });
    expect(s.agents.ag_2?.state).toBe('logged_out');
  });

  it('knows which call an agent is on, for monitoring, until it ends', () => {
    let s = loaded();
    s = wallboardReducer(s, { type: 'message', message: { type: 'call.answered', id: 'call_7', data: { call_id: 'call_7', agent_id: 'ag_2' } } });
    expect(s.agents.ag_2?.callId).toBe('call_7');
    s = wallboardReducer(s, { type: 'message', message: { type: 'call.ended', id: 'call_7', data: { call_id: 'call_7', agent_id: null } } });
    expect(s.agents.ag_2?.callId).toBeNull();
  });

  it('adds, renames and removes agents and queues from their events', () => {
    let s = loaded();
    s = wallboardReducer(s, { type: 'message', message: { type: 'agent.created', data: agent('ag_3', '1003') } });
    s = wallboardReducer(s, { type: 'message', message: { type: 'queue.updated', data: queue('q_a', 'general-renamed') } });
    s = wallboardReducer(s, { type: 'message', message: { type: 'agent.deleted', id: 'ag_1', data: { id: 'ag_1' } } });
    s = wallboardReducer(s, { type: 'message', message: { type: 'queue.deleted', id: 'q_b', data: { id: 'q_b' } } });
    expect(Object.keys(s.agents).sort()).toEqual(['ag_2', 'ag_3']);
    expect(Object.values(s.queues).map((q) => q.name)).toEqual(['general-renamed']);
  });

  it('keeps live figures of known queues only', () => {
    let s = loaded();
    s = wallboardReducer(s, { type: 'live', live: live('q_a', { waiting: 3 }) });
    s = wallboardReducer(s, { type: 'live', live: live('q_zzz', { waiting: 9 }) });
    expect(s.queues.q_a?.live?.waiting).toBe(3);
    expect(s.queues.q_zzz).toBeUndefined();
  });

  it('weighs the totals by the calls behind each figure', () => {
    const tiles: QueueTile[] = [
      { id: 'q_a', name: 'a', live: live('q_a', { waiting: 2, longest_wait_ms: 40_000, today: { offered: 10, answered: 8, abandoned: 2, service_level: 0.5, average_speed_of_answer_ms: 10_000, average_handle_ms: 100_000 } }) },
      { id: 'q_b', name: 'b', live: live('q_b', { waiting: 1, longest_wait_ms: 5_000, today: { offered: 30, answered: 30, abandoned: 0, service_level: 1, average_speed_of_answer_ms: 2_000, average_handle_ms: 200_000 } }) },
      { id: 'q_c', name: 'c', live: null },
    ];
    const t = totalsOf(tiles);
    expect(t).toMatchObject({ waiting: 3, longestWaitMs: 40_000, offered: 40, answered: 38, abandoned: 2 });
    expect(t.serviceLevel).toBeCloseTo((0.5 * 10 + 1 * 30) / 40);
    expect(t.asaMs).toBeCloseTo((10_000 * 8 + 2_000 * 30) / 38);
    expect(t.ahtMs).toBeCloseTo((100_000 * 8 + 200_000 * 30) / 38);
    expect(totalsOf([]).serviceLevel).toBeNull();
  });

  it('sums queue intervals by start for the charts', () => {
    const interval = (start: number, offered: number, answered: number, within: number, abandoned: number, shortAbandoned: number) =>
      ({ start_ms: start, end_ms: start + 900_000, offered, answered, answered_within_threshold: within, abandoned, short_abandoned: shortAbandoned }) as QueueInterval;
    const points = mergeIntervals([
      [interval(900_000, 4, 3, 2, 1, 1), interval(0, 0, 0, 0, 0, 0)],
      [interval(900_000, 6, 5, 5, 1, 0)],
    ]);
    expect(points.map((p) => p.startMs)).toEqual([0, 900_000]);
    expect(points[0]?.serviceLevel).toBeNull();
    expect(points[1]).toMatchObject({ offered: 10, answered: 8, abandoned: 2 });
    // (2 + 5) within threshold over (8 answered + 1 long abandon).
    expect(points[1]?.serviceLevel).toBeCloseTo(7 / 9);
  });

  it('names the queues an event may have changed', () => {
    expect(queuesTouchedBy({ type: 'interaction.queued', data: { queue_id: 'q_a' } })).toEqual(['q_a']);
    expect(queuesTouchedBy({ type: 'call.answered', data: { queue_id: 'q_b' } })).toEqual(['q_b']);
    expect(queuesTouchedBy({ type: 'agent.state_changed', data: { agent_id: 'x' } })).toEqual(['*']);
    expect(queuesTouchedBy({ type: 'skill.updated', data: {} })).toEqual([]);
  });
});

describe('wallboard batching', () => {
  /** A scheduler whose ticks the test fires by hand. */
  function manualScheduler() {
    const callbacks: (() => void)[] = [];
    let cancelled = 0;
    const schedule = (callback: () => void) => {
      callbacks.push(callback);
      return () => {
        cancelled += 1;
      };
    };
    return { schedule, callbacks, cancelled: () => cancelled };
  }

  it('hands a burst over in one flush at the next tick, in order', () => {
    const s = manualScheduler();
    const flushed: number[][] = [];
    const batcher = new Batcher<number>(s.schedule, (items) => flushed.push(items));
    for (let i = 0; i < 300; i += 1) batcher.push(i);
    expect(s.callbacks).toHaveLength(1);
    expect(flushed).toHaveLength(0);
    s.callbacks[0]?.();
    expect(flushed).toEqual([Array.from({ length: 300 }, (_, i) => i)]);
    batcher.push(300);
    expect(s.callbacks).toHaveLength(2);
    s.callbacks[1]?.();
    expect(flushed).toEqual([Array.from({ length: 300 }, (_, i) => i), [300]]);
  });

  it('flushes nothing when empty and drops its batch when disposed', () => {
    const s = manualScheduler();
    const flushed: string[][] = [];
    const batcher = new Batcher<string>(s.schedule, (items) => flushed.push(items));
    batcher.flushNow();
    expect(flushed).toHaveLength(0);
    batcher.push('a');
    batcher.dispose();
    expect(s.cancelled()).toBe(1);
    expect(batcher.pending).toBe(0);
    batcher.flushNow();
    expect(flushed).toHaveLength(0);
  });

  it('applies a batch of state changes as the same changes one by one, keeping untouched rows', () => {
    const start = wallboardReducer(loaded(), { type: 'agents', agents: [agent('ag_1', '1001'), agent('ag_2', '1002'), agent('ag_3', '1003')] });
    const messages = [
      { type: 'agent.state_changed', seq: 10, at_ms: 1000, data: { agent_id: 'ag_1', state: 'not_ready', reason: 'break' } },
      { type: 'agent.state_changed', seq: 11, at_ms: 2000, data: { agent_id: 'ag_1', state: 'ready', reason: null } },
      { type: 'agent.state_changed', seq: 12, at_ms: 3000, data: { agent_id: 'ag_2', state: 'not_ready', reason: 'lunch' } },
    ];
    let oneByOne = start;
    for (const message of messages) oneByOne = wallboardReducer(oneByOne, { type: 'message', message });
    const batched = wallboardReducer(start, messagesAction(messages));
    expect(batched).toEqual(oneByOne);
    expect(batched.agents.ag_1).toMatchObject({ state: 'ready', sinceMs: 2000 });
    expect(batched.agents.ag_2).toMatchObject({ state: 'not_ready', reason: 'lunch' });
    expect(batched.lastSeq).toBe(12);
    // A row no event named keeps its object, so its memoised card does not re-render.
    expect(batched.agents.ag_3).toBe(start.agents.ag_3);
  });

  it('applies a batch mixing other events with state changes in their order', () => {
    const start = wallboardReducer(loaded(), { type: 'agents', agents: [agent('ag_1', '1001'), agent('ag_2', '1002'), agent('ag_3', '1003')] });
    const messages = [
      { type: 'agent.state_changed', seq: 20, at_ms: 100, data: { agent_id: 'ag_3', state: 'ready', reason: null } },
      { type: 'agent.deleted', seq: 21, id: 'ag_3', data: { id: 'ag_3' } },
      { type: 'agent.state_changed', seq: 22, at_ms: 200, data: { agent_id: 'ag_3', state: 'busy', reason: null } },
      { type: 'agent.created', seq: 23, data: { id: 'ag_4', name: 'Agent 1004', extension: '1004', user_id: null, skills: [] } },
      { type: 'agent.state_changed', seq: 24, at_ms: 300, data: { agent_id: 'ag_4', state: 'not_ready', reason: 'break' } },
      { type: 'agent.state_changed', seq: 25, at_ms: 400, data: { agent_id: 'ag_1', state: 'ready', reason: null } },
    ];
    let oneByOne = start;
    for (const message of messages) oneByOne = wallboardReducer(oneByOne, { type: 'message', message });
    const batched = wallboardReducer(start, messagesAction(messages));
    expect(batched).toEqual(oneByOne);
    expect(batched.agents.ag_3).toBeUndefined();
    expect(batched.agents.ag_4).toMatchObject({ state: 'not_ready', reason: 'break', sinceMs: 300 });
    expect(batched.agents.ag_1?.state).toBe('ready');
    expect(batched.lastSeq).toBe(25);
    expect(start.agents.ag_1?.state).toBeNull();
  });

  it('applies all queues\' figures as one update and keeps tiles whose figures did not change', () => {
    const start = wallboardReducer(loaded(), { type: 'lives', lives: [live('q_a', { waiting: 1 }), live('q_b', { waiting: 2 })] });
    expect(start.queues.q_a?.live?.waiting).toBe(1);
    expect(start.queues.q_b?.live?.waiting).toBe(2);
    const next = wallboardReducer(start, { type: 'lives', lives: [live('q_a', { waiting: 1 }), live('q_b', { waiting: 5 }), live('q_gone')] });
    expect(next.queues.q_a).toBe(start.queues.q_a);
    expect(next.queues.q_b?.live?.waiting).toBe(5);
    expect(next.queues.q_gone).toBeUndefined();
    expect(wallboardReducer(next, { type: 'lives', lives: [live('q_a', { waiting: 1 }), live('q_b', { waiting: 5 })] })).toBe(next);
    // A change deep in today's figures, or a null becoming a number, is a change.
    const answered = wallboardReducer(next, { type: 'lives', lives: [live('q_a', { waiting: 1, today: { answered: 1, service_level: 1 } })] });
    expect(answered.queues.q_a?.live?.today).toMatchObject({ answered: 1, service_level: 1 });
    expect(answered.queues.q_b).toBe(next.queues.q_b);
  });

  it('starts reads a slice at a time and answers in the order of the ids', async () => {
    const started: string[] = [];
    const ticks: (() => void)[] = [];
    const ids = ['q1', 'q2', 'q3', 'q4', 'q5'];
    const { answers } = readInSlices(ids, async (id) => {
      started.push(id);
      return `live-${id}`;
    }, 2, (next) => {
      ticks.push(next);
      return () => undefined;
    });
    expect(started).toEqual(['q1', 'q2']);
    ticks[0]?.();
    expect(started).toEqual(['q1', 'q2', 'q3', 'q4']);
    ticks[1]?.();
    expect(started).toEqual(ids);
    expect(ticks).toHaveLength(2);
    await expect(answers).resolves.toEqual(ids.map((id) => `live-${id}`));
  });

  it('reads the queues on screen, waiting, named by an event or never read, and all on a full refresh', () => {
    const queues: Record<string, QueueTile> = {
      q_on: { id: 'q_on', name: 'on screen', live: live('q_on') },
      q_off: { id: 'q_off', name: 'off screen, quiet', live: live('q_off') },
      q_wait: { id: 'q_wait', name: 'off screen, a call waiting', live: live('q_wait', { waiting: 1 }) },
      q_call: { id: 'q_call', name: 'off screen, a call answered', live: live('q_call') },
      q_new: { id: 'q_new', name: 'not read yet', live: null },
    };
    const all = Object.keys(queues);
    const input = { all, visible: new Set(['q_on']), touched: new Set(['q_call']), full: false, queues };
    expect(liveReadSet(input)).toEqual(['q_on', 'q_wait', 'q_call', 'q_new']);
    expect(liveReadSet({ ...input, full: true })).toEqual(all);
  });

  it('starts no further slice once cancelled', () => {
    const started: string[] = [];
    let cancelledTick = 0;
    const ticks: (() => void)[] = [];
    const read = readInSlices(['a', 'b', 'c'], async (id) => started.push(id), 1, (next) => {
      ticks.push(next);
      return () => {
        cancelledTick += 1;
      };
    });
    read.cancel();
    expect(cancelledTick).toBe(1);
    ticks[0]?.(); // a timer that fired anyway
    expect(started).toEqual(['a']);
  });
});
