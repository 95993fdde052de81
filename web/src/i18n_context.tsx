// The chosen language for every component, persisted in localStorage.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { loadLang, nextLang, saveLang, translate, type Lang, type MessageKey } from './i18n';

/** What components read: the language, a translator and the switch. */
export interface I18n {
  lang: Lang;
  t: (key: MessageKey, params?: Record<string, string | number>) => string;
  toggle: () => void;
}

const Context = createContext<I18n | null>(null);

/** Provides the language to the tree below. */
export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLang] = useState<Lang>(() => loadLang(window.localStorage, navigator.languages ?? []));
  useEffect(() => {
    document.documentElement.lang = lang;
    saveLang(window.localStorage, lang);
  }, [lang]);
  const t = useCallback((key: MessageKey, params?: Record<string, string | number>) => translate(lang, key, params), [lang]);
  const toggle = useCallback(() => setLang((l) => nextLang(l)), []);
  const value = useMemo(() => ({ lang, t, toggle }), [lang, t, toggle]);
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

/** @return the language context; components only render under I18nProvider. */
export function useI18n(): I18n {
  const value = useContext(Context);
  if (!value) throw new Error('useI18n outside I18nProvider');
  return value;
}
