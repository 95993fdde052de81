import { describe, expect, it } from 'vitest';
import { errorFromBody, formFieldOf } from './api';

describe('API errors', () => {
  it('reads the error body the API sends', () => {
    const e = errorFromBody(400, { error: { code: 'invalid_argument', field: 'skills[2].level', message: 'must be 1 to 10' } });
    expect(e).toMatchObject({ status: 400, code: 'invalid_argument', field: 'skills[2].level', message: 'must be 1 to 10' });
  });

  it('never throws on a body that is not one', () => {
    expect(errorFromBody(502, null)).toMatchObject({ status: 502, code: 'unknown', message: 'HTTP 502', field: null });
    expect(errorFromBody(500, 'oops').message).toBe('HTTP 500');
    expect(errorFromBody(400, { error: 7 }).field).toBeNull();
    expect(errorFromBody(400, { error: { code: 3, message: null } })).toMatchObject({ code: 'unknown', message: 'HTTP 400' });
  });

  it('finds the form field a nested error field belongs to', () => {
    expect(formFieldOf('name')).toBe('name');
    expect(formFieldOf('skills[2].level')).toBe('skills');
    expect(formFieldOf('target.id')).toBe('target');
    expect(formFieldOf('')).toBeNull();
    expect(formFieldOf(null)).toBeNull();
    expect(formFieldOf('[0]')).toBeNull();
  });
});
