import { useState, type FormEvent, type ReactNode } from 'react';
import { ApiProblem, call, get, type FieldProblem } from '../api';
import { href, navigate } from '../router';
import type { ClusterStatus, NetworkStatus, NodeStatus, OperationView, PoolStatus, SessionView } from '../types';
import { describedBy, duration, ErrorBanner, FieldErrors, StateBadge, UnplacedProblems, usePolling } from '../ui';

const POLL_MS = 1500;

function clusterPath(name: string, ...rest: string[]): string {
  return ['/v1/clusters', name, ...rest].map((s, i) => (i === 0 ? s : encodeURIComponent(s))).join('/');
}

/** An operation's child workflow (common/workflow-ids.ts `operationWorkflowId`; restated here, the console imports types only). */
function workflowUrl(session: SessionView, cluster: string, operationId: string): string {
  const workflowId = `cluster/${session.project}/${cluster}/${operationId}`;
  return `${session.temporalUi.url}/namespaces/${encodeURIComponent(session.temporalUi.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** A change's outcome, shown where the operator asked it. */
interface Outcome {
  message?: string;
  error?: unknown;
  problems: FieldProblem[];
}

function useChange(onDone: () => void): { outcome: Outcome; run: (change: () => Promise<{ operationId?: string }>, what: string) => Promise<boolean> } {
  const [outcome, setOutcome] = useState<Outcome>({ problems: [] });
  async function run(change: () => Promise<{ operationId?: string }>, what: string): Promise<boolean> {
    setOutcome({ problems: [] });
    try {
      const answer = await change();
      setOutcome({ message: `${what}: accepted as ${answer.operationId ?? 'an operation'}`, problems: [] });
      onDone();
      return true;
    } catch (error) {
      setOutcome({ error, problems: error instanceof ApiProblem ? error.problems : [] });
      return false;
    }
  }
  return { outcome, run };
}

function OutcomeLine({ outcome }: { outcome: Outcome }): ReactNode {
  if (outcome.error) return <ErrorBanner error={outcome.error} />;
  if (outcome.message)
    return (
      <p className="banner ok" role="status">
        {outcome.message}
      </p>
    );
  return null;
}

export function ClusterPage({ name, session }: { name: string; session: SessionView }): ReactNode {
  const status = usePolling(() => get<ClusterStatus>(clusterPath(name)), POLL_MS, [name]);
  const operations = usePolling(() => get<OperationView[]>(`${clusterPath(name, 'operations')}?limit=20`), POLL_MS, [name]);
  const reload = (): void => {
    status.reload();
    operations.reload();
  };
  const cluster = status.data;
  if (!cluster) {
    return (
      <section>
        <h1>Cluster {name}</h1>
        {status.error ? <ErrorBanner error={status.error} /> : <p className="loading">Loading…</p>}
      </section>
    );
  }
  const running = cluster.phase === 'Running';
  const canChange = session.role !== 'viewer';
  const current = operations.data?.find((o) => o.state === 'Running');
  return (
    <section>
      <h1>
        Cluster {cluster.name} <StateBadge state={cluster.phase} />
      </h1>
      <p className="muted">
        {cluster.region} · project {cluster.project}
        {cluster.createdAt ? ` · created ${new Date(cluster.createdAt).toLocaleString()}` : ''}
      </p>
      {cluster.lastError ? (
        <p className="banner error" role="alert">
          Last error: {cluster.lastError}
        </p>
      ) : null}
      <ErrorBanner error={status.error} />
      <ProvisioningStatus cluster={cluster} operations={operations.data ?? []} current={current} session={session} canChange={canChange} onChanged={reload} />
      <NodesView cluster={cluster} running={running} canChange={canChange} onChanged={reload} />
      <NetworkView network={cluster.network} />
      {canChange && cluster.phase !== 'Deleted' && cluster.phase !== 'Deleting' ? <DeleteCluster name={cluster.name} onChanged={reload} /> : null}
    </section>
  );
}

function TaskTable({ caption, tasks, now }: { caption: string; tasks: NonNullable<OperationView['tasks']>; now: number }): ReactNode {
  return (
    <table className="tasks">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Task</th>
          <th scope="col">State</th>
          <th scope="col">Duration</th>
          <th scope="col">Message</th>
        </tr>
      </thead>
      <tbody>
        {tasks.map((t) => (
          <tr key={t.name} data-task={t.name} data-state={t.state}>
            <td>{t.name}</td>
            <td>
              <StateBadge state={t.state} />
            </td>
            <td>{duration(t.startedAt, t.finishedAt, now)}</td>
            <td>{t.message ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ProvisioningStatus(props: { cluster: ClusterStatus; operations: OperationView[]; current?: OperationView; session: SessionView; canChange: boolean; onChanged: () => void }): ReactNode {
  const { cluster, operations, current, session, canChange, onChanged } = props;
  const { outcome, run } = useChange(onChanged);
  const now = Date.now();
  const past = operations.filter((o) => o !== current).reverse();
  const latest = operations[operations.length - 1];
  return (
    <section aria-labelledby="provisioning-heading" className="panel">
      <h2 id="provisioning-heading">Provisioning status</h2>
      <OutcomeLine outcome={outcome} />
      {current ? (
        <div className="current-operation" data-operation={current.id}>
          <h3>
            {current.id} <StateBadge state={current.state} />{' '}
            {current.progress ? (
              <>
                <progress max={current.progress.total} value={current.progress.completed} aria-label="progress" /> {current.progress.completed}/{current.progress.total} tasks
              </>
            ) : null}
          </h3>
          <p>
            Running for {duration(current.startedAt, undefined, now)} ·{' '}
            <a href={workflowUrl(session, cluster.name, current.id)} target="_blank" rel="noreferrer">
              workflow in the Temporal Web UI
            </a>
            {canChange && current.type !== 'delete' ? (
              <>
                {' '}
                <button type="button" onClick={() => void run(() => call('POST', clusterPath(cluster.name, 'operations', current.id, 'cancel')), `Cancel ${current.id}`)}>
                  Cancel {current.id}
                </button>
              </>
            ) : null}
          </p>
          {current.retrying && current.retrying.length > 0 ? (
            <table className="retrying">
              <caption>Calls being retried</caption>
              <thead>
                <tr>
                  <th scope="col">Task</th>
                  <th scope="col">Call</th>
                  <th scope="col">Attempt</th>
                  <th scope="col">Last error</th>
                  <th scope="col">Next attempt</th>
                </tr>
              </thead>
              <tbody>
                {current.retrying.map((r, i) => (
                  <tr key={i}>
                    <td>{r.task ?? ''}</td>
                    <td>{r.activity}</td>
                    <td>{r.attempt}</td>
                    <td>{r.lastError}</td>
                    <td>{r.nextAttemptAt ? new Date(r.nextAttemptAt).toLocaleTimeString() : ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
          <TaskTable caption={`Tasks of ${current.id}`} tasks={current.tasks ?? []} now={now} />
        </div>
      ) : (
        <p>No operation is running.</p>
      )}
      <h3>Past operations</h3>
      {past.length === 0 ? <p>None yet.</p> : null}
      <ul className="operations">
        {past.map((o) => (
          <li key={o.id} data-operation={o.id} data-state={o.state}>
            <details>
              <summary>
                {o.id} <StateBadge state={o.state} /> {duration(o.startedAt, o.finishedAt, now)}
                {o.finishedAt ? ` · ended ${new Date(o.finishedAt).toLocaleString()}` : ''}
              </summary>
              {o.error ? <p className="error-text">{o.error}</p> : null}
              {o.reason ? <p>{o.reason}</p> : null}
              {o.retryOf ? <p>Runs {o.retryOf} again.</p> : null}
              <p>
                <a href={workflowUrl(session, cluster.name, o.id)} target="_blank" rel="noreferrer">
                  {o.id} in the Temporal Web UI
                </a>
              </p>
              {o.tasks ? <TaskTable caption={`Tasks of ${o.id}`} tasks={o.tasks} now={now} /> : null}
              {o.rollback?.tasks ? <TaskTable caption={`Rollback of ${o.id}`} tasks={o.rollback.tasks} now={now} /> : null}
            </details>
            {canChange && (o.state === 'Failed' || o.state === 'Cancelled') && o === latest ? (
              <button type="button" onClick={() => void run(() => call('POST', clusterPath(cluster.name, 'operations', o.id, 'retry')), `Retry ${o.id}`)}>
                Retry {o.id}
              </button>
            ) : null}
          </li>
        ))}
      </ul>
    </section>
  );
}

function byAz(nodes: NodeStatus[]): Array<[string, NodeStatus[]]> {
  const groups = new Map<string, NodeStatus[]>();
  for (const node of nodes) groups.set(node.az, [...(groups.get(node.az) ?? []), node]);
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));
}

/**
 * The pool actions stay on the page while an operation runs (disabled, so each form keeps what was
 * typed and the answer it got); a viewer's token sees none.
 */
function NodesView({ cluster, running, canChange, onChanged }: { cluster: ClusterStatus; running: boolean; canChange: boolean; onChanged: () => void }): ReactNode {
  const azs = [...new Set(cluster.network.subnets.map((s) => s.az))].sort();
  return (
    <section aria-labelledby="nodes-heading" className="panel">
      <h2 id="nodes-heading">Nodes</h2>
      {canChange && !running ? <p className="muted">Pool changes are possible while the cluster is Running (it is {cluster.phase}).</p> : null}
      {cluster.pools.map((pool) => (
        <PoolCard key={pool.name} cluster={cluster.name} pool={pool} running={running} canChange={canChange} onChanged={onChanged} />
      ))}
      {canChange && cluster.phase !== 'Deleting' && cluster.phase !== 'Deleted' ? <AddPool cluster={cluster.name} azs={azs} running={running} onChanged={onChanged} /> : null}
    </section>
  );
}

function PoolCard({ cluster, pool, running, canChange, onChanged }: { cluster: string; pool: PoolStatus; running: boolean; canChange: boolean; onChanged: () => void }): ReactNode {
  const { outcome, run } = useChange(onChanged);
  const [size, setSize] = useState(String(pool.desired));
  const [instanceType, setInstanceType] = useState(pool.instanceType);
  const [confirmRemove, setConfirmRemove] = useState(false);
  const id = `pool-${pool.name}`;
  const nodes = pool.spot?.nodes ?? pool.nodes;
  const spot = pool.capacity.type === 'spot' ? pool.capacity : undefined;

  const scale = (e: FormEvent): void => {
    e.preventDefault();
    void run(() => call('PATCH', clusterPath(cluster, 'pools', pool.name), { size: Number(size) }), `Scale ${pool.name} to ${size}`);
  };
  const retype = (e: FormEvent): void => {
    e.preventDefault();
    void run(() => call('PATCH', clusterPath(cluster, 'pools', pool.name), { instanceType: instanceType.trim() }), `Change ${pool.name} to ${instanceType}`);
  };
  return (
    <article className="pool" aria-labelledby={`${id}-heading`} data-pool={pool.name}>
      <h3 id={`${id}-heading`}>
        Pool {pool.name} <span className="muted">({pool.role})</span>
      </h3>
      <p>
        {nodes.length} of {pool.desired} nodes · {pool.instanceType} · {spot ? `spot, bid ${spot.maxPricePercent}% of on-demand` : 'on-demand'}
        {pool.waiting ? <span className="waiting"> · {pool.waiting.count} waiting: {pool.waiting.reason}</span> : null}
      </p>
      {pool.spot ? <SpotView pool={pool} /> : null}
      {byAz(nodes).map(([az, list]) => (
        <table key={az} className="nodes" data-az={az}>
          <caption>
            {pool.name} in {az}
          </caption>
          <thead>
            <tr>
              <th scope="col">Node</th>
              <th scope="col">Instance</th>
              <th scope="col">Type</th>
              <th scope="col">Lifecycle</th>
              <th scope="col">State</th>
              <th scope="col">Private IP</th>
            </tr>
          </thead>
          <tbody>
            {list.map((n) => (
              <tr key={n.key} data-node={n.key}>
                <td>{n.key}</td>
                <td>{n.instanceId}</td>
                <td>{n.instanceType}</td>
                <td>{n.lifecycle}</td>
                <td>{n.state}</td>
                <td>{n.privateIp ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}
      {canChange ? (
        <div className="pool-actions">
          <form onSubmit={scale} aria-label={`Scale ${pool.name}`}>
            <label htmlFor={`${id}-size`}>Size</label>
            <input id={`${id}-size`} type="number" min={0} value={size} onChange={(e) => setSize(e.target.value)} {...describedBy('size', outcome.problems, false, id)} />
            <button type="submit" disabled={!running}>
              Scale {pool.name}
            </button>
          </form>
          <form onSubmit={retype} aria-label={`Change the instance type of ${pool.name}`}>
            <label htmlFor={`${id}-type`}>Instance type</label>
            <input id={`${id}-type`} value={instanceType} onChange={(e) => setInstanceType(e.target.value)} {...describedBy('instanceType', outcome.problems, false, id)} />
            <button type="submit" disabled={!running}>
              Change instance type
            </button>
          </form>
          {pool.role === 'worker' ? (
            confirmRemove ? (
              <span>
                Remove pool {pool.name} and terminate its nodes?{' '}
                <button type="button" className="danger" onClick={() => void run(() => call('DELETE', clusterPath(cluster, 'pools', pool.name)), `Remove ${pool.name}`).then(() => setConfirmRemove(false))}>
                  Yes, remove {pool.name}
                </button>{' '}
                <button type="button" onClick={() => setConfirmRemove(false)}>
                  Keep it
                </button>
              </span>
            ) : (
              <button type="button" className="danger" disabled={!running} onClick={() => setConfirmRemove(true)}>
                Remove pool {pool.name}
              </button>
            )
          ) : null}
          <FieldErrors field="size" problems={outcome.problems} scope={id} />
          <FieldErrors field="instanceType" problems={outcome.problems} scope={id} />
          <UnplacedProblems problems={outcome.problems} placed={['size', 'instanceType']} />
          <OutcomeLine outcome={{ ...outcome, error: outcome.problems.length > 0 ? undefined : outcome.error }} />
        </div>
      ) : null}
    </article>
  );
}

function SpotView({ pool }: { pool: PoolStatus }): ReactNode {
  const spot = pool.spot!;
  return (
    <table className="spot">
      <caption>Spot market for {pool.name}</caption>
      <tbody>
        <tr>
          <th scope="row">On-demand price</th>
          <td>{spot.onDemandPrice !== undefined ? `$${spot.onDemandPrice}/h` : 'unknown'}</td>
        </tr>
        <tr>
          <th scope="row">Bid</th>
          <td>{spot.bid ? `$${spot.bid}/h` : 'not yet'}</td>
        </tr>
        {Object.entries(spot.spotPrices).map(([az, price]) => (
          <tr key={az}>
            <th scope="row">Spot price in {az}</th>
            <td>${price}/h</td>
          </tr>
        ))}
        <tr>
          <th scope="row">Running / waiting</th>
          <td>
            {spot.running} / {spot.waiting}
            {spot.reason ? ` · ${spot.reason}` : ''}
          </td>
        </tr>
        {spot.degraded || spot.lastError ? (
          <tr>
            <th scope="row">Prices</th>
            <td>{spot.lastError ?? 'could not be read: last known used'}</td>
          </tr>
        ) : null}
        <tr>
          <th scope="row">Interruptions</th>
          <td>
            {spot.interruptions}
            {spot.lastInterruption ? ` (last ${spot.lastInterruption})` : ''}
          </td>
        </tr>
      </tbody>
    </table>
  );
}

function AddPool({ cluster, azs, running, onChanged }: { cluster: string; azs: string[]; running: boolean; onChanged: () => void }): ReactNode {
  const { outcome, run } = useChange(onChanged);
  const [name, setName] = useState('');
  const [size, setSize] = useState('1');
  const [instanceType, setInstanceType] = useState('m5.large');
  const [chosen, setChosen] = useState<string[]>(azs.slice(0, 1));
  const [spot, setSpot] = useState(false);
  const [percent, setPercent] = useState('60');
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const body = {
      name: name.trim(),
      role: 'worker',
      size: Number(size),
      instanceType: instanceType.trim(),
      azs: chosen,
      capacity: spot ? { type: 'spot', maxPricePercent: Number(percent) } : { type: 'on-demand' },
    };
    void run(() => call('POST', clusterPath(cluster, 'pools'), body), `Add pool ${body.name}`);
  };
  const p = outcome.problems;
  return (
    <form className="add-pool" onSubmit={submit} aria-labelledby="add-pool-heading">
      <h3 id="add-pool-heading">Add a worker pool</h3>
      <div className="field">
        <label htmlFor="add-pool-name">Name</label>
        <input id="add-pool-name" value={name} onChange={(e) => setName(e.target.value)} {...describedBy('name', p, false, 'add-pool')} />
        <FieldErrors field="name" problems={p} scope="add-pool" />
      </div>
      <div className="field">
        <label htmlFor="add-pool-size">Size</label>
        <input id="add-pool-size" type="number" min={1} value={size} onChange={(e) => setSize(e.target.value)} {...describedBy('size', p, false, 'add-pool')} />
        <FieldErrors field="size" problems={p} scope="add-pool" />
      </div>
      <div className="field">
        <label htmlFor="add-pool-type">Instance type</label>
        <input id="add-pool-type" value={instanceType} onChange={(e) => setInstanceType(e.target.value)} {...describedBy('instanceType', p, false, 'add-pool')} />
        <FieldErrors field="instanceType" problems={p} scope="add-pool" />
      </div>
      <fieldset>
        <legend>AZs</legend>
        {azs.map((az) => (
          <label key={az} className="inline">
            <input type="checkbox" checked={chosen.includes(az)} onChange={(e) => setChosen(e.target.checked ? [...chosen, az] : chosen.filter((x) => x !== az))} /> {az}
          </label>
        ))}
        <FieldErrors field="azs" problems={p} scope="add-pool" />
      </fieldset>
      <fieldset>
        <legend>Capacity</legend>
        <label className="inline">
          <input type="radio" name="add-pool-capacity" checked={!spot} onChange={() => setSpot(false)} /> on-demand
        </label>
        <label className="inline">
          <input type="radio" name="add-pool-capacity" checked={spot} onChange={() => setSpot(true)} /> spot
        </label>
        {spot ? (
          <span className="field inline">
            <label htmlFor="add-pool-bid">Bid, % of on-demand</label>
            <input id="add-pool-bid" type="number" min={1} max={100} value={percent} onChange={(e) => setPercent(e.target.value)} {...describedBy('capacity', p, false, 'add-pool')} />
          </span>
        ) : null}
        <FieldErrors field="capacity" problems={p} scope="add-pool" />
      </fieldset>
      <button type="submit" disabled={!running}>
        Add pool
      </button>
      <UnplacedProblems problems={p} placed={['name', 'size', 'instanceType', 'azs', 'capacity']} />
      <OutcomeLine outcome={{ ...outcome, error: p.length > 0 ? undefined : outcome.error }} />
    </form>
  );
}

function NetworkView({ network }: { network: NetworkStatus }): ReactNode {
  const natOf = (az: string): string => network.natGateways.filter((n) => n.az === az).map((n) => n.natGatewayId + (n.publicIp ? ` (${n.publicIp})` : '')).join(', ');
  return (
    <section aria-labelledby="network-heading" className="panel">
      <h2 id="network-heading">Network</h2>
      <dl className="facts">
        <dt>Placement</dt>
        <dd>{network.placement}</dd>
        <dt>VPC</dt>
        <dd data-testid="vpc">{network.vpcId ?? 'not yet'}</dd>
        <dt>API endpoint</dt>
        <dd>{network.apiEndpoint ?? 'not yet'}</dd>
        <dt>Bastion</dt>
        <dd>{network.bastion ? `${network.bastion.instanceId} in ${network.bastion.az}${network.bastion.publicIp ? `, ${network.bastion.publicIp}` : ''}` : 'none yet'}</dd>
      </dl>
      {network.subnets.length > 0 ? (
        <table className="subnets">
          <caption>Subnets and NAT gateways per AZ</caption>
          <thead>
            <tr>
              <th scope="col">AZ</th>
              <th scope="col">Public subnet</th>
              <th scope="col">Private subnet</th>
              <th scope="col">NAT gateway</th>
            </tr>
          </thead>
          <tbody>
            {network.subnets.map((s) => (
              <tr key={s.az}>
                <td>{s.az}</td>
                <td>{s.publicSubnetId ?? ''}</td>
                <td>{s.privateSubnetId ?? ''}</td>
                <td>{natOf(s.az)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

function DeleteCluster({ name, onChanged }: { name: string; onChanged: () => void }): ReactNode {
  const [typed, setTyped] = useState('');
  const { outcome, run } = useChange(onChanged);
  return (
    <section aria-labelledby="delete-heading" className="panel danger-zone">
      <h2 id="delete-heading">Delete the cluster</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run(() => call('DELETE', clusterPath(name)), `Delete ${name}`);
        }}
      >
        <label htmlFor="delete-confirm">Type the cluster's name, {name}, to delete it and everything it made in AWS</label>
        <input id="delete-confirm" autoComplete="off" value={typed} onChange={(e) => setTyped(e.target.value)} />
        <button type="submit" className="danger" disabled={typed !== name}>
          Delete cluster {name}
        </button>
      </form>
      <OutcomeLine outcome={outcome} />
      <p>
        <a href={href({ page: 'clusters' })} onClick={() => navigate({ page: 'clusters' })}>
          Back to the clusters
        </a>
      </p>
    </section>
  );
}
