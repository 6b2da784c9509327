import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ApiError, qs } from '../api/client';
import type { Granularity, SpaceIndicators as SpaceIndicatorsData, SpaceView } from '../api/types';
import { ChartWithTable } from '../components/ChartWithTable';
import { ErrorNotice, Loading } from '../components/forms';
import { CsvLink, explainPath, TotalsTable } from '../components/indicators';
import { useI18n } from '../i18n';
import { formatPeriod, parisDay } from '../lib/dates';

export function SpaceIndicators({ space }: { space: SpaceView }) {
  const { t } = useI18n();
  const [from, setFrom] = useState(parisDay(-90));
  const [to, setTo] = useState(parisDay(0));
  const [granularity, setGranularity] = useState<Granularity>('week');
  const params = { from, to, granularity };
  const path = `/api/indicators/spaces/${space.id}`;
  const data = useQuery({ queryKey: ['indicators', 'space', space.id, params], queryFn: () => api.get<SpaceIndicatorsData>(`${path}${qs(params)}`) });
  const missing = data.error instanceof ApiError && data.error.status === 404;
  const forbidden = data.error instanceof ApiError && data.error.status === 403;
  return (
    <section aria-labelledby="space-indicators-title">
      <h2 id="space-indicators-title" className="fr-h3">
        {t('indicators.space')}
      </h2>
      <div className="ruche-inline fr-mb-2w">
        <Input label={t('indicators.from')} nativeInputProps={{ type: 'date', value: from, onChange: (e) => setFrom(e.target.value) }} />
        <Input label={t('indicators.to')} nativeInputProps={{ type: 'date', value: to, onChange: (e) => setTo(e.target.value) }} />
        <Select label={t('indicators.granularity')} nativeSelectProps={{ value: granularity, onChange: (e) => setGranularity(e.target.value as Granularity) }}>
          <option value="day">{t('indicators.day')}</option>
          <option value="week">{t('indicators.week')}</option>
          <option value="month">{t('indicators.month')}</option>
        </Select>
      </div>
      {data.isPending && <Loading />}
      {missing && <Alert severity="info" small description={t('indicators.unavailable')} />}
      {forbidden && <Alert severity="info" small description={t('indicators.forbidden')} />}
      {!missing && !forbidden && <ErrorNotice error={data.error} />}
      {data.data && (
        <>
          <ChartWithTable
            id="space-series"
            title={t('indicators.series')}
            kind="line"
            rows={data.data.series}
            categoryKey="period"
            categoryLabel={t('common.date')}
            formatCategory={formatPeriod}
            series={[
              { key: 'topics', label: t('figure.topics') },
              { key: 'replies', label: t('figure.replies') },
              { key: 'contributors', label: t('figure.contributors') },
              { key: 'views', label: t('figure.views') },
            ]}
            actions={<CsvLink path={path} params={params} name={`indicateurs-${space.name}`} />}
          />
          <TotalsTable
            caption={t('indicators.totals')}
            totals={data.data.totals}
            previous={sumSeries(data.data.previous)}
            explain={(field) => explainPath({ indicator: 'space', field, key: space.id, from, to })}
          />
        </>
      )}
    </section>
  );
}

/** The period before, summed the way `totals` sums the period (counts only). */
function sumSeries(rows: SpaceIndicatorsData['previous']): SpaceIndicatorsData['totals'] | undefined {
  if (!rows || rows.length === 0) return undefined;
  const total: Record<string, number | null> = {};
  for (const row of rows) {
    for (const [key, value] of Object.entries(row)) {
      if (key === 'period') continue;
      if (key === 'medianFirstReplyHours' || key === 'contributors' || key === 'uniqueVisitors') {
        total[key] = null; // not additive across periods
        continue;
      }
      total[key] = (total[key] ?? 0) + (typeof value === 'number' ? value : 0);
    }
  }
  return total as SpaceIndicatorsData['totals'];
}
