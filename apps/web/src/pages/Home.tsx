import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { useMutation, useQueries, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api } from '../api/client';
import { useInvalidate, useMe } from '../api/hooks';
import type { ActivityItem, NotificationItem, Page, SpaceCard, SpaceView } from '../api/types';
import { ErrorNotice, Loading } from '../components/forms';
import { useTitle } from '../components/Title';
import { useI18n, type MessageKey } from '../i18n';
import { formatDateTime } from '../lib/dates';
import { describeActivity, notificationBy } from './labels';

export function HomePage() {
  const { t, tn } = useI18n();
  const me = useMe().data!;
  useTitle(t('nav.home'));
  const spaces = useQuery({ queryKey: ['spaces'], queryFn: () => api.get<Page<SpaceCard>>('/api/spaces?limit=100') });
  const views = useQueries({
    queries: (spaces.data?.items ?? []).map((space) => ({
      queryKey: ['space', space.id],
      queryFn: () => api.get<SpaceView>(`/api/spaces/${space.id}`),
    })),
  });
  const viewById = new Map(views.flatMap((v) => (v.data ? [[v.data.id, v.data] as const] : [])));
  const mine = (spaces.data?.items ?? []).filter((s) => viewById.get(s.id)?.myRole);
  const others = (spaces.data?.items ?? []).filter((s) => viewById.has(s.id) && !viewById.get(s.id)?.myRole);
  const activities = useQueries({
    queries: mine.slice(0, 6).map((space) => ({
      queryKey: ['activity', space.id, 'home'],
      queryFn: () => api.get<Page<ActivityItem>>(`/api/spaces/${space.id}/activity?limit=5`),
    })),
  });
  const recent = activities
    .flatMap((a, i) => (a.data?.items ?? []).map((item) => ({ item, space: mine[i]! })))
    .sort((a, b) => b.item.at.localeCompare(a.item.at))
    .slice(0, 10);

  const spaceCard = (space: SpaceCard) => {
    const view = viewById.get(space.id);
    return (
      <li key={space.id} className="fr-col-12 fr-col-md-6">
        <div className="fr-card fr-enlarge-link fr-card--sm">
          <div className="fr-card__body">
            <div className="fr-card__content">
              <h3 className="fr-card__title">
                <Link to={`/espaces/${space.id}`}>{space.name}</Link>
              </h3>
              <p className="fr-card__desc">{space.description}</p>
              <div className="fr-card__start ruche-inline">
                <Badge small noIcon>
                  {t(`space.kind.${space.kind}` as MessageKey)}
                </Badge>
                <Badge small noIcon severity={space.visibility === 'private' ? 'warning' : undefined}>
                  {t(`space.visibility.${space.visibility}` as MessageKey)}
                </Badge>
                {view?.unreadTopics ? (
                  <Badge small severity="new" data-testid="unread">
                    {tn('home.unread', view.unreadTopics)}
                  </Badge>
                ) : null}
              </div>
              <p className="fr-card__end fr-text--sm">{tn('space.members', space.memberCount)}</p>
            </div>
          </div>
        </div>
      </li>
    );
  };
  return (
    <>
      <h1>{t('home.title', { name: me.displayName })}</h1>
      <div className="fr-grid-row fr-grid-row--gutters">
        <div className="fr-col-12 fr-col-lg-8">
          <section aria-labelledby="my-spaces">
            <h2 id="my-spaces">{t('home.mySpaces')}</h2>
            {spaces.isPending && <Loading />}
            <ErrorNotice error={spaces.error} />
            {spaces.data && mine.length === 0 && views.every((v) => !v.isPending) && <p>{t('home.noSpace')}</p>}
            <ul className="fr-grid-row fr-grid-row--gutters ruche-list">{mine.map(spaceCard)}</ul>
          </section>
          {others.length > 0 && (
            <section aria-labelledby="other-spaces" className="fr-mt-4w">
              <h2 id="other-spaces">{t('home.otherSpaces')}</h2>
              <ul className="fr-grid-row fr-grid-row--gutters ruche-list">{others.map(spaceCard)}</ul>
            </section>
          )}
        </div>
        <div className="fr-col-12 fr-col-lg-4">
          <Notifications />
          <section aria-labelledby="recent" className="fr-mt-4w">
            <h2 id="recent" className="fr-h4">
              {t('home.recent')}
            </h2>
            {recent.length === 0 ? (
              <p className="fr-text--sm">{t('home.noRecent')}</p>
            ) : (
              <ul className="ruche-list">
                {recent.map(({ item, space }) => (
                  <li key={`${space.id}-${item.position}`} className="fr-text--sm">
                    <Link to={`/espaces/${space.id}/activite`}>{space.name}</Link> — {describeActivity(item)}
                    <br />
                    <time dateTime={item.at}>{formatDateTime(item.at)}</time>
                  </li>
                ))}
              </ul>
            )}
          </section>
        </div>
      </div>
    </>
  );
}

function Notifications() {
  const { t } = useI18n();
  const invalidate = useInvalidate();
  const notifications = useQuery({ queryKey: ['notifications'], queryFn: () => api.get<Page<NotificationItem>>('/api/me/notifications?limit=10') });
  const markRead = useMutation({ mutationFn: () => api.post('/api/me/notifications/read', {}), onSuccess: () => invalidate(['notifications']) });
  const items = notifications.data?.items ?? [];
  return (
    <section aria-labelledby="notifications">
      <h2 id="notifications" className="fr-h4">
        {t('home.notifications')}
      </h2>
      {notifications.isPending && <Loading />}
      {notifications.isError && <p className="fr-text--sm">{t('home.unavailable')}</p>}
      {notifications.data && items.length === 0 && <p className="fr-text--sm">{t('home.noNotification')}</p>}
      {items.length > 0 && (
        <>
          <ul className="ruche-list">
            {items.map((n) => {
              const text = t(`notification.${n.kind}` as MessageKey, { by: notificationBy(n) });
              const to = n.topicId ? `/sujets/${n.topicId}` : n.documentId ? `/fiches/${n.documentId}` : n.spaceId ? `/espaces/${n.spaceId}` : '/';
              return (
                <li key={n.id} className="fr-text--sm">
                  <Link to={to}>{text}</Link>
                  <br />
                  <time dateTime={n.at}>{formatDateTime(n.at)}</time>
                </li>
              );
            })}
          </ul>
          <Button size="small" priority="tertiary" onClick={() => markRead.mutate()}>
            {t('home.markRead')}
          </Button>
        </>
      )}
    </section>
  );
}
