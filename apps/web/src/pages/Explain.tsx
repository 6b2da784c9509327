import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { useInfiniteQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { api, ApiError, qs } from '../api/client';
import type { ExplainPage as ExplainData, FigureField } from '../api/types';
import { ErrorNotice, Loading } from '../components/forms';
import { figureLabel } from '../components/indicators';
import { useTitle } from '../components/Title';
import { useI18n } from '../i18n';
import { formatDateTime } from '../lib/dates';

export function ExplainPage() {
  const { t } = useI18n();
  useTitle(t('indicators.explainTitle'));
  const [params] = useSearchParams();
  const query = Object.fromEntries(params.entries());
  const events = useInfiniteQuery({
    queryKey: ['explain', query],
    queryFn: ({ pageParam }) => api.get<ExplainData>(`/api/indicators/explain${qs({ ...query, cursor: pageParam, limit: 100 })}`),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const field = (query.field ?? '') as FigureField;
  const items = events.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <>
      <p>
        <Link to="/indicateurs" className="fr-link fr-icon-arrow-left-line fr-link--icon-left">
          {t('indicators.title')}
        </Link>
      </p>
      <h1>{t('indicators.explainTitle')}</h1>
      <p>{t('indicators.explainLead', { field: figureLabel(t, field), key: query.key ? ` (${query.key})` : '' })}</p>
      {events.isPending && <Loading />}
      {events.error instanceof ApiError && events.error.status === 404 ? (
        <Alert severity="info" small description={t('indicators.unavailable')} />
      ) : (
        <ErrorNotice error={events.error} />
      )}
      {events.data && items.length === 0 && <p>{t('indicators.explainEmpty')}</p>}
      {items.length > 0 && (
        <div className="fr-table fr-table--sm fr-table--no-caption" data-testid="explain">
          <table>
            <caption>{t('indicators.explainTitle')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('common.position')}</th>
                <th scope="col">{t('common.event')}</th>
                <th scope="col">{t('common.stream')}</th>
                <th scope="col">{t('common.date')}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((e) => (
                <tr key={e.position}>
                  <th scope="row">{e.position}</th>
                  <td>{e.type}</td>
                  <td>
                    <code>{e.streamName}</code>
                  </td>
                  <td>{formatDateTime(e.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {events.hasNextPage && (
        <Button priority="secondary" onClick={() => void events.fetchNextPage()}>
          {t('common.more')}
        </Button>
      )}
    </>
  );
}
