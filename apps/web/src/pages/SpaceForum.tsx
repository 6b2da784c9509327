import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, qs } from '../api/client';
import { useInvalidate } from '../api/hooks';
import type { Landed, Page, SpaceView, TopicItem } from '../api/types';
import { ErrorNotice, fieldState, FormError, Loading } from '../components/forms';
import { useI18n } from '../i18n';
import { formatDateTime } from '../lib/dates';
import { useDraft } from '../lib/drafts';

export function SpaceForum({ space }: { space: SpaceView }) {
  const { t, tn } = useI18n();
  const [sort, setSort] = useState<'latest' | 'unanswered'>('latest');
  const [tag, setTag] = useState('');
  const topics = useQuery({
    queryKey: ['topics', space.id, sort, tag],
    queryFn: () => api.get<Page<TopicItem>>(`/api/spaces/${space.id}/topics${qs({ sort, tag, limit: 50 })}`),
  });
  const [writing, setWriting] = useState(false);
  return (
    <section aria-labelledby="forum-title">
      <h2 id="forum-title" className="fr-h3">
        {t('space.tab.forum')}
      </h2>
      <div className="ruche-inline fr-mb-2w">
        <Select label={t('forum.sort')} nativeSelectProps={{ value: sort, onChange: (e) => setSort(e.target.value as 'latest' | 'unanswered') }}>
          <option value="latest">{t('forum.sort.latest')}</option>
          <option value="unanswered">{t('forum.sort.unanswered')}</option>
        </Select>
        {tag && (
          <Button priority="tertiary" size="small" iconId="fr-icon-close-line" onClick={() => setTag('')}>
            #{tag}
          </Button>
        )}
        {space.permissions.contribute !== false && space.myRole && space.myRole !== 'reader' && !writing && (
          <Button iconId="fr-icon-add-line" onClick={() => setWriting(true)}>
            {t('forum.newTopic')}
          </Button>
        )}
      </div>
      {writing && <NewTopicForm spaceId={space.id} onCancel={() => setWriting(false)} />}
      {topics.isPending && <Loading />}
      <ErrorNotice error={topics.error} />
      {topics.data?.items.length === 0 && <p>{t('forum.empty')}</p>}
      <ul className="ruche-list" data-testid="topics">
        {topics.data?.items.map((topic) => (
          <li key={topic.id}>
            <h3 className="fr-h6 fr-mb-1v">
              <Link to={`/sujets/${topic.id}`}>{topic.title}</Link>
            </h3>
            <div className="ruche-inline fr-text--sm">
              {topic.unread && (
                <Badge small severity="new">
                  {t('forum.unread')}
                </Badge>
              )}
              {topic.pinned && <Badge small noIcon>{t('forum.pinned')}</Badge>}
              {topic.locked && <Badge small severity="warning">{t('forum.locked')}</Badge>}
              {topic.solved && <Badge small severity="success">{t('forum.solved')}</Badge>}
              {topic.tags.map((x) => (
                <button key={x} type="button" className="fr-tag fr-tag--sm" onClick={() => setTag(x)}>
                  #{x}
                </button>
              ))}
              <span>
                {topic.authorName ? t('forum.by', { name: topic.authorName }) : ''} · {tn('forum.replies', topic.replyCount)} ·{' '}
                {t('forum.lastActivity', { date: formatDateTime(topic.lastActivityAt) })}
              </span>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

function NewTopicForm({ spaceId, onCancel }: { spaceId: string; onCancel: () => void }) {
  const { t } = useI18n();
  const navigate = useNavigate();
  const invalidate = useInvalidate();
  const [title, setTitle, clearTitle] = useDraft(`topic-title:${spaceId}`);
  const [body, setBody, clearBody] = useDraft(`topic-body:${spaceId}`);
  const [tags, setTags, clearTags] = useDraft(`topic-tags:${spaceId}`);
  const create = useMutation({
    mutationFn: () =>
      api.post<Landed>(`/api/spaces/${spaceId}/topics`, {
        title,
        body,
        tags: tags
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean),
      }),
    onSuccess: (landed) => {
      clearTitle();
      clearBody();
      clearTags();
      void invalidate(['topics', spaceId]);
      navigate(`/sujets/${landed.id}`);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <form onSubmit={submit} className="fr-mb-4w" noValidate aria-labelledby="new-topic-title">
      <h3 id="new-topic-title" className="fr-h5">
        {t('forum.newTopic')}
      </h3>
      <Input label={t('forum.title')} nativeInputProps={{ name: 'title', value: title, onChange: (e) => setTitle(e.target.value) }} {...fieldState(create.error, 'title')} />
      <Input
        label={t('forum.body')}
        hintText={t('forum.bodyHint')}
        textArea
        nativeTextAreaProps={{ name: 'body', rows: 6, value: body, onChange: (e) => setBody(e.target.value) }}
        {...fieldState(create.error, 'body')}
      />
      <Input label={t('forum.tags')} hintText={t('forum.tagsHint')} nativeInputProps={{ name: 'tags', value: tags, onChange: (e) => setTags(e.target.value) }} {...fieldState(create.error, 'tags')} />
      <p className="fr-text--xs">{t('forum.draftKept')}</p>
      <FormError error={create.error} fields={['title', 'body', 'tags']} />
      <div className="ruche-inline">
        <Button type="submit" disabled={create.isPending}>
          {t('forum.create')}
        </Button>
        <Button type="button" priority="secondary" onClick={onCancel}>
          {t('topic.cancel')}
        </Button>
      </div>
    </form>
  );
}
