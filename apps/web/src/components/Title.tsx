import { useEffect } from 'react';

/** Sets the tab's title (each page has its own, as RGAA asks). */
export function useTitle(title: string | undefined): void {
  useEffect(() => {
    if (title) document.title = `${title} — Ruche`;
  }, [title]);
}
