import { describe, expect, it } from 'vitest';
import { Entities, entryPointBody, levelsToBody, numberOrText } from './admin_entities';

describe('admin forms', () => {
  it('sends numbers as numbers and anything else as typed, so the API names the field', () => {
    expect(numberOrText('20')).toBe(20);
    expect(numberOrText(' 7 ')).toBe(7);
    expect(numberOrText('')).toBeNull();
    expect(numberOrText('abc')).toBe('abc');
  });

  it('leaves out skill rows without a skill', () => {
    expect(levelsToBody([{ id: 'sk_1', level: '4' }, { id: '', level: '9' }], 'min_level')).toEqual([{ skill_id: 'sk_1', min_level: 4 }]);
    expect(levelsToBody(undefined, 'level')).toEqual([]);
  });

  it('keeps a user\'s password unless a new one is typed, and requires one on creation', () => {
    const users = Entities.users;
    const original = { id: 'usr_1', username: 'bob', display_name: 'Bob', role: 'agent' };
    expect(users.toBody(users.toForm(original), original)).toEqual({ username: 'bob', display_name: 'Bob', role: 'agent' });
    expect(users.toBody({ ...users.toForm(original), password: 'new-secret' }, original).password).toBe('new-secret');
    expect(users.toBody(users.toForm(null), null)).toHaveProperty('password', '');
  });

  it('sends back the queue settings the form does not show (PUT replaces the queue)', () => {
    const queues = Entities.queues;
    const original = {
      id: 'q_1',
      name: 'general',
      strategy: 'round_robin',
      service_level_seconds: 30,
      required_skills: [{ skill_id: 'sk_1', min_level: 3 }],
      relaxation: [{ after_ms: 30000, min_level: 1 }],
      overflow: [{ after_wait_ms: 60000, above_size: 0, target: 'cloud' }],
      max_size: 0,
      wrap_up_ms: 5000,
      alert_timeout_ms: 20000,
      sticky_window_ms: 0,
      callback_timeout_ms: 60000,
      short_abandon_ms: 5000,
      callback_enabled: false,
    };
    const body = queues.toBody({ ...queues.toForm(original), service_level_seconds: '15' }, original);
    expect(body).toMatchObject({
      name: 'general',
      strategy: 'round_robin',
      service_level_seconds: 15,
      required_skills: [{ skill_id: 'sk_1', min_level: 3 }],
      relaxation: original.relaxation,
      overflow: original.overflow,
      wrap_up_ms: 5000,
      callback_enabled: false,
    });
  });

  it('builds an entry point\'s target from the queue picker or the typed id', () => {
    expect(entryPointBody({ number: '4000', name: 'x', target_kind: 'queue', target: 'q_1', target_id: 'ignored', priority: '2', enabled: true })).toEqual({
      number: '4000',
      name: 'x',
      target: { kind: 'queue', id: 'q_1' },
      greeting: '',
      priority: 2,
      enabled: true,
    });
    expect(entryPointBody({ target_kind: 'extension', target: 'q_1', target_id: '1001', priority: '' }).target).toEqual({ kind: 'extension', id: '1001' });
  });
});
