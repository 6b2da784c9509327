import { useCallback, useEffect, useRef, useState } from 'react';

const PREFIX = 'ruche.draft.';

/**
 * A text kept in localStorage under `key` until it is sent: a reload, a network error or a 409
 * loses nothing. `clear()` once the server has accepted it.
 */
export function useDraft(key: string, initial = ''): [string, (value: string) => void, () => void] {
  const storageKey = PREFIX + key;
  const [value, setValue] = useState<string>(() => localStorage.getItem(storageKey) ?? initial);
  const keyRef = useRef(storageKey);
  useEffect(() => {
    // Another topic or document: its own draft.
    if (keyRef.current !== storageKey) {
      keyRef.current = storageKey;
      setValue(localStorage.getItem(storageKey) ?? initial);
    }
  }, [storageKey, initial]);
  const update = useCallback(
    (next: string) => {
      setValue(next);
      if (next === '' || next === initial) localStorage.removeItem(storageKey);
      else localStorage.setItem(storageKey, next);
    },
    [storageKey, initial],
  );
  const clear = useCallback(() => {
    localStorage.removeItem(storageKey);
    setValue(initial);
  }, [storageKey, initial]);
  return [value, update, clear];
}

/** Whether a draft is stored (to tell the person it was kept). */
export function hasDraft(key: string): boolean {
  return localStorage.getItem(PREFIX + key) !== null;
}
