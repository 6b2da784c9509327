import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { useMutation, useQuery } from '@tanstack/react-query';
import { diffLines } from 'diff';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { api, ApiError, qs } from '../api/client';
import { isMissing, useInvalidate } from '../api/hooks';
import type { DocumentView, Landed, Page, RevisionDiff, RevisionItem, SpaceView } from '../api/types';
import { ErrorNotice, fieldState, FormError, Loading } from '../components/forms';
import { useTitle } from '../components/Title';
import { useI18n } from '../i18n';
import { formatDateTime } from '../lib/dates';
import { useDraft } from '../lib/drafts';
import { previewMarkdown } from '../lib/markdown';
import { NotFoundPage } from './NotFound';

export function DocumentPage() {
  const { documentId = '' } = useParams();
  const { t } = useI18n();
  const doc = useQuery({ queryKey: ['document', documentId], queryFn: () => api.get<DocumentView>(`/api/documents/${documentId}`) });
  const space = useQuery({ queryKey: ['space', doc.data?.spaceId], queryFn: () => api.get<SpaceView>(`/api/spaces/${doc.data!.spaceId}`), enabled: !!doc.data });
  useTitle(doc.data?.title);
  const [editing, setEditing] = useState(() => localStorage.getItem(`ruche.draft.doc:${documentId}`) !== null);
  const [notice, setNotice] = useState<string | null>(null);
  // One consultation per opening.
  const readSent = useRef(false);
  useEffect(() => {
    if (!doc.data || readSent.current) return;
    readSent.current = true;
    void api.post(`/api/documents/${documentId}/read`).catch(() => undefined);
  }, [doc.data, documentId]);
  if (doc.isPending) return <Loading />;
  if (isMissing(doc.error)) return <NotFoundPage />;
  if (doc.isError) return <ErrorNotice error={doc.error} />;
  const d = doc.data;
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
            <Link className="fr-breadcrumb__link" to={`/espaces/${d.spaceId}/fiches`}>
              {space.data?.name ?? t('space.tab.documents')}
            </Link>
          </li>
          <li>
            <a className="fr-breadcrumb__link" aria-current="page">
              {d.title}
            </a>
          </li>
        </ol>
      </nav>
      <h1>{d.title}</h1>
      <div className="ruche-inline fr-mb-2w fr-text--sm">
        {d.competences.map((c) => (
          <span key={c.code} className="fr-tag fr-tag--sm">
            {c.code} — {c.label}
          </span>
        ))}
      </div>
      <p className="fr-text--sm">
        {t('docs.revision', { revision: d.revision })} · {t('docs.updated', { date: formatDateTime(d.updatedAt) })} ·{' '}
        {t('docs.contributors', { names: d.contributors.map((c) => c.displayName).join(', ') })}
      </p>
      {notice && <Alert severity="success" small description={notice} className="fr-mb-2w" closable onClose={() => setNotice(null)} />}
      {editing ? (
        <DocumentEditor
          doc={d}
          onDone={(revision) => {
            setEditing(false);
            setNotice(t('docs.saved', { revision }));
          }}
          onCancel={() => setEditing(false)}
        />
      ) : (
        <>
          {d.permissions.edit && (
            <Button iconId="fr-icon-edit-line" className="fr-mb-3w" onClick={() => setEditing(true)}>
              {t('docs.edit')}
            </Button>
          )}
          <div className="fr-mb-6w" data-testid="document-body" dangerouslySetInnerHTML={{ __html: d.html }} />
        </>
      )}
      <Revisions doc={d} onRestored={(revision) => setNotice(t('docs.restoreDone', { revision }))} />
    </>
  );
}

interface Conflict {
  currentRevision: number;
  currentBody: string;
}

