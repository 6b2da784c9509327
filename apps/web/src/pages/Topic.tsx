import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { useInfiniteQuery, useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { api, qs } from '../api/client';
import { isMissing, useInvalidate, useMe } from '../api/hooks';
import type { Landed, Me, PostVersions, PostView, SpaceView, TopicPage as TopicPageData, TopicView } from '../api/types';
import { ErrorNotice, fieldState, FormError, Loading } from '../components/forms';
import { useTitle } from '../components/Title';
import { useI18n } from '../i18n';
import { useLiveRoom, useLiveStatus } from '../live/hooks';
import { formatDateTime } from '../lib/dates';
import { useDraft } from '../lib/drafts';
import { REACTION_EMOJIS } from '../lib/pix';
import { NotFoundPage } from './NotFound';

export function TopicPage() {
  const { topicId = '' } = useParams();
  const { t, tn } = useI18n();
  const me = useMe().data!;
  const invalidate = useInvalidate();
  const pages = useInfiniteQuery({
    queryKey: ['topic', topicId],
    queryFn: ({ pageParam }) => api.get<TopicPageData>(`/api/topics/${topicId}${qs({ limit: 100, cursor: pageParam })}`),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.posts.nextCursor ?? undefined,
  });
  const topic = pages.data?.pages[0]?.topic;
  const posts = pages.data?.pages.flatMap((p) => p.posts.items) ?? [];
  useTitle(topic?.title);
  const space = useQuery({ queryKey: ['space', topic?.spaceId], queryFn: () => api.get<SpaceView>(`/api/spaces/${topic!.spaceId}`), enabled: !!topic });

  // Opening the topic is reading it: clears its unread mark (once per visit).
  const readSent = useRef(false);
  useEffect(() => {
    if (!topic || readSent.current) return;
    readSent.current = true;
    void api.post(`/api/topics/${topicId}/read`).then(() => invalidate(['topics', topic.spaceId], ['space', topic.spaceId]), () => undefined);
  }, [topic, topicId, invalidate]);

  // Posts that arrived live while the page was open, by others: announced and marked.
  const known = useRef<Set<string> | null>(null);
  const [fresh, setFresh] = useState<string[]>([]);
  useEffect(() => {
    if (!pages.data) return;
    const ids = posts.map((p) => p.id);
    if (known.current === null) {
      known.current = new Set(ids);
      return;
    }
    const added = posts.filter((p) => !known.current!.has(p.id) && p.authorId !== me.id).map((p) => p.id);
    for (const id of ids) known.current.add(id);
    if (added.length > 0) setFresh((previous) => [...previous, ...added]);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [pages.data]);

  const presence = useLiveRoom(topic ? `topic:${topicId}` : null, () => void pages.refetch());
  // Back from a lost connection: the missed events are replayed, and the page catches up anyway.
  const status = useLiveStatus();
  const previousStatus = useRef(status);
  useEffect(() => {
    if (previousStatus.current === 'reconnecting' && status === 'connected') void pages.refetch();
    previousStatus.current = status;
  }, [status, pages]);

  const [replyTo, setReplyTo] = useState<PostView | null>(null);
  const replyBox = useRef<HTMLTextAreaElement>(null);

  if (pages.isPending) return <Loading />;
  if (isMissing(pages.error)) return <NotFoundPage />;
  if (pages.isError || !topic) return <ErrorNotice error={pages.error} />;
  const byId = new Map(posts.map((p) => [p.id, p]));
  const others = presence.filter((u) => u.id !== me.id);
  return (
    <>
      <nav role="navigation" className="fr-breadcrumb" aria-label="vous êtes ici :">
        <ol className="fr-breadcrumb__list">
          <li>
            <Link className="fr-breadcrumb__link" to="/">
              {t('nav.home')}
            </Link>
          </li>
          <li>
            <Link className="fr-breadcrumb__link" to={`/espaces/${topic.spaceId}`}>
              {space.data?.name ?? t('space.tab.forum')}
            </Link>
          </li>
          <li>
            <a className="fr-breadcrumb__link" aria-current="page">
              {topic.title}
            </a>
          </li>
        </ol>
      </nav>
      <h1>{topic.title}</h1>
      <div className="ruche-inline fr-mb-2w">
        {topic.pinned && <Badge noIcon>{t('forum.pinned')}</Badge>}
        {topic.locked && <Badge severity="warning">{t('forum.locked')}</Badge>}
        {topic.solved && <Badge severity="success">{t('forum.solved')}</Badge>}
        {topic.tags.map((tag) => (
          <span key={tag} className="fr-tag fr-tag--sm">
            #{tag}
          </span>
        ))}
      </div>
      {topic.permissions.moderate && <ModerationBar topic={topic} />}
      <p className="fr-text--sm" data-testid="presence">
        {others.length > 0 && t('topic.here', { names: others.map((u) => u.displayName).join(', ') })}
      </p>
      <div aria-live="polite" aria-atomic="true" data-testid="new-messages">
        {fresh.length > 0 && (
          <p className="fr-badge fr-badge--info">
            {tn('topic.newMessages', fresh.length)}{' '}
            <a
              href={`#post-${fresh[0]}`}
              className="fr-link fr-ml-1w"
              onClick={() => {
                setTimeout(() => setFresh([]), 0);
              }}
            >
              {t('topic.seeNew')}
            </a>
          </p>
        )}
      </div>
      <section aria-labelledby="posts-title">
        <h2 id="posts-title" className="fr-sr-only">
          {t('topic.posts')}
        </h2>
        <ol className="ruche-list" data-testid="posts">
          {posts.map((post) => (
            <li key={post.id} id={`post-${post.id}`} tabIndex={-1}>
              <Post
                post={post}
                topic={topic}
                me={me}
                quoted={post.replyTo ? byId.get(post.replyTo) : undefined}
                isNew={fresh.includes(post.id)}
                onQuote={() => {
                  setReplyTo(post);
                  replyBox.current?.focus();
                }}
                onChanged={() => void pages.refetch()}
              />
            </li>
          ))}
        </ol>
        {pages.hasNextPage && (
          <Button priority="secondary" onClick={() => void pages.fetchNextPage()} disabled={pages.isFetchingNextPage}>
            {t('topic.loadMore')}
          </Button>
        )}
      </section>
      {topic.locked ? (
        <Alert severity="info" small description={t('topic.lockedNotice')} />
      ) : (
        topic.permissions.reply && (
          <ReplyForm
            topicId={topicId}
            replyTo={replyTo}
            onClearQuote={() => setReplyTo(null)}
            textarea={replyBox}
            onSent={() => {
              setReplyTo(null);
              void pages.refetch();
            }}
          />
        )
      )}
    </>
  );
}

function ModerationBar({ topic }: { topic: TopicView }) {
  const { t } = useI18n();
  const invalidate = useInvalidate();
  const act = useMutation({
    mutationFn: (action: string) => api.post(`/api/topics/${topic.id}/${action}`),
    onSuccess: () => invalidate(['topic', topic.id], ['topics', topic.spaceId]),
  });
  const promote = useMutation({ mutationFn: () => api.post<Landed>(`/api/topics/${topic.id}/promote-to-faq`), onSuccess: () => invalidate(['faq', topic.spaceId]) });
  return (
    <div className="ruche-inline fr-mb-2w" role="group" aria-label="Modération">
      <Button size="small" priority="secondary" iconId="ri-pushpin-line" onClick={() => act.mutate(topic.pinned ? 'unpin' : 'pin')} disabled={act.isPending}>
        {topic.pinned ? t('topic.unpin') : t('topic.pin')}
      </Button>
      <Button size="small" priority="secondary" iconId="fr-icon-lock-line" onClick={() => act.mutate(topic.locked ? 'unlock' : 'lock')} disabled={act.isPending}>
        {topic.locked ? t('topic.unlock') : t('topic.lock')}
      </Button>
      {topic.solved && !promote.isSuccess && (
        <Button size="small" priority="secondary" iconId="fr-icon-question-line" onClick={() => promote.mutate()} disabled={promote.isPending}>
          {t('topic.promote')}
        </Button>
      )}
      {promote.isSuccess && <span className="fr-text--sm fr-mb-0">{t('topic.promoted')}</span>}
      <ErrorNotice error={act.error ?? promote.error} />
    </div>
  );
}

function Post({
  post,
  topic,
  me,
  quoted,
  isNew,
  onQuote,
  onChanged,
}: {
  post: PostView;
  topic: TopicView;
  me: Me;
  quoted?: PostView;
  isNew: boolean;
  onQuote: () => void;
  onChanged: () => void;
}) {
  const { t } = useI18n();
  const [editing, setEditing] = useState(false);
  const [showHistory, setShowHistory] = useState(false);
  const mine = post.authorId === me.id;
  const canEdit = !post.deleted && (mine || topic.permissions.moderate);
  const isSolution = topic.solutionPostId === post.id;
  const isOpening = topic.openingPostId === post.id;
  const react = useMutation({
    mutationFn: (emoji: string) =>
      post.mine.includes(emoji) ? api.del(`/api/posts/${post.id}/reactions/${encodeURIComponent(emoji)}`) : api.post(`/api/posts/${post.id}/reactions`, { emoji }),
    onSuccess: onChanged,
  });
  const solution = useMutation({ mutationFn: () => api.post(`/api/topics/${topic.id}/solution`, { postId: post.id }), onSuccess: onChanged });
  const remove = useMutation({ mutationFn: () => api.del(`/api/posts/${post.id}`), onSuccess: onChanged });
  const author = post.authorName ?? post.authorId;
  return (
    <article className={`ruche-post${isSolution ? ' ruche-post--solution' : ''}${isNew ? ' ruche-post--new' : ''}`} aria-labelledby={`post-${post.id}-author`}>
      <header className="ruche-inline fr-text--sm fr-mb-1w">
        <strong id={`post-${post.id}-author`}>{author}</strong>
        <time dateTime={post.createdAt}>{formatDateTime(post.createdAt)}</time>
        {post.editedAt && <span>({t('topic.edited', { date: formatDateTime(post.editedAt) })})</span>}
        {isSolution && <Badge small severity="success">{t('topic.solution')}</Badge>}
      </header>
      {quoted && (
        <blockquote className="ruche-quote">
          <p className="fr-mb-0">
            {t('topic.replyingTo', { name: quoted.authorName ?? '' })} : « {quoted.deleted ? t('topic.deleted') : excerpt(quoted.body)} »
          </p>
        </blockquote>
      )}
      {post.deleted ? (
        <p className="fr-text--sm">
          <em>{t('topic.deleted')}</em>
        </p>
      ) : editing ? (
        <EditPost post={post} onDone={() => (setEditing(false), onChanged())} onCancel={() => setEditing(false)} />
      ) : (
        // Sanitized by the server (libs/markdown: markdown-it without HTML, then sanitize-html).
        <div className="ruche-post__body" dangerouslySetInnerHTML={{ __html: post.html }} />
      )}
      {!post.deleted && (
        <div className="ruche-reactions" role="group" aria-label={t('topic.reactions')}>
          {REACTION_EMOJIS.map((emoji) => {
            const count = post.reactions[emoji] ?? 0;
            const pressed = post.mine.includes(emoji);
            if (count === 0 && !topic.permissions.reply) return null;
            return (
              <button
                key={emoji}
                type="button"
                className={`fr-tag fr-tag--sm${pressed ? ' fr-tag--dismiss' : ''}`}
                aria-pressed={pressed}
                aria-label={`${t('topic.react', { emoji })}${count ? ` (${count})` : ''}`}
                onClick={() => react.mutate(emoji)}
                disabled={!topic.permissions.reply || react.isPending}
                style={pressed ? undefined : {}}
              >
                <span aria-hidden="true">
                  {emoji} {count > 0 ? count : ''}
                </span>
              </button>
            );
          })}
        </div>
      )}
      {!post.deleted && !editing && (
        <div className="ruche-inline">
          {topic.permissions.reply && !topic.locked && (
            <Button size="small" priority="tertiary" iconId="fr-icon-chat-quote-line" onClick={onQuote}>
              {t('topic.quote')}
            </Button>
          )}
          {canEdit && (
            <Button size="small" priority="tertiary" iconId="fr-icon-edit-line" onClick={() => setEditing(true)}>
              {t('topic.edit')}
            </Button>
          )}
          {(mine || topic.permissions.moderate) && post.editedAt && (
            <Button size="small" priority="tertiary" iconId="ri-history-line" onClick={() => setShowHistory((v) => !v)} aria-expanded={showHistory}>
              {t('topic.history')}
            </Button>
          )}
          {topic.permissions.chooseSolution && !isOpening && !isSolution && (
            <Button size="small" priority="tertiary" iconId="fr-icon-check-line" onClick={() => solution.mutate()} disabled={solution.isPending}>
              {t('topic.markSolution')}
            </Button>
          )}
          {canEdit && !isOpening && (
            <Button
              size="small"
              priority="tertiary"
              iconId="fr-icon-delete-line"
              onClick={() => {
                if (window.confirm(`${t('topic.delete')} ?`)) remove.mutate();
              }}
            >
              {t('topic.delete')}
            </Button>
          )}
        </div>
      )}
      <ErrorNotice error={react.error ?? solution.error ?? remove.error} />
      {showHistory && <PostHistory postId={post.id} />}
    </article>
  );
}

function excerpt(body: string): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > 160 ? `${flat.slice(0, 157)}…` : flat;
}

function PostHistory({ postId }: { postId: string }) {
  const { t } = useI18n();
  const versions = useQuery({ queryKey: ['versions', postId], queryFn: () => api.get<PostVersions>(`/api/posts/${postId}/versions`) });
  return (
    <section className="fr-mt-2w" aria-label={t('topic.historyTitle')}>
      <h3 className="fr-h6">{t('topic.historyTitle')}</h3>
      {versions.isPending && <Loading />}
      <ErrorNotice error={versions.error} />
      <ol>
        {versions.data?.items.map((v) => (
          <li key={v.version}>
            <p className="fr-text--sm fr-mb-1v">{t('topic.version', { version: v.version, date: formatDateTime(v.at), name: v.byName })}</p>
            <div className="ruche-quote" dangerouslySetInnerHTML={{ __html: v.html }} />
          </li>
        ))}
      </ol>
    </section>
  );
}

function EditPost({ post, onDone, onCancel }: { post: PostView; onDone: () => void; onCancel: () => void }) {
  const { t } = useI18n();
  const [body, setBody, clear] = useDraft(`post-edit:${post.id}`, post.body);
  const save = useMutation({
    mutationFn: () => api.patch<Landed>(`/api/posts/${post.id}`, { body }),
    onSuccess: () => {
      clear();
      onDone();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <form onSubmit={submit} noValidate>
      <Input
        label={t('forum.body')}
        textArea
        nativeTextAreaProps={{ name: 'body', rows: 5, value: body, onChange: (e) => setBody(e.target.value), autoFocus: true }}
        {...fieldState(save.error, 'body')}
      />
      <FormError error={save.error} fields={['body']} />
      <div className="ruche-inline">
        <Button type="submit" size="small" disabled={save.isPending}>
          {t('topic.save')}
        </Button>
        <Button
          type="button"
          size="small"
          priority="secondary"
          onClick={() => {
            clear();
            onCancel();
          }}
        >
          {t('topic.cancel')}
        </Button>
      </div>
    </form>
  );
}

function ReplyForm({
  topicId,
  replyTo,
  onClearQuote,
  onSent,
  textarea,
}: {
  topicId: string;
  replyTo: PostView | null;
  onClearQuote: () => void;
  onSent: () => void;
  textarea: React.RefObject<HTMLTextAreaElement | null>;
}) {
  const { t } = useI18n();
  const [body, setBody, clear] = useDraft(`reply:${topicId}`);
  const send = useMutation({
    mutationFn: () => api.post<Landed>(`/api/topics/${topicId}/posts`, { body, ...(replyTo ? { replyTo: replyTo.id } : {}) }),
    onSuccess: () => {
      clear();
      onSent();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    send.mutate();
  };
  return (
    <form onSubmit={submit} noValidate aria-labelledby="reply-title" className="fr-mt-4w">
      <h2 id="reply-title" className="fr-h4">
        {t('topic.replyTitle')}
      </h2>
      {replyTo && (
        <div className="ruche-quote ruche-inline">
          <span>
            {t('topic.replyingTo', { name: replyTo.authorName ?? '' })} : « {excerpt(replyTo.body)} »
          </span>
          <Button type="button" size="small" priority="tertiary no outline" onClick={onClearQuote}>
            {t('topic.cancelQuote')}
          </Button>
        </div>
      )}
      <Input
        label={t('forum.body')}
        hintText={`${t('forum.bodyHint')} ${t('forum.draftKept')}`}
        textArea
        nativeTextAreaProps={{ name: 'reply', rows: 5, value: body, onChange: (e) => setBody(e.target.value), ref: textarea }}
        {...fieldState(send.error, 'body')}
      />
      <FormError error={send.error} fields={['body', 'replyTo']} />
      <Button type="submit" disabled={send.isPending} iconId="fr-icon-send-plane-line">
        {t('topic.send')}
      </Button>
    </form>
  );
}
