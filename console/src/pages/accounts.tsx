import { useState, type FormEvent, type ReactNode } from 'react';
import { ApiProblem, call, get, type FieldProblem } from '../api';
import type { AccountView } from '../types';
import { describedBy, ErrorBanner, FieldErrors, usePolling } from '../ui';

interface Keys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

const NO_KEYS: Keys = { accessKeyId: '', secretAccessKey: '', sessionToken: '' };

/** The key fields of both forms; the secret is never shown back (the API answers it masked or not at all). */
function KeyFields({ prefix, keys, onChange, problems }: { prefix: string; keys: Keys; onChange: (keys: Keys) => void; problems: FieldProblem[] }): ReactNode {
  return (
    <>
      <div className="field">
        <label htmlFor={`${prefix}-access-key`}>Access key id</label>
        <input id={`${prefix}-access-key`} autoComplete="off" value={keys.accessKeyId} onChange={(e) => onChange({ ...keys, accessKeyId: e.target.value })} {...describedBy('accessKeyId', problems)} />
        <FieldErrors field="accessKeyId" problems={problems} />
      </div>
      <div className="field">
        <label htmlFor={`${prefix}-secret`}>Secret access key</label>
        <input id={`${prefix}-secret`} type="password" autoComplete="off" value={keys.secretAccessKey} onChange={(e) => onChange({ ...keys, secretAccessKey: e.target.value })} {...describedBy('secretAccessKey', problems)} />
        <FieldErrors field="secretAccessKey" problems={problems} />
      </div>
      <div className="field">
        <label htmlFor={`${prefix}-session-token`}>Session token (optional)</label>
        <input id={`${prefix}-session-token`} type="password" autoComplete="off" value={keys.sessionToken} onChange={(e) => onChange({ ...keys, sessionToken: e.target.value })} {...describedBy('sessionToken', problems)} />
        <FieldErrors field="sessionToken" problems={problems} />
      </div>
    </>
  );
}

function keysBody(keys: Keys): Record<string, string> {
  return { accessKeyId: keys.accessKeyId.trim(), secretAccessKey: keys.secretAccessKey, ...(keys.sessionToken ? { sessionToken: keys.sessionToken } : {}) };
}

function problemsOf(error: unknown): FieldProblem[] {
  return error instanceof ApiProblem ? error.problems : [];
}

export function AccountsPage(): ReactNode {
  const accounts = usePolling(() => get<AccountView[]>('/v1/cloud-accounts'), 0, []);
  const [name, setName] = useState('');
  const [keys, setKeys] = useState<Keys>(NO_KEYS);
  const [error, setError] = useState<unknown>();
  const [added, setAdded] = useState<string | undefined>();

  async function add(e: FormEvent): Promise<void> {
    e.preventDefault();
    setError(undefined);
    setAdded(undefined);
    try {
      const view = await call<AccountView>('POST', '/v1/cloud-accounts', { name: name.trim(), ...keysBody(keys) });
      setAdded(`Added ${view.name} (${view.id}), AWS account ${view.awsAccountId ?? 'unknown'}`);
      setName('');
      setKeys(NO_KEYS);
      accounts.reload();
    } catch (err) {
      setError(err);
    }
  }
  const problems = problemsOf(error);
  return (
    <section>
      <h1>Cloud accounts</h1>
      <ErrorBanner error={accounts.error} />
      {accounts.data && accounts.data.length === 0 ? <p>No cloud accounts yet.</p> : null}
      {accounts.data?.map((a) => <AccountCard key={a.id} account={a} onChanged={accounts.reload} />)}
      <form className="panel" onSubmit={(e) => void add(e)} aria-labelledby="add-account-heading">
        <h2 id="add-account-heading">Add an account</h2>
        <p className="muted">The keys are verified with STS and stored sealed; they are never shown again.</p>
        <div className="field">
          <label htmlFor="account-name">Name</label>
          <input id="account-name" value={name} onChange={(e) => setName(e.target.value)} {...describedBy('name', problems)} />
          <FieldErrors field="name" problems={problems} />
        </div>
        <KeyFields prefix="account" keys={keys} onChange={setKeys} problems={problems} />
        <button type="submit">Add account</button>
        {problems.length === 0 ? <ErrorBanner error={error} /> : null}
        {added ? (
          <p className="banner ok" role="status">
            {added}
          </p>
        ) : null}
      </form>
    </section>
  );
}

function AccountCard({ account, onChanged }: { account: AccountView; onChanged: () => void }): ReactNode {
  const [rotating, setRotating] = useState(false);
  const [keys, setKeys] = useState<Keys>(NO_KEYS);
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<string | undefined>();
  const prefix = `rotate-${account.id}`;
  async function rotate(e: FormEvent): Promise<void> {
    e.preventDefault();
    setError(undefined);
    try {
      const view = await call<AccountView>('PATCH', `/v1/cloud-accounts/${encodeURIComponent(account.id)}`, keysBody(keys));
      setDone(`Keys rotated: now ${view.accessKeyId}`);
      setKeys(NO_KEYS);
      setRotating(false);
      onChanged();
    } catch (err) {
      setError(err);
    }
  }
  const problems = problemsOf(error);
  return (
    <article className="panel account" data-account={account.name} aria-labelledby={`${prefix}-heading`}>
      <h2 id={`${prefix}-heading`}>{account.name}</h2>
      <dl className="facts">
        <dt>Id</dt>
        <dd>{account.id}</dd>
        <dt>Access key</dt>
        <dd>{account.accessKeyId}</dd>
        <dt>AWS account</dt>
        <dd>{account.awsAccountId ?? 'unknown'}</dd>
        <dt>Used by</dt>
        <dd>{account.clusters.length > 0 ? account.clusters.join(', ') : 'no cluster'}</dd>
      </dl>
      {done ? (
        <p className="banner ok" role="status">
          {done}
        </p>
      ) : null}
      {rotating ? (
        <form onSubmit={(e) => void rotate(e)} aria-label={`Rotate the keys of ${account.name}`}>
          <KeyFields prefix={prefix} keys={keys} onChange={setKeys} problems={problems} />
          <button type="submit">Rotate keys</button>{' '}
          <button type="button" onClick={() => setRotating(false)}>
            Cancel
          </button>
          {problems.length === 0 ? <ErrorBanner error={error} /> : null}
        </form>
      ) : (
        <button type="button" onClick={() => setRotating(true)}>
          Rotate the keys of {account.name}
        </button>
      )}
    </article>
  );
}
