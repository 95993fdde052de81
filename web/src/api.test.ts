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

describe('API types against docs/api/openapi.yaml', async () => {
  const { readFileSync } = await import('node:fs');
  const { parse } = await import('yaml');
  const { ApiFields, PartialApiTypes } = await import('./api');
  const document = parse(readFileSync(new URL('../../docs/api/openapi.yaml', import.meta.url), 'utf8')) as {
    components: { schemas: Record<string, Schema> };
  };
  interface Schema {
    properties?: Record<string, Schema>;
    required?: string[];
    items?: Schema;
  }
  /** @return the schema a name such as `QueueFigures.intervals` names (array items followed). */
  const schemaOf = (name: string): Schema | undefined => {
    const [root, ...path] = name.split('.');
    let schema: Schema | undefined = document.components.schemas[root ?? ''];
    for (const step of path) {
      schema = schema?.properties?.[step];
      if (schema?.items) schema = schema.items;
    }
    return schema;
  };

  for (const [name, fields] of Object.entries(ApiFields)) {
    it(`${name}: every field the app reads is in the document${PartialApiTypes.includes(name) ? '' : ', and every required one is read'}`, () => {
      const schema = schemaOf(name);
      expect(schema, `schema ${name}`).toBeDefined();
      const properties = Object.keys(schema?.properties ?? {});
      expect(fields.filter((f) => !properties.includes(f)), `fields of ${name} missing from the document`).toEqual([]);
      if (!PartialApiTypes.includes(name)) {
        expect([...fields].sort()).toEqual([...(schema?.required ?? [])].sort());
      }
    });
  }
});
