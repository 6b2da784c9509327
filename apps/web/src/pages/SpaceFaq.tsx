import { Accordion } from '@codegouvfr/react-dsfr/Accordion';
import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { SearchBar } from '@codegouvfr/react-dsfr/SearchBar';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, qs } from '../api/client';
import { useInvalidate } from '../api/hooks';
import type { FaqItem, Landed, Page, SpaceView } from '../api/types';
import { ErrorNotice, fieldState, FormError, Loading } from '../components/forms';
import { useI18n } from '../i18n';
import { useDraft } from '../lib/drafts';

export function SpaceFaq({ space }: { space: SpaceView }) {
  const { t } = useI18n();
  const [q, setQ] = useState('');
  const invalidate = useInvalidate();
  const faq = useQuery({ queryKey: ['faq', space.id, q], queryFn: () => api.get<Page<FaqItem>>(`/api/spaces/${space.id}/faq${qs({ q, limit: 100 })}`) });
  const publish = useMutation({
    mutationFn: ({ id, action }: { id: string; action: 'publish' | 'unpublish' }) => api.post(`/api/faq/${id}/${action}`),
    onSuccess: () => invalidate(['faq', space.id]),
  });
  const [writing, setWriting] = useState(false);
  const byCategory = new Map<string, FaqItem[]>();
  for (const item of faq.data?.items ?? []) {
    const key = item.category || t('faq.noCategory');
    byCategory.set(key, [...(byCategory.get(key) ?? []), item]);
  }
  const canWrite = !!space.myRole && space.myRole !== 'reader';
  return (
    <section aria-labelledby="faq-title">
      <h2 id="faq-title" className="fr-h3">
        {t('space.tab.faq')}
      </h2>
      <div className="fr-mb-3w">
        <SearchBar label={t('faq.search')} onButtonClick={(text) => setQ(text)} allowEmptySearch />
      </div>
      {canWrite && !writing && (
        <Button className="fr-mb-3w" iconId="fr-icon-add-line" onClick={() => setWriting(true)}>
          {t('faq.new')}
        </Button>
      )}
      {writing && <NewFaqForm spaceId={space.id} onDone={() => setWriting(false)} />}
      {faq.isPending && <Loading />}
      <ErrorNotice error={faq.error ?? publish.error} />
      {faq.data?.items.length === 0 && <p>{t('faq.empty')}</p>}
      {[...byCategory].map(([category, items]) => (
        <div key={category} className="fr-mb-4w">
          <h3 className="fr-h5">{category}</h3>
          <div className="fr-accordions-group">
            {items.map((item) => (
              <Accordion key={item.id} label={item.question}>
                {item.status === 'draft' && (
                  <Badge small severity="warning" className="fr-mb-1w">
                    {t('faq.draft')}
                  </Badge>
                )}
                <div dangerouslySetInnerHTML={{ __html: item.html }} />
                {space.permissions.manage && (
                  <Button size="small" priority="secondary" onClick={() => publish.mutate({ id: item.id, action: item.status === 'draft' ? 'publish' : 'unpublish' })}>
                    {item.status === 'draft' ? t('faq.publish') : t('faq.unpublish')}
                  </Button>
                )}
              </Accordion>
            ))}
          </div>
        </div>
      ))}
    </section>
  );
}

function NewFaqForm({ spaceId, onDone }: { spaceId: string; onDone: () => void }) {
  const { t } = useI18n();
  const invalidate = useInvalidate();
  const [question, setQuestion, clearQ] = useDraft(`faq-q:${spaceId}`);
  const [answer, setAnswer, clearA] = useDraft(`faq-a:${spaceId}`);
  const [category, setCategory, clearC] = useDraft(`faq-c:${spaceId}`);
  const create = useMutation({
    mutationFn: () => api.post<Landed>(`/api/spaces/${spaceId}/faq`, { question, answer, ...(category ? { category } : {}) }),
    onSuccess: () => {
      clearQ();
      clearA();
      clearC();
      void invalidate(['faq', spaceId]);
      onDone();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <form onSubmit={submit} noValidate className="fr-mb-4w">
      <Input label={t('faq.question')} nativeInputProps={{ name: 'question', value: question, onChange: (e) => setQuestion(e.target.value) }} {...fieldState(create.error, 'question')} />
      <Input label={t('faq.answer')} hintText={t('forum.bodyHint')} textArea nativeTextAreaProps={{ name: 'answer', rows: 5, value: answer, onChange: (e) => setAnswer(e.target.value) }} {...fieldState(create.error, 'answer')} />
      <Input label={t('faq.category')} nativeInputProps={{ name: 'category', value: category, onChange: (e) => setCategory(e.target.value) }} {...fieldState(create.error, 'category')} />
      <FormError error={create.error} fields={['question', 'answer', 'category']} />
      <div className="ruche-inline">
        <Button type="submit" disabled={create.isPending}>
          {t('faq.create')}
        </Button>
        <Button type="button" priority="secondary" onClick={onDone}>
          {t('topic.cancel')}
        </Button>
      </div>
    </form>
  );
}
