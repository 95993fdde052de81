import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Dictionaries } from '../i18n';
import { CallEndCauses, causeKey, causeLabel, SoftphoneReleaseCauses } from './causes';

const Known = [...CallEndCauses, ...SoftphoneReleaseCauses];

describe('call end causes', () => {
  it('has a Chinese and an English name for every known cause, different from the code', () => {
    for (const cause of Known) {
      const key = causeKey(cause);
      expect(key, cause).not.toBeNull();
      for (const lang of ['en', 'zh-CN'] as const) {
        const name = Dictionaries[lang][key!];
        expect(name, `${lang} ${cause}`).toBeTruthy();
        expect(name, `${lang} ${cause}`).not.toBe(cause);
      }
      expect(Dictionaries['zh-CN'][key!], cause).not.toBe(Dictionaries.en[key!]);
    }
  });

  it("knows every cause the server's call control names (src/call/call_control.cc)", () => {
    // The server's list is the reference: a cause added there must get its names here.
    const source = fs.readFileSync(fileURLToPath(new URL('../../../src/call/call_control.cc', import.meta.url)), 'utf8');
    const body = source.slice(source.indexOf('toString(EndCause cause)'), source.indexOf('toString(CallState state)'));
    const server = [...body.matchAll(/return "([a-z_]+)";/g)].map((m) => m[1]).filter((c) => c !== 'unknown');
    expect(server.length).toBeGreaterThan(10);
    expect([...CallEndCauses].sort()).toEqual([...server].sort());
  });

  it('names a cause in the language asked, shows an unknown one as it is and none as a dash', () => {
    const en = (key: keyof (typeof Dictionaries)['en']) => Dictionaries.en[key];
    const zh = (key: keyof (typeof Dictionaries)['en']) => Dictionaries['zh-CN'][key];
    expect(causeLabel(en, 'caller_hangup')).toBe('Caller hung up');
    expect(causeLabel(zh, 'caller_hangup')).toBe('客户挂机');
    expect(causeLabel(zh, 'not_answered')).toBe('未接听');
    expect(causeLabel(en, 'martian_hangup')).toBe('martian_hangup');
    expect(causeLabel(en, null)).toBe('—');
    expect(causeLabel(en, '')).toBe('—');
    expect(causeKey('toString')).toBeNull();
  });
});
