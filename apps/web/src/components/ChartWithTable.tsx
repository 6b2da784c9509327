import type { ReactNode } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useI18n } from '../i18n';
import { TableBox } from './TableBox';

export interface ChartSeries {
  key: string;
  label: string;
}

/** DSFR's illustrative palette, contrasted enough on white for lines and bars. */
const COLORS = ['#000091', '#c9191e', '#18753c', '#b34000', '#6a6af4', '#695240'];

/**
 * A chart and, beside it, the same numbers as a table: the chart is for the eye, the table for
 * screen readers, keyboards and copy-paste (the chart is hidden from assistive technologies).
 */
export function ChartWithTable({
  title,
  kind,
  rows,
  categoryKey,
  categoryLabel,
  series,
  formatCategory = (v) => v,
  actions,
  id,
}: {
  title: string;
  kind: 'line' | 'bar';
  rows: Array<Record<string, unknown>>;
  categoryKey: string;
  categoryLabel: string;
  series: ChartSeries[];
  formatCategory?: (value: string) => string;
  actions?: ReactNode;
  id: string;
}) {
  const { t } = useI18n();
  const data = rows.map((row) => {
    const point: Record<string, unknown> = { ...row, __category: formatCategory(String(row[categoryKey])) };
    for (const s of series) point[s.key] = typeof row[s.key] === 'number' ? row[s.key] : 0;
    return point;
  });
  const chart =
    kind === 'line' ? (
      <LineChart accessibilityLayer={false} data={data} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="__category" />
        <YAxis allowDecimals={false} />
        <Tooltip />
        <Legend />
        {series.map((s, i) => (
          <Line key={s.key} type="monotone" dataKey={s.key} name={s.label} stroke={COLORS[i % COLORS.length]} strokeWidth={2} dot={false} isAnimationActive={false} />
        ))}
      </LineChart>
    ) : (
      <BarChart accessibilityLayer={false} data={data} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="__category" />
        <YAxis allowDecimals={false} />
        <Tooltip />
        <Legend />
        {series.map((s, i) => (
          <Bar key={s.key} dataKey={s.key} name={s.label} fill={COLORS[i % COLORS.length]} isAnimationActive={false} />
        ))}
      </BarChart>
    );
  return (
    <section className="fr-mb-6w" aria-labelledby={`${id}-title`} data-testid={`chart-${id}`}>
      <h3 id={`${id}-title`} className="fr-h5">
        {title}
      </h3>
      {actions}
      <div className="fr-grid-row fr-grid-row--gutters">
        <div className="fr-col-12 fr-col-lg-7" aria-hidden="true">
          <div className="ruche-chart">
            <ResponsiveContainer width="100%" height={280}>
              {chart}
            </ResponsiveContainer>
          </div>
        </div>
        <div className="fr-col-12 fr-col-lg-5">
          <TableBox label={`${title} — ${t('indicators.table')}`}>
            <table>
              <caption>
                {title} — {t('indicators.table')}
              </caption>
              <thead>
                <tr>
                  <th scope="col">{categoryLabel}</th>
                  {series.map((s) => (
                    <th scope="col" key={s.key}>
                      {s.label}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {rows.map((row, index) => (
                  <tr key={index}>
                    <th scope="row">{formatCategory(String(row[categoryKey]))}</th>
                    {series.map((s) => (
                      <td key={s.key}>{formatFigure(row[s.key])}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </TableBox>
        </div>
      </div>
    </section>
  );
}

export function formatFigure(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'number') return value.toLocaleString('fr-FR', { maximumFractionDigits: 1 });
  return String(value);
}
