import '@codegouvfr/react-dsfr/main.css';
import './styles.css';
import { startReactDsfr } from '@codegouvfr/react-dsfr/spa';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createBrowserRouter, Link, RouterProvider } from 'react-router';
import { ApiError, setUnauthorizedHandler } from './api/client';
import { meKey } from './api/hooks';
import { I18nProvider } from './i18n';
import { live } from './live/client';
import { routes } from './routes';

declare module '@codegouvfr/react-dsfr/spa' {
  interface RegisterLink {
    Link: typeof Link;
  }
}

startReactDsfr({ defaultColorScheme: 'light', Link });

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 10_000,
      refetchOnWindowFocus: false,
      // A 4xx will answer the same again; network errors and 5xx get one more try.
      retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 1,
    },
  },
});

const router = createBrowserRouter(routes);

// An expired session: back to sign-in, then back here.
setUnauthorizedHandler(() => {
  const { pathname, search, hash } = window.location;
  if (pathname.startsWith('/connexion') || pathname.startsWith('/public')) return;
  live.close();
  sessionStorage.setItem('ruche.expired', '1');
  // Navigate first: forgetting the person before would let the page's own guard redirect
  // without saying that the session expired.
  void router
    .navigate(`/connexion?expiree=1&retour=${encodeURIComponent(pathname + search + hash)}`, { replace: true })
    .then(() => queryClient.setQueryData(meKey, null));
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <I18nProvider>
      <QueryClientProvider client={queryClient}>
        <RouterProvider router={router} />
      </QueryClientProvider>
    </I18nProvider>
  </StrictMode>,
);
