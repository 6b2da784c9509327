import { Link } from 'react-router';
import { qs } from '../api/client';
import { FIGURE_FIELDS, type FigureField, type Figures } from '../api/types';
import { useI18n, type MessageKey } from '../i18n';
import { formatFigure } from './ChartWithTable';
import { TableBox } from './TableBox';

/** A CSV download of the same indicator (API.md: every indicator answers CSV to ?format=csv). */
export function CsvLink({ path, params, name }: { path: string; params: Record<string, string | number | undefined>; name: string }) {
  const { t } = useI18n();
  return (
    <a className="fr-link fr-icon-download-line fr-link--icon-left fr-mb-2w" href={`${path}${qs({ ...params, format: 'csv' })}`} download={`${name}.csv`}>
      {t('indicators.csv')} <span className="fr-sr-only">— {name}</span>
    </a>
  );
}

export function figureLabel(t: (key: MessageKey) => string, field: FigureField): string {
  return t(`figure.${field}` as MessageKey);
}

/**
 * The totals of a period beside the period before, with the change, and an "explain" link per
 * figure that lists the events behind it.
 */
export function TotalsTable({
  totals,
  previous,
  explain,
  caption,
}: {
  totals: Figures;
  previous?: Figures;
  explain?: (field: FigureField) => string | null;
  caption: string;
}) {
  const { t } = useI18n();
  return (
    <TableBox label={caption} testId="totals">
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{t('common.kind')}</th>
            <th scope="col">{t('indicators.totals')}</th>
            {previous && <th scope="col">{t('indicators.previous')}</th>}
            {previous && <th scope="col">{t('indicators.change')}</th>}
            {explain && <th scope="col">{t('indicators.explain')}</th>}
          </tr>
        </thead>
        <tbody>
          {FIGURE_FIELDS.map((field) => {
            const now = totals[field];
            const before = previous?.[field];
            const change = typeof now === 'number' && typeof before === 'number' ? now - before : null;
            const link = explain?.(field) ?? null;
            return (
              <tr key={field}>
                <th scope="row">{figureLabel(t, field)}</th>
                <td>{formatFigure(now)}</td>
                {previous && <td>{formatFigure(before)}</td>}
                {previous && (
                  <td className={change === null ? '' : change > 0 ? 'ruche-up' : change < 0 ? 'ruche-down' : ''}>
                    {change === null ? '—' : `${change > 0 ? '+' : ''}${formatFigure(change)}`}
                  </td>
                )}
                {explain && (
                  <td>
                    {link && (
                      <Link to={link} className="fr-link fr-text--sm">
                        {t('indicators.explain')}
                        <span className="fr-sr-only"> : {figureLabel(t, field)}</span>
                      </Link>
                    )}
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
    </TableBox>
  );
}

export function explainPath(params: { indicator: string; field: string; key?: string; period?: string; granularity?: string; from?: string; to?: string }): string {
  return `/indicateurs/explication${qs(params)}`;
}
