import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { useMe } from '../api/hooks';
import { ErrorNotice, Loading } from './forms';

/** Pages for signed-in people: the others go to sign-in, and come back here after it. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const me = useMe();
  const location = useLocation();
  if (me.isPending) return <Loading />;
  if (me.isError) return <ErrorNotice error={me.error} />;
  if (!me.data) {
    const back = location.pathname + location.search + location.hash;
    return <Navigate to={`/connexion?retour=${encodeURIComponent(back)}`} replace />;
  }
  return <>{children}</>;
}
