import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError } from './client';
import type { Me } from './types';

export const meKey = ['me'] as const;

/** The signed-in person, or null when nobody is (a 401 here is an answer, not an expiry). */
export function useMe() {
  return useQuery<Me | null>({
    queryKey: meKey,
    queryFn: async () => {
      try {
        return await api.get<Me>('/api/me', { allowAnonymous: true });
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return null;
        throw error;
      }
    },
    staleTime: 60_000,
  });
}

export function useInvalidate() {
  const client = useQueryClient();
  return (...keys: ReadonlyArray<readonly unknown[]>) => Promise.all(keys.map((queryKey) => client.invalidateQueries({ queryKey })));
}

/** Whether the query failed because the endpoint is not there (yet) on this server. */
export function isMissing(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404;
}
