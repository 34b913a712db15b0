import { useState, type ReactNode } from 'react';
import { get } from '../api';
import { href, navigate } from '../router';
import type { ClusterListing, OperationView } from '../types';
import { ErrorBanner, StateBadge, usePolling } from '../ui';

const LISTED_PHASES = ['Provisioning', 'Running', 'Updating', 'Deleting', 'Failed'];

/** The running operation's progress is not in the listing: one read per cluster that has one. */
function OperationProgress({ cluster, id }: { cluster: string; id: string }): ReactNode {
  const { data } = usePolling(() => get<OperationView>(`/v1/clusters/${encodeURIComponent(cluster)}/operations/${encodeURIComponent(id)}`), 3000, [cluster, id]);
  const progress = data?.progress;
  return (
    <span>
      {id}
      {progress ? (
        <>
          {' '}
          <progress max={progress.total} value={progress.completed} aria-label={`${id} progress`} /> {progress.completed}/{progress.total}
        </>
      ) : null}
    </span>
  );
}

export function ClustersPage({ phase }: { phase?: string }): ReactNode {
  const [pageToken, setPageToken] = useState<string | undefined>();
  const { data, error } = usePolling(
    () => get<{ items: ClusterListing[]; nextPageToken?: string }>(`/v1/clusters?${new URLSearchParams({ limit: '50', ...(phase ? { phase } : {}), ...(pageToken ? { pageToken } : {}) })}`),
    3000,
    [phase, pageToken],
  );
  return (
    <section>
      <h1>Clusters</h1>
      <div className="toolbar">
        <label htmlFor="phase-filter">Phase</label>
        <select
          id="phase-filter"
          value={phase ?? ''}
          onChange={(e) => {
            setPageToken(undefined);
            navigate({ page: 'clusters', phase: e.target.value || undefined });
          }}
        >
          <option value="">all</option>
          {LISTED_PHASES.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
        <a className="button" href={href({ page: 'new-cluster' })}>
          Create cluster
        </a>
      </div>
      <ErrorBanner error={error} />
      {data && data.items.length === 0 ? <p>No clusters{phase ? ` in phase ${phase}` : ''} yet.</p> : null}
      {data && data.items.length > 0 ? (
        <table className="clusters">
          <caption className="sr-only">Clusters of the project</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Phase</th>
              <th scope="col">Region</th>
              <th scope="col">Pools</th>
              <th scope="col">Running operation</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((c) => (
              <tr key={c.name} data-cluster={c.name}>
                <td>
                  <a href={href({ page: 'cluster', name: c.name })}>{c.name}</a>
                </td>
                <td>
                  <StateBadge state={c.phase} />
                  {c.lastError ? <div className="muted small">{c.lastError}</div> : null}
                </td>
                <td>{c.region}</td>
                <td>
                  {c.pools.map((p) => (
                    <div key={p.name}>
                      {p.name} ({p.role}): {p.nodes ?? '?'}/{p.desired} × {p.instanceType}
                      {p.capacity.type === 'spot' ? `, spot ${p.capacity.maxPricePercent}%` : ''}
                    </div>
                  ))}
                </td>
                <td>{c.currentOperation ? <OperationProgress cluster={c.name} id={c.currentOperation.id} /> : <span className="muted">none</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {pageToken ? (
        <button type="button" onClick={() => setPageToken(undefined)}>
          First page
        </button>
      ) : null}
      {data?.nextPageToken ? (
        <button type="button" onClick={() => setPageToken(data.nextPageToken)}>
          Next page
        </button>
      ) : null}
    </section>
  );
}
