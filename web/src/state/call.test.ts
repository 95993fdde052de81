import { describe, expect, it } from 'vitest';
import { allowedOps, callActionFromMessage, callReducer, formatDuration, IdleCall, maskNumber, type CallAction, type CallState } from './call';

const Me = 'ag_me';
const alert: CallAction = {
  type: 'alerting',
  callId: 'call_1',
  caller: '138****5678',
  queueId: 'q_general',
  entryPointId: 'ep_4000',
  customer: { id: 'cu_1', name: '张**', phones: ['138****5678'], idNumber: null, accounts: [], unavailable: false },
  history: [{ callId: 'call_0', atMs: 500, queueId: 'q_general', agentId: 'ag_x', cause: 'caller_hangup', disposition: 'resolved', notes: null }],
  atMs: 1000,
};

function run(actions: CallAction[], from: CallState = IdleCall): CallState {
  return actions.reduce(callReducer, from);
}

describe('call state machine', () => {
  it('goes through a whole call: alert, answer, hold, consult, conference, release, wrap-up', () => {
    let s = run([alert]);
    expect(s.phase).toBe('alerting');
    expect(s.caller).toBe('138****5678');
    expect(s.customer?.name).toBe('张**');
    s = callReducer(s, { type: 'connected', callId: 'call_1', atMs: 3000 });
    expect(s).toMatchObject({ phase: 'talking', answeredAtMs: 3000, alertedAtMs: 1000 });
    s = run([{ type: 'held', callId: 'call_1' }], s);
    expect(s.phase).toBe('held');
    s = run([{ type: 'resumed', callId: 'call_1' }], s);
    expect(s.phase).toBe('talking');
    s = run([{ type: 'consult_started', callId: 'call_1' }], s);
    expect(s.phase).toBe('consulting');
    s = run([{ type: 'conferenced', callId: 'call_1' }], s);
    expect(s.phase).toBe('conferenced');
    s = run([{ type: 'muted', muted: true }, { type: 'released', callId: 'call_1', cause: 'caller_hangup' }], s);
    expect(s).toMatchObject({ phase: 'wrap_up', endCause: 'caller_hangup', muted: false, callId: 'call_1' });
    s = run([{ type: 'wrapped_up' }], s);
    expect(s).toEqual(IdleCall);
  });

  it('drops an unanswered alert without wrap-up and remembers why', () => {
    const s = run([alert, { type: 'released', callId: 'call_1', cause: 'no_answer' }]);
    expect(s.phase).toBe('idle');
    expect(s.callId).toBeNull();
    expect(s.endCause).toBe('no_answer');
  });

  it('ignores another call while one is in progress, and events of other calls', () => {
    const talking = run([alert, { type: 'connected', callId: 'call_1', atMs: 2 }]);
    expect(callReducer(talking, { ...alert, callId: 'call_2' })).toBe(talking);
    expect(callReducer(talking, { type: 'held', callId: 'call_2' })).toBe(talking);
    expect(callReducer(talking, { type: 'released', callId: 'call_2', cause: null })).toBe(talking);
  });

  it('returns to talking when a consultation is cancelled, and takes the state an operation answered', () => {
    const consulting = run([alert, { type: 'connected', callId: 'call_1', atMs: 2 }, { type: 'consult_started', callId: 'call_1' }]);
    expect(callReducer(consulting, { type: 'consult_cancelled', callId: 'call_1' }).phase).toBe('talking');
    expect(callReducer(consulting, { type: 'call_state', callId: 'call_1', state: 'conferenced' }).phase).toBe('conferenced');
    // An answer cannot bring an ended call back.
    expect(callReducer(IdleCall, { type: 'call_state', callId: 'call_1', state: 'talking' })).toBe(IdleCall);
  });

  it('mutes and collects keys only during a call', () => {
    expect(callReducer(IdleCall, { type: 'muted', muted: true }).muted).toBe(false);
    const s = run([alert, { type: 'connected', callId: 'call_1', atMs: 2 }, { type: 'dtmf', digits: '1' }, { type: 'dtmf', digits: '#' }]);
    expect(s.digits).toBe('1#');
  });

  it('offers each operation only where the API accepts it', () => {
    expect([...allowedOps('idle')]).toEqual([]);
    expect([...allowedOps('alerting')]).toEqual(['answer']);
    expect(allowedOps('talking').has('conference')).toBe(false); // conference needs an answered consultation
    expect(allowedOps('consulting').has('conference')).toBe(true);
    expect(allowedOps('consulting').has('complete')).toBe(true);
    expect(allowedOps('held').has('hold')).toBe(false);
    expect(allowedOps('held').has('resume')).toBe(true);
    expect([...allowedOps('wrap_up')]).toEqual(['wrap_up']);
  });
});

describe('stream messages to call actions', () => {
  it('reads the softphone alert with its masked number and customer', () => {
    const action = callActionFromMessage(
      { type: 'softphone.alerting', call_id: 'call_9', caller: '139****0000', queue_id: 'q_1', entry_point_id: 'ep_1', customer: null },
      Me,
      null,
      5,
    );
    expect(action).toEqual({ type: 'alerting', callId: 'call_9', caller: '139****0000', queueId: 'q_1', entryPointId: 'ep_1', customer: null, history: [], atMs: 5 });
    expect(callActionFromMessage({ type: 'softphone.alerting' }, Me, null, 5)).toBeNull();
    expect(callActionFromMessage({ type: 'softphone.released', call_id: 'call_9', cause: 'transferred' }, Me, 'call_9', 5)).toEqual({
      type: 'released',
      callId: 'call_9',
      cause: 'transferred',
    });
  });

  it('follows call events of its own agent and call only', () => {
    const ringing = (agentId: string) => ({
      type: 'call.ringing',
      id: 'call_3',
      at_ms: 77,
      data: { call_id: 'call_3', agent_id: agentId, caller: '13812345678', queue_id: 'q_1', entry_point_id: null },
    });
    expect(callActionFromMessage(ringing('ag_other'), Me, null, 0)).toBeNull();
    const mine = callActionFromMessage(ringing(Me), Me, null, 0);
    // A raw number in an event is masked before it is shown.
    expect(mine).toMatchObject({ type: 'alerting', callId: 'call_3', caller: '138****5678', atMs: 77 });
    const held = { type: 'call.held', id: 'call_3', data: { call_id: 'call_3', agent_id: null } };
    expect(callActionFromMessage(held, Me, 'call_3', 0)).toEqual({ type: 'held', callId: 'call_3' });
    expect(callActionFromMessage(held, Me, 'call_other', 0)).toBeNull();
    const ended = { type: 'call.ended', id: 'call_3', data: { call_id: 'call_3', cause: 'caller_hangup' } };
    expect(callActionFromMessage(ended, Me, 'call_3', 0)).toEqual({ type: 'released', callId: 'call_3', cause: 'caller_hangup' });
    expect(callActionFromMessage({ type: 'agent.updated', data: {} }, Me, 'call_3', 0)).toBeNull();
  });
});

describe('number masking and durations', () => {
  it('keeps the first 3 and last 4 digits of a long number', () => {
    expect(maskNumber('13812345678')).toBe('138****5678');
    expect(maskNumber('+8613812345678')).toBe('+861******5678');
    expect(maskNumber('1234567')).toBe('*****67');
    expect(maskNumber('138****5678')).toBe('138****5678');
    expect(maskNumber(null)).toBeNull();
  });

  it('formats durations as m:ss and h:mm:ss', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(65_400)).toBe('1:05');
    expect(formatDuration(3_725_000)).toBe('1:02:05');
    expect(formatDuration(-5)).toBe('0:00');
  });
});
