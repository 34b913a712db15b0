import type { ReactNode } from 'react';
import { get } from '../api';
import { href } from '../router';
import type { ProfileView } from '../types';
import { ErrorBanner, usePolling } from '../ui';

export function ProfilesPage(): ReactNode {
  const { data, error } = usePolling(() => get<ProfileView[]>('/v1/cluster-profiles'), 0, []);
  return (
    <section>
      <h1>Cluster profiles</h1>
      <ErrorBanner error={error} />
      {data ? (
        <table>
          <caption className="sr-only">Profiles of the project</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Packs</th>
              <th scope="col">Built in</th>
              <th scope="col">Description</th>
            </tr>
          </thead>
          <tbody>
            {data.map((p) => (
              <tr key={p.id}>
                <td>
                  <a href={href({ page: 'profile', id: p.id })}>{p.name}</a>
                </td>
                <td>{p.packs.map((k) => `${k.name} ${k.version}`).join(', ')}</td>
                <td>{p.builtIn ? 'yes' : 'no'}</td>
                <td>{p.description ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

export function ProfilePage({ id }: { id: string }): ReactNode {
  const { data, error } = usePolling(() => get<ProfileView>(`/v1/cluster-profiles/${encodeURIComponent(id)}`), 0, [id]);
  return (
    <section>
      <h1>Profile {data?.name ?? id}</h1>
      <ErrorBanner error={error} />
      {data ? (
        <>
          <p>{data.description ?? ''}</p>
          <p className="muted">
            Id {data.id} · {data.builtIn ? 'built in' : `created ${new Date(data.createdAt).toLocaleString()}`}
          </p>
          {data.packs.map((pack) => (
            <article key={pack.name} className="panel" aria-labelledby={`pack-${pack.name}`}>
              <h2 id={`pack-${pack.name}`}>
                {pack.name} {pack.version} <span className="muted">({pack.layer})</span>
              </h2>
              {Object.keys(pack.values).length === 0 ? (
                <p className="muted">No parameters.</p>
              ) : (
                <dl className="facts">
                  {Object.entries(pack.values).map(([key, value]) => (
                    <div key={key}>
                      <dt>{key}</dt>
                      <dd>{typeof value === 'string' ? value : JSON.stringify(value)}</dd>
                    </div>
                  ))}
                </dl>
              )}
            </article>
          ))}
          <p>
            <a href={href({ page: 'profiles' })}>All profiles</a>
          </p>
        </>
      ) : null}
    </section>
  );
}
