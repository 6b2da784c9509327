import type { RouteObject } from 'react-router';
import { Layout } from './components/Layout';
import { RequireAuth } from './components/RequireAuth';
import { AcademyIndicatorsPage } from './pages/AcademyIndicators';
import { DocumentPage } from './pages/Document';
import { ExplainPage } from './pages/Explain';
import { HomePage } from './pages/Home';
import { NotFoundPage } from './pages/NotFound';
import { PublicIndicatorsPage } from './pages/PublicIndicators';
import { SearchPage } from './pages/Search';
import { SignInPage } from './pages/SignIn';
import { SpacePage } from './pages/Space';
import { TopicPage } from './pages/Topic';

const signedIn = (element: React.ReactNode) => <RequireAuth>{element}</RequireAuth>;

/** French addresses: what people see in the bar and share. */
export const routes: RouteObject[] = [
  {
    element: <Layout />,
    children: [
      { path: '/', element: signedIn(<HomePage />) },
      { path: '/connexion', element: <SignInPage /> },
      { path: '/espaces/:spaceId/:tab?', element: signedIn(<SpacePage />) },
      { path: '/sujets/:topicId', element: signedIn(<TopicPage />) },
      { path: '/fiches/:documentId', element: signedIn(<DocumentPage />) },
      { path: '/indicateurs', element: signedIn(<AcademyIndicatorsPage />) },
      { path: '/indicateurs/explication', element: signedIn(<ExplainPage />) },
      { path: '/recherche', element: signedIn(<SearchPage />) },
      { path: '/public/indicateurs', element: <PublicIndicatorsPage /> },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
];
