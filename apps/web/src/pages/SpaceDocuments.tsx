import { Button } from '@codegouvfr/react-dsfr/Button';
import { Checkbox } from '@codegouvfr/react-dsfr/Checkbox';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, qs } from '../api/client';
import { useInvalidate } from '../api/hooks';
import type { DocumentListItem, Landed, Page, SpaceView } from '../api/types';
import { ErrorNotice, fieldState, FormError, Loading } from '../components/forms';
import { useI18n } from '../i18n';
import { formatDateTime } from '../lib/dates';
import { useDraft } from '../lib/drafts';
import { PIX_COMPETENCES } from '../lib/pix';

export function SpaceDocuments({ space }: { space: SpaceView }) {
  const { t } = useI18n();
  const [competence, setCompetence] = useState('');
  const docs = useQuery({
    queryKey: ['documents', space.id, competence],
    queryFn: () => api.get<Page<DocumentListItem>>(`/api/spaces/${space.id}/documents${qs({ competence, limit: 100 })}`),
  });
  const [writing, setWriting] = useState(false);
  const canWrite = !!space.myRole && space.myRole !== 'reader';
  return (
    <section aria-labelledby="docs-title">
      <h2 id="docs-title" className="fr-h3">
        {t('space.tab.documents')}
      </h2>
      <div className="ruche-inline fr-mb-2w">
        <Select label={t('docs.filter')} nativeSelectProps={{ name: 'competence', value: competence, onChange: (e) => setCompetence(e.target.value) }}>
          <option value="">{t('docs.all')}</option>
          {PIX_COMPETENCES.map((c) => (
            <option key={c.code} value={c.code}>
              {c.code} — {c.label}
            </option>
          ))}
        </Select>
        {canWrite && !writing && (
          <Button iconId="fr-icon-add-line" onClick={() => setWriting(true)}>
            {t('docs.new')}
          </Button>
        )}
      </div>
      {writing && <NewDocumentForm spaceId={space.id} onCancel={() => setWriting(false)} />}
      {docs.isPending && <Loading />}
      <ErrorNotice error={docs.error} />
      {docs.data?.items.length === 0 && <p>{t('docs.empty')}</p>}
      <ul className="ruche-list" data-testid="documents">
        {docs.data?.items.map((doc) => (
          <li key={doc.id}>
            <h3 className="fr-h6 fr-mb-1v">
              <Link to={`/fiches/${doc.id}`}>{doc.title}</Link>
            </h3>
            <p className="fr-text--sm fr-mb-1v">{doc.excerpt}</p>
            <div className="ruche-inline fr-text--xs">
              {doc.competences.map((c) => (
                <span key={c.code} className="fr-tag fr-tag--sm" title={c.label}>
                  {c.code}
                </span>
              ))}
              <span>
                {t('docs.revision', { revision: doc.revision })} · {t('docs.updated', { date: formatDateTime(doc.updatedAt) })}
              </span>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

function NewDocumentForm({ spaceId, onCancel }: { spaceId: string; onCancel: () => void }) {
  const { t } = useI18n();
  const navigate = useNavigate();
  const invalidate = useInvalidate();
  const [title, setTitle, clearTitle] = useDraft(`doc-title:${spaceId}`);
  const [body, setBody, clearBody] = useDraft(`doc-body:${spaceId}`);
  const [competences, setCompetences] = useState<string[]>([]);
  const create = useMutation({
    mutationFn: () => api.post<Landed>(`/api/spaces/${spaceId}/documents`, { title, body, competences }),
    onSuccess: (landed) => {
      clearTitle();
      clearBody();
      void invalidate(['documents', spaceId]);
      navigate(`/fiches/${landed.id}`);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <form onSubmit={submit} noValidate className="fr-mb-4w">
      <Input label={t('docs.title')} nativeInputProps={{ name: 'title', value: title, onChange: (e) => setTitle(e.target.value) }} {...fieldState(create.error, 'title')} />
      <Checkbox
        legend={t('docs.competences')}
        small
        orientation="horizontal"
        {...fieldState(create.error, 'competences')}
        options={PIX_COMPETENCES.map((c) => ({
          label: c.code,
          hintText: c.label,
          nativeInputProps: {
            name: 'competences',
            value: c.code,
            checked: competences.includes(c.code),
            onChange: (e) => setCompetences((cs) => (e.target.checked ? [...cs, c.code] : cs.filter((x) => x !== c.code))),
          },
        }))}
      />
      <Input label={t('docs.body')} textArea nativeTextAreaProps={{ name: 'body', rows: 8, value: body, onChange: (e) => setBody(e.target.value) }} {...fieldState(create.error, 'body')} />
      <FormError error={create.error} fields={['title', 'body', 'competences']} />
      <div className="ruche-inline">
        <Button type="submit" disabled={create.isPending}>
          {t('docs.create')}
        </Button>
        <Button type="button" priority="secondary" onClick={onCancel}>
          {t('topic.cancel')}
        </Button>
      </div>
    </form>
  );
}
