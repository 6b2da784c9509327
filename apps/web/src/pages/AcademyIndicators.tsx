import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api, ApiError, qs } from '../api/client';
import { useMe } from '../api/hooks';
import { MILESTONES, type AcademyIndicators, type DormantSpaces, type GroupBy, type PixCompetences, type PixDeployment } from '../api/types';
import { ChartWithTable } from '../components/ChartWithTable';
import { ErrorNotice, Loading } from '../components/forms';
import { CsvLink, explainPath, TotalsTable } from '../components/indicators';
import { useTitle } from '../components/Title';
import { useI18n, type MessageKey } from '../i18n';
import { formatDate, formatDateTime, parisDay } from '../lib/dates';
import { INDICATOR_ROLES } from '../lib/personas';

export function AcademyIndicatorsPage() {
  const { t } = useI18n();
  useTitle(t('indicators.title'));
  const me = useMe().data!;
  const [from, setFrom] = useState(parisDay(-90));
  const [to, setTo] = useState(parisDay(0));
  const [groupBy, setGroupBy] = useState<GroupBy>('department');
  const [days, setDays] = useState(30);
  const params = { from, to, groupBy };
  const academy = useQuery({ queryKey: ['indicators', 'academy', params], queryFn: () => api.get<AcademyIndicators>(`/api/indicators/academy${qs(params)}`) });
  const dormant = useQuery({ queryKey: ['indicators', 'dormant', days], queryFn: () => api.get<DormantSpaces>(`/api/indicators/dormant-spaces${qs({ days })}`) });
  const competences = useQuery({ queryKey: ['indicators', 'competences'], queryFn: () => api.get<PixCompetences>('/api/indicators/pix-competences') });
  const deployment = useQuery({ queryKey: ['indicators', 'deployment'], queryFn: () => api.get<PixDeployment>('/api/indicators/pix-deployment') });
  if (!me.roles.some((r) => INDICATOR_ROLES.includes(r))) return <Alert severity="info" small description={t("error.403")} />;
  const missing = academy.error instanceof ApiError && academy.error.status === 404;
  const groupLabel = t(`indicators.group.${groupBy}` as MessageKey);
  return (
    <>
      <h1>{t('indicators.title')}</h1>
      <div className="ruche-inline fr-mb-3w">
        <Input label={t('indicators.from')} nativeInputProps={{ type: 'date', name: 'from', value: from, onChange: (e) => setFrom(e.target.value) }} />
        <Input label={t('indicators.to')} nativeInputProps={{ type: 'date', name: 'to', value: to, onChange: (e) => setTo(e.target.value) }} />
        <Select label={t('indicators.groupBy')} nativeSelectProps={{ name: 'groupBy', value: groupBy, onChange: (e) => setGroupBy(e.target.value as GroupBy) }}>
          {(['establishment', 'department', 'space', 'kind'] as const).map((g) => (
            <option key={g} value={g}>
              {t(`indicators.group.${g}` as MessageKey)}
            </option>
          ))}
        </Select>
      </div>
      {academy.isPending && <Loading />}
      {missing && <Alert severity="info" small description={t('indicators.unavailable')} />}
      {!missing && <ErrorNotice error={academy.error} />}
      {academy.data && (
        <>
          <ChartWithTable
            id="academy-rollup"
            title={t('indicators.rollup', { group: groupLabel.toLowerCase() })}
            kind="bar"
            rows={academy.data.rows}
            categoryKey="label"
            categoryLabel={groupLabel}
            series={[
              { key: 'topics', label: t('figure.topics') },
              { key: 'replies', label: t('figure.replies') },
              { key: 'documents', label: t('figure.documents') },
              { key: 'views', label: t('figure.views') },
            ]}
            actions={<CsvLink path="/api/indicators/academy" params={params} name={`academie-par-${groupBy}`} />}
          />
          <section aria-labelledby="totals-title" className="fr-mb-6w">
            <h2 id="totals-title" className="fr-h5">
              {t('indicators.totals')} — {t('indicators.previous').toLowerCase()}
            </h2>
            <TotalsTable
              caption={t('indicators.totals')}
              totals={academy.data.totals}
              previous={academy.data.previousTotals}
              explain={(field) => explainPath({ indicator: 'academy', field, from, to })}
            />
          </section>
        </>
      )}
      <section aria-labelledby="dormant-title" className="fr-mb-6w">
        <h2 id="dormant-title" className="fr-h5">
          {t('indicators.dormant')}
        </h2>
        <Select label={t('indicators.dormantDays', { days })} nativeSelectProps={{ value: String(days), onChange: (e) => setDays(Number(e.target.value)) }}>
          {[14, 30, 60, 90].map((d) => (
            <option key={d} value={d}>
              {t('indicators.dormantDays', { days: d })}
            </option>
          ))}
        </Select>
        <CsvLink path="/api/indicators/dormant-spaces" params={{ days }} name="espaces-en-sommeil" />
        <ErrorNotice error={dormant.error instanceof ApiError && dormant.error.status === 404 ? null : dormant.error} />
        {dormant.data && dormant.data.items.length === 0 && <p>{t('indicators.noDormant')}</p>}
        {dormant.data && dormant.data.items.length > 0 && (
          <div className="fr-table fr-table--sm fr-table--no-caption">
            <table>
              <caption>{t('indicators.dormant')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('common.name')}</th>
                  <th scope="col">{t('common.kind')}</th>
                  <th scope="col">{t('common.uai')}</th>
                  <th scope="col">{t('common.date')}</th>
                  <th scope="col">Jours</th>
                </tr>
              </thead>
              <tbody>
                {dormant.data.items.map((s) => (
                  <tr key={s.spaceId}>
                    <th scope="row">
                      <Link to={`/espaces/${s.spaceId}`}>{s.name}</Link>
                    </th>
                    <td>{t(`space.kind.${s.kind}` as MessageKey)}</td>
                    <td>{s.uai ?? '—'}</td>
                    <td>{formatDateTime(s.lastContributionAt)}</td>
                    <td>{s.daysSince ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {competences.data && (
        <ChartWithTable
          id="competences"
          title={t('indicators.competences')}
          kind="bar"
          rows={competences.data.items.map((c) => ({ ...c, name: c.documents === 0 ? `${c.code} (${t('indicators.emptyCompetence')})` : c.code }))}
          categoryKey="name"
          categoryLabel={t('docs.competences')}
          series={[{ key: 'documents', label: t('figure.documents') }]}
          actions={<CsvLink path="/api/indicators/pix-competences" params={{}} name="fiches-par-competence" />}
        />
      )}
      <ErrorNotice error={competences.error instanceof ApiError && competences.error.status === 404 ? null : competences.error} />
      <section aria-labelledby="deployment-title" className="fr-mb-6w">
        <h2 id="deployment-title" className="fr-h5">
          {t('indicators.deployment')}
        </h2>
        <CsvLink path="/api/indicators/pix-deployment" params={{}} name="deploiement-pix" />
        <ErrorNotice error={deployment.error instanceof ApiError && deployment.error.status === 404 ? null : deployment.error} />
        {deployment.data && <DeploymentTable items={deployment.data.items} />}
      </section>
    </>
  );
}

export function DeploymentTable({ items }: { items: Array<{ uai: string; name: string; department?: string; milestones: Partial<Record<string, string | null>> }> }) {
  const { t } = useI18n();
  return (
    // DSFR's current table markup; the scrolling box is focusable so a keyboard can scroll it.
    <div className="fr-table fr-table--sm fr-table--no-caption" data-testid="deployment">
      <div className="fr-table__wrapper">
        <div className="fr-table__container">
          <div className="fr-table__content" tabIndex={0} role="region" aria-label={t('indicators.deployment')}>
      <table>
        <caption>{t('indicators.deployment')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('common.name')}</th>
            <th scope="col">{t('common.uai')}</th>
            {MILESTONES.map((m) => (
              <th scope="col" key={m}>
                {t(`milestone.${m}` as MessageKey)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {items.map((e) => (
            <tr key={e.uai}>
              <th scope="row">{e.name}</th>
              <td>{e.uai}</td>
              {MILESTONES.map((m) => (
                <td key={m}>{e.milestones[m] ? formatDate(e.milestones[m]) : <span aria-label={t('common.no')}>—</span>}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
          </div>
        </div>
      </div>
    </div>
  );
}
