import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { api } from '../api/client';
import { meKey } from '../api/hooks';
import type { Me } from '../api/types';
import { fieldState, FormError } from '../components/forms';
import { useTitle } from '../components/Title';
import { useI18n } from '../i18n';
import { live } from '../live/client';
import { DEMO_PERSONAS } from '../lib/personas';

/** Only paths of this app: a `retour` to another site is ignored. */
function safeReturn(value: string | null): string {
  return value && value.startsWith('/') && !value.startsWith('//') ? value : '/';
}

export function SignInPage() {
  const { t } = useI18n();
  useTitle(t('signIn.title'));
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [email, setEmail] = useState('');
  const back = safeReturn(params.get('retour'));
  // Set by the 401 handler (main.tsx): the notice survives a redirect that drops the query.
  const [expired] = useState(() => sessionStorage.getItem('ruche.expired') === '1');
  useEffect(() => sessionStorage.removeItem('ruche.expired'), []);
  const signIn = useMutation({
    mutationFn: (body: { email: string; displayName?: string; roles?: string[]; uai?: string }) => api.post<Me>('/api/auth/dev-login', body, { allowAnonymous: true }),
    onSuccess: (me) => {
      live.close();
      queryClient.clear();
      queryClient.setQueryData(meKey, { id: me.id, email: me.email, displayName: me.displayName, roles: me.roles, uai: me.uai });
      navigate(back, { replace: true });
    },
  });
  // The server signs in one way (AUTH_MODE): only that one is offered.
  const mode = useQuery({
    queryKey: ['auth-mode'],
    queryFn: () => api.get<{ mode: 'dev' | 'oidc' }>('/api/auth/mode', { allowAnonymous: true }),
    staleTime: Infinity,
  });
  const dev = mode.data?.mode === 'dev';
  // Without an answer, the identity provider's link is the one that cannot sign in a stranger.
  const oidc = mode.data?.mode === 'oidc' || mode.isError;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    signIn.mutate({ email: email.trim() });
  };
  return (
    <div className="fr-grid-row fr-grid-row--gutters">
      <div className="fr-col-12">
        <h1>{t('signIn.title')}</h1>
        {(params.get('expiree') || expired) && (
          <div className="fr-alert fr-alert--info fr-alert--sm fr-mb-3w" role="status">
            <p>{t('signIn.expired')}</p>
          </div>
        )}
      </div>
      {oidc && (
        <section className="fr-col-12 fr-col-md-7" aria-labelledby="oidc-title">
          <h2 id="oidc-title" className="fr-h4">
            {t('signIn.oidcTitle')}
          </h2>
          <p className="fr-text--sm">{t('signIn.oidcHint')}</p>
          <a href="/api/auth/oidc/login" className="fr-btn">
            {t('signIn.oidc')}
          </a>
        </section>
      )}
      {dev && (
        <>
          <section className="fr-col-12 fr-col-md-7" aria-labelledby="personas-title">
            <h2 id="personas-title" className="fr-h4">
              {t('signIn.personas')}
            </h2>
            <p className="fr-text--sm">{t('signIn.personasHint')}</p>
            <ul className="ruche-list">
              {DEMO_PERSONAS.map((persona) => (
                <li key={persona.key}>
                  <Button
                    priority="secondary"
                    iconId="fr-icon-user-line"
                    onClick={() =>
                      signIn.mutate({ email: persona.email, displayName: persona.displayName, roles: [...persona.roles], ...('uai' in persona ? { uai: persona.uai } : {}) })
                    }
                    disabled={signIn.isPending}
                    data-persona={persona.key}
                  >
                    {t('signIn.as', { name: persona.displayName })}
                  </Button>
                </li>
              ))}
            </ul>
          </section>
          <section className="fr-col-12 fr-col-md-5" aria-labelledby="email-title">
            <h2 id="email-title" className="fr-h4">
              {t('signIn.email')}
            </h2>
            <form onSubmit={submit} noValidate>
              <Input
                label={t('signIn.email')}
                hintText={t('signIn.emailHint')}
                nativeInputProps={{ type: 'email', name: 'email', autoComplete: 'email', value: email, onChange: (e) => setEmail(e.target.value), required: true }}
                {...fieldState(signIn.error, 'email')}
              />
              <FormError error={signIn.error} fields={['email']} />
              <Button type="submit" disabled={signIn.isPending}>
                {t('signIn.submit')}
              </Button>
            </form>
          </section>
        </>
      )}
    </div>
  );
}
