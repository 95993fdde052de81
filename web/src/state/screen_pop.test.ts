import { describe, expect, it } from 'vitest';
import { callActionFromMessage, callReducer, IdleCall } from './call';
import { MaxInteractions, parseCustomer, parseHistory } from './screen_pop';

const entry = (callId: string, atMs: unknown, extra: Record<string, unknown> = {}) => ({
  call_id: callId,
  at_ms: atMs,
  queue_id: 'q_general',
  agent_id: 'ag_1001',
  cause: 'caller_hangup',
  disposition: 'resolved',
  notes: 'card blocked',
  ...extra,
});

describe('screen pop', () => {
  it('reads the customer card of softphone.alerting, masked values as they come', () => {
    expect(parseCustomer({ id: 'cu_1', name: '张**', phones: ['138****5678', '010****1234'], unavailable: false })).toEqual({
      id: 'cu_1',
      name: '张**',
      phones: ['138****5678', '010****1234'],
      idNumber: null,
      accounts: [],
      unavailable: false,
    });
    // The older shape (id_number, accounts) still shows its extra fields.
    expect(parseCustomer({ id: 'cu_2', name: '李*', phones: [], id_number: '110***********1234', accounts: ['****5678'] })).toMatchObject({
      idNumber: '110***********1234',
      accounts: ['****5678'],
      unavailable: false,
    });
  });

  it('says the customer data is unavailable rather than "no record" when the CRM could not be read', () => {
    expect(parseCustomer({ id: null, name: null, phones: [], unavailable: true })).toEqual({
      id: null,
      name: null,
      phones: [],
      idNumber: null,
      accounts: [],
      unavailable: true,
    });
  });

  it('pops no card for a missing, null or malformed customer, and keeps only the strings of a list', () => {
    expect(parseCustomer(undefined)).toBeNull();
    expect(parseCustomer(null)).toBeNull();
    expect(parseCustomer('cu_1')).toBeNull();
    expect(parseCustomer([{ id: 'cu_1' }])).toBeNull();
    expect(parseCustomer({ name: 7, phones: ['138****5678', 5, null], unavailable: 'yes' })).toEqual({
      id: null,
      name: null,
      phones: ['138****5678'],
      idNumber: null,
      accounts: [],
      unavailable: false,
    });
  });

  it('lists the last interactions newest first, at most five, whatever order they come in', () => {
    const history = parseHistory([entry('c1', 1000), entry('c3', 3000), entry('c2', 2000), entry('c6', 6000), entry('c5', 5000), entry('c4', 4000)]);
    expect(history.map((h) => h.callId)).toEqual(['c6', 'c5', 'c4', 'c3', 'c2']);
    expect(history).toHaveLength(MaxInteractions);
    expect(history[0]).toEqual({
      callId: 'c6',
      atMs: 6000,
      queueId: 'q_general',
      agentId: 'ag_1001',
      cause: 'caller_hangup',
      disposition: 'resolved',
      notes: 'card blocked',
    });
  });

  it('keeps an interaction without disposition, notes or queue, and drops entries without a call id or time', () => {
    const history = parseHistory([
      entry('c1', 1000, { disposition: null, notes: null, queue_id: null, agent_id: null, cause: null }),
      entry('', 2000),
      { at_ms: 3000 },
      entry('c4', Number.NaN),
      entry('c5', '5000'),
      'c6',
      null,
    ]);
    expect(history).toEqual([{ callId: 'c1', atMs: 1000, queueId: null, agentId: null, cause: null, disposition: null, notes: null }]);
    expect(parseHistory(undefined)).toEqual([]);
    expect(parseHistory({ call_id: 'c1', at_ms: 1 })).toEqual([]);
  });

  it('puts the card and the interactions of softphone.alerting on the call, and works without them', () => {
    const message = {
      type: 'softphone.alerting',
      call_id: 'call_9',
      caller: '138****5678',
      queue_id: 'q_general',
      entry_point_id: null,
      customer: { id: 'cu_1', name: '张**', phones: ['138****5678'], unavailable: false },
      history: [entry('c1', 1000), entry('c2', 2000)],
    };
    const action = callActionFromMessage(message, 'ag_me', null, 10);
    const call = callReducer(IdleCall, action!);
    expect(call.customer?.name).toBe('张**');
    expect(call.history.map((h) => h.callId)).toEqual(['c2', 'c1']);
    // The call.ringing fallback for the same call keeps what the alert brought.
    const ringing = callActionFromMessage(
      { type: 'call.ringing', id: 'call_9', data: { call_id: 'call_9', agent_id: 'ag_me', caller: '13812345678' } },
      'ag_me',
      'call_9',
      20,
    );
    const again = callReducer(call, ringing!);
    expect(again.customer?.name).toBe('张**');
    expect(again.history).toHaveLength(2);
    // An older server's alert: no customer, no history.
    const bare = callActionFromMessage({ type: 'softphone.alerting', call_id: 'call_10', caller: '139****0000' }, 'ag_me', null, 30);
    expect(callReducer(IdleCall, bare!)).toMatchObject({ phase: 'alerting', customer: null, history: [] });
  });
});