/** Markdown editor with a preview; a 409 opens the merge view and keeps what was typed. */
function DocumentEditor({ doc, onDone, onCancel }: { doc: DocumentView; onDone: (revision: number) => void; onCancel: () => void }) {
  const { t } = useI18n();
  const invalidate = useInvalidate();
  const [body, setBody, clearBody] = useDraft(`doc:${doc.id}`, doc.body);
  // The revision this draft was started from: kept with the draft, so a reload stays stale.
  const [base, setBase] = useState<number>(() => Number(localStorage.getItem(`ruche.draft-base.doc:${doc.id}`)) || doc.revision);
  useEffect(() => {
    localStorage.setItem(`ruche.draft-base.doc:${doc.id}`, String(base));
  }, [base, doc.id]);
  const [summary, setSummary] = useState('');
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [merged, setMerged] = useState('');
  const save = useMutation({
    mutationFn: (input: { body: string; baseRevision: number }) =>
      api.put<Landed>(`/api/documents/${doc.id}/content`, { body: input.body, baseRevision: input.baseRevision, ...(summary ? { summary } : {}) }),
    onSuccess: (landed) => {
      clearBody();
      localStorage.removeItem(`ruche.draft-base.doc:${doc.id}`);
      setConflict(null);
      void invalidate(['document', doc.id], ['revisions', doc.id], ['documents', doc.spaceId]);
      onDone(landed.revision);
    },
    onError: (error) => {
      if (error instanceof ApiError && error.status === 409 && typeof error.problem.currentRevision === 'number') {
        const current = { currentRevision: error.problem.currentRevision, currentBody: String(error.problem.currentBody ?? '') };
        setConflict(current);
        setMerged(body);
      }
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate({ body, baseRevision: base });
  };
  if (conflict) {
    return (
      <section aria-labelledby="merge-title" className="fr-mb-6w" data-testid="merge-view">
        <h2 id="merge-title" className="fr-h4">
          {t('merge.title')}
        </h2>
        <p>{t('merge.lead', { revision: conflict.currentRevision })}</p>
        <div className="fr-grid-row fr-grid-row--gutters">
          <div className="fr-col-12 fr-col-md-6">
            <h3 className="fr-h6">{t('merge.theirs', { revision: conflict.currentRevision })}</h3>
            <pre className="ruche-diff" data-testid="merge-theirs">
              {conflict.currentBody}
            </pre>
          </div>
          <div className="fr-col-12 fr-col-md-6">
            <h3 className="fr-h6">{t('merge.mine')}</h3>
            <pre className="ruche-diff" data-testid="merge-mine">
              {body}
            </pre>
          </div>
        </div>
        <h3 className="fr-h6 fr-mt-2w">{t('merge.diff')}</h3>
        <LineDiff from={conflict.currentBody} to={body} />
        <form
          onSubmit={(e) => {
            e.preventDefault();
            setBody(merged);
            setBase(conflict.currentRevision);
            save.mutate({ body: merged, baseRevision: conflict.currentRevision });
          }}
          noValidate
          className="fr-mt-3w"
        >
          <Input
            label={t('merge.result')}
            textArea
            nativeTextAreaProps={{ name: 'merged', className: 'ruche-textarea', value: merged, onChange: (e) => setMerged(e.target.value) }}
            {...fieldState(save.error, 'body')}
          />
          <div className="ruche-inline">
            <Button type="submit" disabled={save.isPending}>
              {t('merge.save')}
            </Button>
            <Button type="button" priority="secondary" onClick={() => setMerged(conflict.currentBody)}>
              {t('merge.takeTheirs')}
            </Button>
            <Button type="button" priority="secondary" onClick={() => setMerged(body)}>
              {t('merge.takeMine')}
            </Button>
          </div>
        </form>
      </section>
    );
  }
  return (
    <form onSubmit={submit} noValidate className="fr-mb-6w" aria-label={t('docs.edit')}>
      <div className="fr-grid-row fr-grid-row--gutters">
        <div className="fr-col-12 fr-col-md-6">
          <Input
            label={t('docs.body')}
            hintText={t('forum.draftKept')}
            textArea
            nativeTextAreaProps={{ name: 'body', className: 'ruche-textarea', value: body, onChange: (e) => setBody(e.target.value) }}
            {...fieldState(save.error, 'body')}
          />
        </div>
        <div className="fr-col-12 fr-col-md-6">
          <p className="fr-label fr-mb-1w" id="preview-title">
            {t('docs.preview')}
          </p>
          <div className="ruche-preview" aria-labelledby="preview-title" data-testid="preview" dangerouslySetInnerHTML={{ __html: previewMarkdown(body) }} />
        </div>
      </div>
      <Input label={t('docs.summary')} nativeInputProps={{ name: 'summary', value: summary, onChange: (e) => setSummary(e.target.value) }} {...fieldState(save.error, 'summary')} />
      <FormError error={save.error} fields={['body', 'summary', 'baseRevision']} />
      <div className="ruche-inline">
        <Button type="submit" disabled={save.isPending}>
          {t('docs.save')}
        </Button>
        <Button
          type="button"
          priority="secondary"
          onClick={() => {
            clearBody();
            localStorage.removeItem(`ruche.draft-base.doc:${doc.id}`);
            onCancel();
          }}
        >
          {t('topic.cancel')}
        </Button>
      </div>
    </form>
  );
}

/** A line diff computed here (jsdiff), for the merge view. */
function LineDiff({ from, to }: { from: string; to: string }) {
  const parts = diffLines(from, to);
  return (
    <pre className="ruche-diff" data-testid="merge-diff">
      {parts.map((part, i) =>
        part.added ? (
          <ins key={i}>{prefix(part.value, '+ ')}</ins>
        ) : part.removed ? (
          <del key={i}>{prefix(part.value, '- ')}</del>
        ) : (
          <span key={i}>{prefix(part.value, '  ')}</span>
        ),
      )}
    </pre>
  );
}

function prefix(text: string, mark: string): string {
  return text
    .replace(/\n$/, '')
    .split('\n')
    .map((line) => mark + line)
    .join('\n');
}

function Revisions({ doc, onRestored }: { doc: DocumentView; onRestored: (revision: number) => void }) {
  const { t } = useI18n();
  const invalidate = useInvalidate();
  const revisions = useQuery({ queryKey: ['revisions', doc.id], queryFn: () => api.get<Page<RevisionItem>>(`/api/documents/${doc.id}/revisions?limit=100`) });
  const [range, setRange] = useState<{ from: number; to: number } | null>(null);
  const diff = useQuery({
    queryKey: ['diff', doc.id, range?.from, range?.to],
    queryFn: () => api.get<RevisionDiff>(`/api/documents/${doc.id}/diff${qs({ from: range!.from, to: range!.to })}`),
    enabled: !!range,
  });
  const restore = useMutation({
    mutationFn: (revision: number) => api.post<Landed>(`/api/documents/${doc.id}/restore`, { revision }),
    onSuccess: (_landed, revision) => {
      void invalidate(['document', doc.id], ['revisions', doc.id]);
      onRestored(revision);
    },
  });
  return (
    <section aria-labelledby="revisions-title">
      <h2 id="revisions-title" className="fr-h4">
        {t('docs.revisions')}
      </h2>
      {revisions.isPending && <Loading />}
      <ErrorNotice error={revisions.error ?? restore.error} />
      <div className="fr-table fr-table--sm fr-table--no-caption">
        <table>
          <caption>{t('docs.revisions')}</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">{t('common.date')}</th>
              <th scope="col">{t('common.name')}</th>
              <th scope="col">{t('docs.summary')}</th>
              <th scope="col">{t('docs.compare')}</th>
            </tr>
          </thead>
          <tbody>
            {revisions.data?.items.map((r) => (
              <tr key={r.revision}>
                <th scope="row">{r.revision}</th>
                <td>{formatDateTime(r.at)}</td>
                <td>{r.author.displayName}</td>
                <td>
                  {r.summary ?? ''}
                  {r.restoredFrom ? ` (${t('docs.restored', { revision: r.restoredFrom })})` : ''}
                </td>
                <td className="ruche-inline">
                  {r.revision > 1 && (
                    <Button size="small" priority="tertiary" onClick={() => setRange({ from: r.revision - 1, to: r.revision })}>
                      {t('docs.compare')} {r.revision - 1} → {r.revision}
                    </Button>
                  )}
                  {doc.permissions.edit && r.revision !== doc.revision && (
                    <Button size="small" priority="tertiary" iconId="fr-icon-arrow-go-back-line" onClick={() => restore.mutate(r.revision)} disabled={restore.isPending}>
                      {t('docs.restore')} {r.revision}
                    </Button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {range && (
        <section aria-labelledby="diff-title" data-testid="revision-diff">
          <h3 id="diff-title" className="fr-h6">
            {t('docs.diff', { from: range.from, to: range.to })}
          </h3>
          {diff.isPending && <Loading />}
          <ErrorNotice error={diff.error} />
          {diff.data && (
            <>
              <p className="fr-text--sm">{t('docs.diffCounts', { added: diff.data.added, removed: diff.data.removed })}</p>
              <pre className="ruche-diff">
                {diff.data.hunks.flatMap((h, i) => [
                  <span key={`h${i}`}>{`@@ −${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`}</span>,
                  ...h.lines.map((line, j) =>
                    line.op === 'add' ? <ins key={`${i}-${j}`}>{`+ ${line.text}`}</ins> : line.op === 'del' ? <del key={`${i}-${j}`}>{`- ${line.text}`}</del> : <span key={`${i}-${j}`}>{`  ${line.text}`}</span>,
                  ),
                ])}
              </pre>
            </>
          )}
        </section>
      )}
    </section>
  );
}
