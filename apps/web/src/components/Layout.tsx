import { Footer } from '@codegouvfr/react-dsfr/Footer';
import { Header } from '@codegouvfr/react-dsfr/Header';
import { SkipLinks } from '@codegouvfr/react-dsfr/SkipLinks';
import { useQueryClient } from '@tanstack/react-query';
import { Outlet, useLocation, useNavigate } from 'react-router';
import { api } from '../api/client';
import { meKey, useMe } from '../api/hooks';
import { useI18n } from '../i18n';
import { live } from '../live/client';
import { INDICATOR_ROLES } from '../lib/personas';
import { ConnectionBanner } from './ConnectionBanner';

export function Layout() {
  const { t, lang, setLang } = useI18n();
  const me = useMe().data ?? null;
  const location = useLocation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const path = location.pathname;
  const signOut = async () => {
    await api.post('/api/auth/logout').catch(() => undefined);
    live.close();
    queryClient.clear();
    queryClient.setQueryData(meKey, null);
    navigate('/connexion');
  };
  const brand = t('app.brand')
    .split('\n')
    .flatMap((line, i) => (i === 0 ? [line] : [<br key={i} />, line]));
  const navigation = [
    ...(me ? [{ text: t('nav.home'), linkProps: { to: '/' }, isActive: path === '/' || path.startsWith('/espaces') || path.startsWith('/sujets') || path.startsWith('/fiches') }] : []),
    ...(me ? [{ text: t('nav.search'), linkProps: { to: '/recherche' }, isActive: path.startsWith('/recherche') }] : []),
    ...(me && me.roles.some((r) => INDICATOR_ROLES.includes(r))
      ? [{ text: t('nav.indicators'), linkProps: { to: '/indicateurs' }, isActive: path === '/indicateurs' || path.startsWith('/indicateurs/') }]
      : []),
    { text: t('nav.public'), linkProps: { to: '/public/indicateurs' }, isActive: path.startsWith('/public') },
  ];
  return (
    <>
      <SkipLinks
        links={[
          { anchor: '#contenu', label: t('app.skip.content') },
          { anchor: '#header-navigation', label: t('app.skip.nav') },
        ]}
      />
      <Header
        brandTop={<>{brand}</>}
        serviceTitle={t('app.name')}
        serviceTagline={t('app.tagline')}
        homeLinkProps={{ to: '/', title: `${t('nav.home')} — ${t('app.name')}` }}
        navigation={navigation}
        quickAccessItems={[
          {
            iconId: 'fr-icon-translate-2',
            text: lang === 'fr' ? 'English' : 'Français',
            buttonProps: { onClick: () => setLang(lang === 'fr' ? 'en' : 'fr'), lang: lang === 'fr' ? 'en' : 'fr' },
          },
          me
            ? { iconId: 'fr-icon-logout-box-r-line', text: `${t('app.signOut')} (${me.displayName})`, buttonProps: { onClick: () => void signOut() } }
            : { iconId: 'fr-icon-account-circle-line', text: t('app.signIn'), linkProps: { to: '/connexion' } },
        ]}
      />
      <main id="contenu" tabIndex={-1} className="fr-container fr-py-4w ruche-main">
        <ConnectionBanner />
        <Outlet />
      </main>
      <Footer accessibility="partially compliant" contentDescription={t('app.footer')} bottomItems={[{ text: 'API', linkProps: { href: '/api/docs' } }]} />
    </>
  );
}
