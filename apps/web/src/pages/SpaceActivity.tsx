import { useQuery } from '@tanstack/react-query';
import { api } from '../api/client';
import type { ActivityItem, Page, SpaceView } from '../api/types';
import { ErrorNotice, Loading } from '../components/forms';
import { useI18n } from '../i18n';
import { formatDateTime } from '../lib/dates';
import { describeActivity } from './labels';

export function SpaceActivity({ space }: { space: SpaceView }) {
  const { t } = useI18n();
  const activity = useQuery({ queryKey: ['activity', space.id], queryFn: () => api.get<Page<ActivityItem>>(`/api/spaces/${space.id}/activity?limit=50`) });
  return (
    <section aria-labelledby="activity-title">
      <h2 id="activity-title" className="fr-h3">
        {t('space.tab.activity')}
      </h2>
      {activity.isPending && <Loading />}
      <ErrorNotice error={activity.error} />
      {activity.data?.items.length === 0 && <p>{t('activity.empty')}</p>}
      <ol className="ruche-list">
        {activity.data?.items.map((item) => (
          <li key={item.position}>
            {describeActivity(item)}
            <br />
            <time className="fr-text--xs" dateTime={item.at}>
              {formatDateTime(item.at)}
            </time>
          </li>
        ))}
      </ol>
    </section>
  );
}
