import { describe, expect, it } from 'vitest';
import { Dictionaries, LangStorageKey, loadLang, nextLang, saveLang, translate, type KeyValueStore } from './i18n';

function memoryStore(): KeyValueStore & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
}

describe('i18n', () => {
  it('has every message in both languages, none empty, and each says something different in Chinese', () => {
    const en = Dictionaries.en;
    const zh = Dictionaries['zh-CN'];
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
    for (const [key, text] of Object.entries(zh)) {
      expect(text, key).not.toBe('');
      expect(en[key as keyof typeof en], key).not.toBe('');
    }
    // Parameters must survive translation, or a screen shows a raw `{name}` in one language only.
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      const params = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      expect(params(zh[key]), key).toEqual(params(en[key]));
    }
  });

  it('fills parameters and leaves unknown ones visible', () => {
    expect(translate('en', 'agent.noAgent', { user: 'bob' })).toBe('No agent is linked to user bob.');
    expect(translate('zh-CN', 'wall.monitoring', { agent: '李伟', mode: '监听' })).toBe('正在监控 李伟：监听');
    expect(translate('en', 'agent.noAgent')).toBe('No agent is linked to user {user}.');
    expect(translate('en', 'agent.noAgent', { other: 1 })).toBe('No agent is linked to user {user}.');
  });

  it('keeps the chosen language and prefers it over the browser', () => {
    const store = memoryStore();
    expect(loadLang(store, ['en-US'])).toBe('en');
    expect(loadLang(store, ['zh-CN', 'en'])).toBe('zh-CN');
    expect(loadLang(store, [])).toBe('zh-CN');
    saveLang(store, 'en');
    expect(store.data.get(LangStorageKey)).toBe('en');
    expect(loadLang(store, ['zh-CN'])).toBe('en');
    store.setItem(LangStorageKey, 'fr');
    expect(loadLang(store, ['zh-TW'])).toBe('zh-CN');
  });

  it('switches between the two languages', () => {
    expect(nextLang('zh-CN')).toBe('en');
    expect(nextLang('en')).toBe('zh-CN');
  });
});
