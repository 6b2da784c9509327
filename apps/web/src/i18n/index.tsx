import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { en } from './en';
import { fr, type MessageKey } from './fr';

export type Lang = 'fr' | 'en';
export type Vars = Record<string, string | number>;

const dictionaries: Record<Lang, Partial<Record<MessageKey, string>>> = { fr, en };
const STORAGE_KEY = 'ruche.lang';

/** Replaces each `{name}` by its value; numbers are written the French way. */
export function format(template: string, vars: Vars = {}, lang: Lang = 'fr'): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = vars[name];
    if (value === undefined) return whole;
    return typeof value === 'number' ? value.toLocaleString(lang === 'fr' ? 'fr-FR' : 'en-GB') : value;
  });
}

export function translate(lang: Lang, key: MessageKey, vars?: Vars): string {
  return format(dictionaries[lang][key] ?? fr[key] ?? key, vars, lang);
}

export interface I18n {
  lang: Lang;
  setLang(lang: Lang): void;
  t(key: MessageKey, vars?: Vars): string;
  /** `key.one` when count is 1 and that key exists, else `key` with {count}. */
  tn(key: MessageKey, count: number, vars?: Vars): string;
}

const I18nContext = createContext<I18n | null>(null);

function initialLang(): Lang {
  const stored = typeof localStorage === 'undefined' ? null : localStorage.getItem(STORAGE_KEY);
  return stored === 'en' ? 'en' : 'fr';
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const setLang = useCallback((next: Lang) => {
    localStorage.setItem(STORAGE_KEY, next);
    document.documentElement.lang = next;
    setLangState(next);
  }, []);
  const value = useMemo<I18n>(
    () => ({
      lang,
      setLang,
      t: (key, vars) => translate(lang, key, vars),
      tn: (key, count, vars) => {
        const one = `${key}.one` as MessageKey;
        if (count === 1 && one in fr) return translate(lang, one, vars);
        return translate(lang, key, { count, ...vars });
      },
    }),
    [lang, setLang],
  );
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const value = useContext(I18nContext);
  if (!value) throw new Error('useI18n outside I18nProvider');
  return value;
}

export type { MessageKey };
