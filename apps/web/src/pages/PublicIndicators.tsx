import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { useQuery } from '@tanstack/react-query';
import { api, ApiError } from '../api/client';
import type { PublicIndicators } from '../api/types';
import { ChartWithTable } from '../components/ChartWithTable';
import { ErrorNotice, Loading } from '../components/forms';
import { CsvLink, TotalsTable } from '../components/indicators';
import { useTitle } from '../components/Title';
import { useI18n } from '../i18n';
import { formatDateTime } from '../lib/dates';
import { DeploymentTable } from './AcademyIndicators';

/** No sign-in: aggregated figures only (API.md, GET /api/public/indicators). */
export function PublicIndicatorsPage() {
  const { t } = useI18n();
  useTitle(t('public.title'));
  const data = useQuery({ queryKey: ['public-indicators'], queryFn: () => api.get<PublicIndicators>('/api/public/indicators', { allowAnonymous: true }) });
  return (
    <>
      <h1>{t('public.title')}</h1>
      <p className="fr-text--lead">{t('public.lead')}</p>
      {data.isPending && <Loading />}
      {data.error instanceof ApiError && data.error.status === 404 ? <Alert severity="info" small description={t('indicators.unavailable')} /> : <ErrorNotice error={data.error} />}
      {data.data && (
        <>
          <p className="fr-text--sm">{t('public.generatedAt', { date: formatDateTime(data.data.generatedAt) })}</p>
          <CsvLink path="/api/public/indicators" params={{}} name="indicateurs-publics" />
          <TotalsTable caption={t('indicators.totals')} totals={data.data.academy} />
          <ChartWithTable
            id="public-departments"
            title={t('public.departments')}
            kind="bar"
            rows={data.data.departments}
            categoryKey="code"
            categoryLabel={t('common.department')}
            series={[
              { key: 'topics', label: t('figure.topics') },
              { key: 'replies', label: t('figure.replies') },
              { key: 'documents', label: t('figure.documents') },
            ]}
          />
          <h2 className="fr-h5">{t('indicators.deployment')}</h2>
          <DeploymentTable items={data.data.deployment} />
        </>
      )}
    </>
  );
}
