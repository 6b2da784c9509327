import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Tabs } from '@codegouvfr/react-dsfr/Tabs';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useNavigate, useParams } from 'react-router';
import { api } from '../api/client';
import { isMissing, useInvalidate, useMe } from '../api/hooks';
import type { SpaceView } from '../api/types';
import { ErrorNotice, Loading } from '../components/forms';
import { useTitle } from '../components/Title';
import { useI18n, type MessageKey } from '../i18n';
import { useLiveRoom } from '../live/hooks';
import { INDICATOR_ROLES } from '../lib/personas';
import { NotFoundPage } from './NotFound';
import { SpaceActivity } from './SpaceActivity';
import { SpaceDocuments } from './SpaceDocuments';
import { SpaceFaq } from './SpaceFaq';
import { SpaceForum } from './SpaceForum';
import { SpaceIndicators } from './SpaceIndicators';
import { SpaceMembers } from './SpaceMembers';

const TABS = [
  { slug: '', key: 'space.tab.forum' },
  { slug: 'faq', key: 'space.tab.faq' },
  { slug: 'fiches', key: 'space.tab.documents' },
  { slug: 'membres', key: 'space.tab.members' },
  { slug: 'activite', key: 'space.tab.activity' },
  { slug: 'indicateurs', key: 'space.tab.indicators' },
] as const;

export function SpacePage() {
  const { spaceId = '', tab = '' } = useParams();
  const { t, tn } = useI18n();
  const navigate = useNavigate();
  const me = useMe().data!;
  const invalidate = useInvalidate();
  const space = useQuery({ queryKey: ['space', spaceId], queryFn: () => api.get<SpaceView>(`/api/spaces/${spaceId}`) });
  useTitle(space.data?.name);
  // Anything new in the space refreshes what is on screen.
  useLiveRoom(space.data?.permissions.read ? `space:${spaceId}` : null, () => {
    void invalidate(['space', spaceId], ['topics', spaceId], ['faq', spaceId], ['documents', spaceId], ['members', spaceId], ['activity', spaceId]);
  });
  const join = useMutation({
    mutationFn: () => api.post(`/api/spaces/${spaceId}/join`),
    onSuccess: () => invalidate(['space', spaceId], ['spaces'], ['members', spaceId]),
  });
  if (space.isPending) return <Loading />;
  if (isMissing(space.error)) return <NotFoundPage />;
  if (space.isError) return <ErrorNotice error={space.error} />;
  const s = space.data;
  const manager = s.permissions.manage;
  const seesIndicators = manager || me.roles.some((r) => INDICATOR_ROLES.includes(r));
  const tabs = TABS.filter((tabDef) => tabDef.slug !== 'indicateurs' || seesIndicators);
  const current = tabs.some((x) => x.slug === tab) ? tab : null;
  if (current === null) return <NotFoundPage />;
  const canRead = s.permissions.read;
  return (
    <>
      <nav role="navigation" className="fr-breadcrumb" aria-label="vous êtes ici :">
        <ol className="fr-breadcrumb__list">
          <li>
            <a className="fr-breadcrumb__link" href="/" onClick={(e) => (e.preventDefault(), navigate('/'))}>
              {t('nav.home')}
            </a>
          </li>
          <li>
            <a className="fr-breadcrumb__link" aria-current="page">
              {s.name}
            </a>
          </li>
        </ol>
      </nav>
      <h1>{s.name}</h1>
      <div className="ruche-inline fr-mb-2w">
        <Badge noIcon>{t(`space.kind.${s.kind}` as MessageKey)}</Badge>
        <Badge noIcon>{t(`space.visibility.${s.visibility}` as MessageKey)}</Badge>
        {s.myRole && <Badge severity="info" noIcon>{t(`space.role.${s.myRole}` as MessageKey)}</Badge>}
        <span className="fr-text--sm fr-mb-0">{tn('space.members', s.memberCount)}</span>
      </div>
      {s.description && <p className="fr-text--lead">{s.description}</p>}
      {!s.myRole && (
        <div className="fr-mb-3w">
          {join.isSuccess ? (
            <Alert severity="success" small description={s.visibility === 'public' ? t('space.joined') : t('space.asked')} />
          ) : (
            <Button onClick={() => join.mutate()} disabled={join.isPending} iconId="fr-icon-user-add-line">
              {s.visibility === 'public' ? t('space.join') : t('space.askToJoin')}
            </Button>
          )}
          <ErrorNotice error={join.error} />
        </div>
      )}
      {canRead ? (
        <Tabs
          selectedTabId={current || 'forum'}
          onTabChange={(id: string) => navigate(`/espaces/${spaceId}${id === 'forum' ? '' : `/${id}`}`)}
          tabs={tabs.map((x) => ({ tabId: x.slug || 'forum', label: t(x.key) }))}
        >
          {current === '' && <SpaceForum space={s} />}
          {current === 'faq' && <SpaceFaq space={s} />}
          {current === 'fiches' && <SpaceDocuments space={s} />}
          {current === 'membres' && <SpaceMembers space={s} me={me} />}
          {current === 'activite' && <SpaceActivity space={s} />}
          {current === 'indicateurs' && <SpaceIndicators space={s} />}
        </Tabs>
      ) : (
        <Alert severity="info" small description={t('error.403')} />
      )}
    </>
  );
}
