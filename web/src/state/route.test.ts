import { describe, expect, it } from 'vitest';
import { parseRoute, routeHash, screensFor } from './route';

describe('routes by role', () => {
  it('sends each role home and keeps it out of screens it may not open', () => {
    expect(parseRoute('', 'agent')).toEqual({ screen: 'desktop', adminPage: 'users' });
    expect(parseRoute('#/admin/queues', 'agent')?.screen).toBe('desktop');
    expect(parseRoute('', 'supervisor')?.screen).toBe('wallboard');
    expect(parseRoute('#/desktop', 'supervisor')?.screen).toBe('desktop');
    expect(parseRoute('', 'admin')?.screen).toBe('admin');
    expect(parseRoute('#/admin/entry-points', 'admin')).toEqual({ screen: 'admin', adminPage: 'entry-points' });
    expect(parseRoute('#/admin/nonsense', 'admin')?.adminPage).toBe('users');
    expect(parseRoute('', 'auditor')).toBeNull();
    expect(screensFor('supervisor')).toEqual(['wallboard', 'desktop']);
  });

  it('writes hashes that read back as the same route', () => {
    for (const hash of ['#/desktop', '#/wallboard', '#/admin/skills']) {
      const route = parseRoute(hash, hash.startsWith('#/desktop') ? 'agent' : 'admin');
      expect(route && routeHash(route)).toBe(hash);
    }
  });
});
