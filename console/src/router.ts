import { useEffect, useState } from 'react';

/**
 * Routes live in the URL's hash (`#/clusters/demo`): the server only ever serves `/` and its
 * assets, so the console needs no fallback route that could shadow the API's.
 */
export type Route =
  | { page: 'sign-in' }
  | { page: 'clusters'; phase?: string }
  | { page: 'new-cluster' }
  | { page: 'cluster'; name: string }
  | { page: 'accounts' }
  | { page: 'profiles' }
  | { page: 'profile'; id: string }
  | { page: 'not-found'; hash: string };

export function parseRoute(hash: string): Route {
  const [pathPart, query = ''] = hash.replace(/^#/, '').split('?');
  const parts = pathPart.split('/').filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(query);
  if (parts.length === 0 || (parts[0] === 'clusters' && parts.length === 1)) return { page: 'clusters', phase: params.get('phase') ?? undefined };
  if (parts[0] === 'sign-in' && parts.length === 1) return { page: 'sign-in' };
  if (parts[0] === 'clusters' && parts[1] === 'new' && parts.length === 2) return { page: 'new-cluster' };
  if (parts[0] === 'clusters' && parts.length === 2) return { page: 'cluster', name: parts[1] };
  if (parts[0] === 'accounts' && parts.length === 1) return { page: 'accounts' };
  if (parts[0] === 'profiles' && parts.length === 1) return { page: 'profiles' };
  if (parts[0] === 'profiles' && parts.length === 2) return { page: 'profile', id: parts[1] };
  return { page: 'not-found', hash };
}

export function href(route: Route): string {
  switch (route.page) {
    case 'sign-in':
      return '#/sign-in';
    case 'clusters':
      return route.phase ? `#/clusters?phase=${encodeURIComponent(route.phase)}` : '#/clusters';
    case 'new-cluster':
      return '#/clusters/new';
    case 'cluster':
      return `#/clusters/${encodeURIComponent(route.name)}`;
    case 'accounts':
      return '#/accounts';
    case 'profiles':
      return '#/profiles';
    case 'profile':
      return `#/profiles/${encodeURIComponent(route.id)}`;
    case 'not-found':
      return route.hash;
  }
}

export function navigate(route: Route): void {
  window.location.hash = href(route);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const changed = (): void => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return route;
}
