import { StrictMode, useEffect, useState, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { get, whenUnauthorized } from './api';
import { forgetCredentials, storedCredentials } from './session';
import { href, navigate, useRoute, type Route } from './router';
import type { SessionView } from './types';
import { SignInPage } from './pages/sign-in';
import { ClustersPage } from './pages/clusters';
import { ClusterPage } from './pages/cluster';
import { WizardPage } from './pages/wizard';
import { AccountsPage } from './pages/accounts';
import { ProfilePage, ProfilesPage } from './pages/profiles';
import './styles.css';

function Shell({ session, route, children }: { session: SessionView; route: Route; children: ReactNode }): ReactNode {
  const current = (page: Route['page'][]): { 'aria-current'?: 'page' } => (page.includes(route.page) ? { 'aria-current': 'page' } : {});
  return (
    <>
      <header className="top">
        <a className="brand" href={href({ page: 'clusters' })}>
          Clusterflow
        </a>
        <nav aria-label="Main">
          <a href={href({ page: 'clusters' })} {...current(['clusters', 'cluster'])}>
            Clusters
          </a>
          <a href={href({ page: 'new-cluster' })} {...current(['new-cluster'])}>
            Create cluster
          </a>
          <a href={href({ page: 'accounts' })} {...current(['accounts'])}>
            Cloud accounts
          </a>
          <a href={href({ page: 'profiles' })} {...current(['profiles', 'profile'])}>
            Profiles
          </a>
        </nav>
        <p className="who">
          Project <strong data-testid="project">{session.project}</strong> <span className="role">({session.role})</span>
          <button
            type="button"
            className="link"
            onClick={() => {
              forgetCredentials();
              navigate({ page: 'sign-in' });
              window.location.reload();
            }}
          >
            Sign out
          </button>
        </p>
      </header>
      <main id="main">{children}</main>
    </>
  );
}

function Page({ route, session }: { route: Route; session: SessionView }): ReactNode {
  switch (route.page) {
    case 'clusters':
      return <ClustersPage phase={route.phase} />;
    case 'new-cluster':
      return <WizardPage />;
    case 'cluster':
      return <ClusterPage name={route.name} session={session} />;
    case 'accounts':
      return <AccountsPage />;
    case 'profiles':
      return <ProfilesPage />;
    case 'profile':
      return <ProfilePage id={route.id} />;
    default:
      return (
        <section>
          <h1>Not found</h1>
          <p>
            Nothing at this address. <a href={href({ page: 'clusters' })}>Back to the clusters</a>
          </p>
        </section>
      );
  }
}

function App(): ReactNode {
  const route = useRoute();
  const [session, setSession] = useState<SessionView | undefined>();
  const [checked, setChecked] = useState(false);

  useEffect(() => {
    whenUnauthorized(() => setSession(undefined));
    if (!storedCredentials()) {
      setChecked(true);
      return;
    }
    get<SessionView>('/v1/session')
      .then(setSession)
      .catch(() => forgetCredentials())
      .finally(() => setChecked(true));
  }, []);

  useEffect(() => {
    document.title = session ? `Clusterflow: ${titleOf(route)}` : 'Clusterflow: sign in';
  }, [route, session]);

  if (!checked) return <p className="loading">Loading…</p>;
  if (!session) return <SignInPage onSignedIn={setSession} />;
  if (route.page === 'sign-in') {
    navigate({ page: 'clusters' });
    return null;
  }
  return (
    <Shell session={session} route={route}>
      <Page route={route} session={session} />
    </Shell>
  );
}

function titleOf(route: Route): string {
  switch (route.page) {
    case 'cluster':
      return `cluster ${route.name}`;
    case 'new-cluster':
      return 'create a cluster';
    case 'profile':
      return 'profile';
    default:
      return route.page;
  }
}

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
