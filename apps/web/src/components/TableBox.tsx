import type { ReactNode } from 'react';

/**
 * A DSFR table in its current markup. Its scrolling box is focusable and named, so that a
 * keyboard can scroll a wide table (RGAA; axe's scrollable-region-focusable).
 */
export function TableBox({ label, testId, children }: { label: string; testId?: string; children: ReactNode }) {
  return (
    <div className="fr-table fr-table--sm fr-table--no-caption" data-testid={testId}>
      <div className="fr-table__wrapper">
        <div className="fr-table__container">
          <div className="fr-table__content" tabIndex={0} role="region" aria-label={label}>
            {children}
          </div>
        </div>
      </div>
    </div>
  );
}
