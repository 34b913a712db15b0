import { useState, type FormEvent, type ReactNode } from 'react';
import { ApiProblem, call } from '../api';
import { storeCredentials } from '../session';
import type { SessionView } from '../types';

/** Trades nothing: the token is checked with /v1/session and kept in sessionStorage, for this browser session only. */
export function SignInPage({ onSignedIn }: { onSignedIn: (session: SessionView) => void }): ReactNode {
  const [token, setToken] = useState('');
  const [project, setProject] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    const credentials = { token: token.trim(), project: project.trim() || undefined };
    try {
      const session = await call<SessionView>('GET', '/v1/session', undefined, credentials);
      storeCredentials(credentials);
      setToken('');
      onSignedIn(session);
    } catch (e) {
      setError(e instanceof ApiProblem ? `Refused (${e.status}): ${e.message}` : `The API did not answer: ${(e as Error).message}`);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" className="sign-in">
      <h1>Sign in to Clusterflow</h1>
      <p>The token is kept in this browser tab's session only, and sent to this API alone.</p>
      <form onSubmit={(e) => void submit(e)}>
        <label htmlFor="token">API token</label>
        <input id="token" name="token" type="password" autoComplete="off" required value={token} onChange={(e) => setToken(e.target.value)} />
        <label htmlFor="project">Project (admin token only; empty: default)</label>
        <input id="project" name="project" value={project} onChange={(e) => setProject(e.target.value)} />
        <button type="submit" disabled={busy || token.trim() === ''}>
          Sign in
        </button>
        {error ? (
          <p className="banner error" role="alert">
            {error}
          </p>
        ) : null}
      </form>
    </main>
  );
}
