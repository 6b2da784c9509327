import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../api/client';
import { useInvalidate } from '../api/hooks';
import type { JoinRequestItem, Me, MemberItem, Page, SpaceRole, SpaceView } from '../api/types';
import { ErrorNotice, fieldState, FormError, Loading } from '../components/forms';
import { useI18n, type MessageKey } from '../i18n';
import { formatDate } from '../lib/dates';

const ROLES: SpaceRole[] = ['manager', 'contributor', 'reader'];

export function SpaceMembers({ space, me }: { space: SpaceView; me: Me }) {
  const { t } = useI18n();
  const invalidate = useInvalidate();
  const manager = space.permissions.manage;
  const members = useQuery({ queryKey: ['members', space.id], queryFn: () => api.get<Page<MemberItem>>(`/api/spaces/${space.id}/members?limit=100`) });
  const requests = useQuery({
    queryKey: ['members', space.id, 'requests'],
    queryFn: () => api.get<Page<JoinRequestItem>>(`/api/spaces/${space.id}/join-requests`),
    enabled: manager,
  });
  const refresh = () => invalidate(['members', space.id], ['space', space.id]);
  const changeRole = useMutation({ mutationFn: ({ userId, role }: { userId: string; role: SpaceRole }) => api.patch(`/api/spaces/${space.id}/members/${userId}`, { role }), onSuccess: refresh });
  const remove = useMutation({ mutationFn: (userId: string) => api.del(`/api/spaces/${space.id}/members/${userId}`), onSuccess: refresh });
  const decide = useMutation({
    mutationFn: ({ userId, approve }: { userId: string; approve: boolean }) => api.post(`/api/spaces/${space.id}/join-requests/${userId}/${approve ? 'approve' : 'reject'}`),
    onSuccess: refresh,
  });
  return (
    <section aria-labelledby="members-title">
      <h2 id="members-title" className="fr-h3">
        {t('members.title')}
      </h2>
      {manager && <InviteForm spaceId={space.id} />}
      {manager && (
        <section aria-labelledby="requests-title" className="fr-mb-4w">
          <h3 id="requests-title" className="fr-h5">
            {t('members.requests')}
          </h3>
          {requests.data?.items.length === 0 && <p className="fr-text--sm">{t('members.noRequest')}</p>}
          <ul className="ruche-list">
            {requests.data?.items.map((r) => (
              <li key={r.userId} className="ruche-inline">
                <span>{r.displayName}</span>
                <Button size="small" onClick={() => decide.mutate({ userId: r.userId, approve: true })}>
                  {t('members.approve')}
                </Button>
                <Button size="small" priority="secondary" onClick={() => decide.mutate({ userId: r.userId, approve: false })}>
                  {t('members.reject')}
                </Button>
              </li>
            ))}
          </ul>
        </section>
      )}
      <ErrorNotice error={changeRole.error ?? remove.error ?? decide.error} />
      {members.isPending && <Loading />}
      <ErrorNotice error={members.error} />
      <div className="fr-table fr-table--no-caption">
        <table>
          <caption>{t('members.title')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('common.name')}</th>
              <th scope="col">{t('members.role')}</th>
              <th scope="col">{t('common.date')}</th>
              {manager && <th scope="col">{t('members.remove')}</th>}
            </tr>
          </thead>
          <tbody>
            {members.data?.items.map((m) => (
              <tr key={m.userId}>
                <th scope="row">{m.displayName}</th>
                <td>
                  {manager ? (
                    <select
                      className="fr-select"
                      aria-label={t('members.changeRole', { name: m.displayName })}
                      value={m.role}
                      onChange={(e) => changeRole.mutate({ userId: m.userId, role: e.target.value as SpaceRole })}
                    >
                      {ROLES.map((r) => (
                        <option key={r} value={r}>
                          {t(`space.role.${r}` as MessageKey)}
                        </option>
                      ))}
                    </select>
                  ) : (
                    t(`space.role.${m.role}` as MessageKey)
                  )}
                </td>
                <td>{t('members.since', { date: formatDate(m.joinedAt) })}</td>
                {manager && (
                  <td>
                    <Button size="small" priority="tertiary" iconId="ri-user-unfollow-line" onClick={() => remove.mutate(m.userId)}>
                      {m.userId === me.id ? t('members.leave') : t('members.remove')}
                    </Button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!manager && space.myRole && (
        <Button priority="secondary" onClick={() => remove.mutate(me.id)}>
          {t('members.leave')}
        </Button>
      )}
    </section>
  );
}

function InviteForm({ spaceId }: { spaceId: string }) {
  const { t } = useI18n();
  const invalidate = useInvalidate();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<SpaceRole>('contributor');
  const invite = useMutation({
    mutationFn: () => api.post(`/api/spaces/${spaceId}/members`, { email: email.trim(), role }),
    onSuccess: () => {
      setEmail('');
      void invalidate(['members', spaceId], ['space', spaceId]);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    invite.mutate();
  };
  return (
    <form onSubmit={submit} noValidate className="fr-mb-4w" aria-labelledby="invite-title">
      <h3 id="invite-title" className="fr-h5">
        {t('members.invite')}
      </h3>
      <div className="fr-grid-row fr-grid-row--gutters">
        <div className="fr-col-12 fr-col-md-6">
          <Input label={t('members.email')} nativeInputProps={{ name: 'email', type: 'email', value: email, onChange: (e) => setEmail(e.target.value) }} {...fieldState(invite.error, 'email')} />
        </div>
        <div className="fr-col-12 fr-col-md-3">
          <Select label={t('members.role')} nativeSelectProps={{ name: 'role', value: role, onChange: (e) => setRole(e.target.value as SpaceRole) }} {...fieldState(invite.error, 'role')}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {t(`space.role.${r}` as MessageKey)}
              </option>
            ))}
          </Select>
        </div>
      </div>
      <FormError error={invite.error} fields={['email', 'role']} />
      <Button type="submit" disabled={invite.isPending}>
        {t('members.send')}
      </Button>
    </form>
  );
}
