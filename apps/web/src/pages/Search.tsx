import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, ApiError, qs } from '../api/client';
import type { Page, SearchHit, SearchType } from '../api/types';
import { ErrorNotice, fieldState, Loading } from '../components/forms';
import { useTitle } from '../components/Title';
import { useI18n, type MessageKey } from '../i18n';
import { formatDateTime } from '../lib/dates';
import { Highlighted } from '../lib/highlight';

const TYPES: SearchType[] = ['topic', 'post', 'faq', 'document'];

function hitLink(hit: SearchHit): string {
  switch (hit.type) {
    case 'topic':
      return `/sujets/${hit.topicId ?? hit.id}`;
    case 'post':
      return hit.topicId ? `/sujets/${hit.topicId}#post-${hit.id}` : '/';
    case 'faq':
      return hit.spaceId ? `/espaces/${hit.spaceId}/faq` : '/';
    case 'document':
      return `/fiches/${hit.documentId ?? hit.id}`;
    default:
      return '/';
  }
}

export function SearchPage() {
  const { t, tn } = useI18n();
  useTitle(t('search.title'));
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const type = params.get('type') ?? '';
  const [text, setText] = useState(q);
  const [kind, setKind] = useState(type);
  const results = useQuery({
    queryKey: ['search', q, type],
    queryFn: () => api.get<Page<SearchHit>>(`/api/search${qs({ q, type, limit: 50 })}`),
    enabled: q.trim().length > 0,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setParams(text.trim() ? { q: text.trim(), ...(kind ? { type: kind } : {}) } : {});
  };
  return (
    <>
      <h1>{t('search.title')}</h1>
      <form role="search" onSubmit={submit} className="fr-mb-4w" noValidate>
        <div className="fr-grid-row fr-grid-row--gutters fr-grid-row--bottom">
          <div className="fr-col-12 fr-col-md-6">
            <Input label={t('search.label')} nativeInputProps={{ type: 'search', name: 'q', value: text, onChange: (e) => setText(e.target.value) }} {...fieldState(results.error, 'q')} />
          </div>
          <div className="fr-col-12 fr-col-md-3">
            <Select label={t('search.type')} nativeSelectProps={{ name: 'type', value: kind, onChange: (e) => setKind(e.target.value) }}>
              <option value="">{t('search.type.all')}</option>
              {TYPES.map((x) => (
                <option key={x} value={x}>
                  {t(`search.type.${x}` as MessageKey)}
                </option>
              ))}
            </Select>
          </div>
          <div className="fr-col-12 fr-col-md-3">
            <Button type="submit" iconId="fr-icon-search-line">
              {t('search.title')}
            </Button>
          </div>
        </div>
      </form>
      {results.isFetching && <Loading />}
      {results.error instanceof ApiError && results.error.status === 404 ? (
        <Alert severity="info" small description={t('home.unavailable')} />
      ) : (
        <ErrorNotice error={results.error} />
      )}
      {results.data && (
        <section aria-labelledby="results-title">
          <h2 id="results-title" className="fr-h5" aria-live="polite">
            {results.data.items.length === 0 ? t('search.none') : tn('search.results', results.data.items.length)}
          </h2>
          <ol className="ruche-list" data-testid="search-results">
            {results.data.items.map((hit) => (
              <li key={`${hit.type}-${hit.id}`}>
                <p className="fr-text--xs fr-mb-1v">
                  {t(`search.type.${hit.type}` as MessageKey)}
                  {hit.spaceName ? ` · ${hit.spaceName}` : ''}
                  {hit.createdAt ? ` · ${formatDateTime(hit.createdAt)}` : ''}
                </p>
                <h3 className="fr-h6 fr-mb-1v">
                  <Link to={hitLink(hit)}>{hit.title ? <Highlighted excerpt={hit.title} /> : t(`search.type.${hit.type}` as MessageKey)}</Link>
                </h3>
                {hit.excerpt && (
                  <p className="fr-text--sm">
                    <Highlighted excerpt={hit.excerpt} />
                  </p>
                )}
              </li>
            ))}
          </ol>
        </section>
      )}
    </>
  );
}
