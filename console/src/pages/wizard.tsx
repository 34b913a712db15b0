import { useEffect, useState, type ReactNode } from 'react';
import { ApiProblem, call, get, type FieldProblem } from '../api';
import { navigate } from '../router';
import type { AccountView, ClusterSpec, PoolSpec, ProfileView } from '../types';
import { describedBy, ErrorBanner, FieldErrors } from '../ui';

/** GET /v1/cloud-accounts/:id/regions/:region/network. */
interface AccountNetwork {
  availabilityZones: string[];
  vpcs: Array<{ vpcId: string; cidrBlock?: string; name?: string; isDefault: boolean }>;
  subnets: Array<{ subnetId: string; vpcId: string; availabilityZone: string; cidrBlock?: string; name?: string; public: boolean }>;
  keyPairs: string[];
}

interface DryRun {
  plan: { placement: string; azs: string[]; resources: Array<{ key: string; kind: string; detail?: string }> };
  preflight: { ok: boolean; checks: Array<{ name: string; ok: boolean; message: string }> };
  cost: { currency: string; usdPerHour: number; lines: Array<{ item: string; count: number; unitUsdPerHour: number; usdPerHour: number }>; missing: string[] };
}

interface PoolDraft {
  name: string;
  role: 'control-plane' | 'worker';
  size: string;
  instanceType: string;
  azs: string[];
  allowWorkerCapability: boolean;
  spot: boolean;
  maxPricePercent: string;
}

interface Draft {
  name: string;
  description: string;
  tags: string;
  profileId: string;
  /** pack → parameter → value, only those changed from the profile's. */
  overrides: Record<string, Record<string, string>>;
  accountId: string;
  region: string;
  sshKeyName: string;
  placement: 'dynamic' | 'static';
  vpcCidr: string;
  vpcId: string;
  subnets: Record<string, { publicSubnetId: string; privateSubnetId: string }>;
  pools: PoolDraft[];
}

const STEPS = ['Name and tags', 'Cluster profile', 'Pack parameters', 'Cloud and placement', 'Node pools', 'Review and deploy'] as const;

/** Which step shows a field the API named (`pools.1.size` → Node pools). */
function stepOf(field: string): number {
  if (field.startsWith('profile.overrides')) return 2;
  if (field.startsWith('profile')) return 1;
  if (field.startsWith('cloud')) return 3;
  if (field.startsWith('pools')) return 4;
  return 0;
}

/** The parameters each known pack takes (docs/api.md#cluster-profiles), offered even when the profile leaves them to their defaults. */
const PACK_PARAMETERS: Record<string, string[]> = {
  ubuntu: ['amiOwner', 'amiNamePattern'],
  kubernetes: ['podCIDR', 'serviceCIDR'],
  'aws-ebs-csi': ['defaultStorageClass'],
};

const DNS_LABEL = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\d[a-z0-9-]*\.[a-z0-9]+$/;
const CIDR = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/;

function newPool(role: PoolDraft['role'], name: string): PoolDraft {
  return { name, role, size: role === 'control-plane' ? '1' : '2', instanceType: 'm5.large', azs: [], allowWorkerCapability: false, spot: false, maxPricePercent: '60' };
}

function parseTags(text: string): { tags: Record<string, string>; problems: FieldProblem[] } {
  const tags: Record<string, string> = {};
  const problems: FieldProblem[] = [];
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .forEach((line) => {
      const at = line.indexOf('=');
      if (at <= 0) problems.push({ field: 'tags', rule: 'key=value', message: `"${line}" is not key=value` });
      else tags[line.slice(0, at).trim()] = line.slice(at + 1).trim();
    });
  return { tags, problems };
}

/** The spec the draft means, as the API takes it. */
function specOf(draft: Draft): ClusterSpec {
  const overrides = Object.fromEntries(Object.entries(draft.overrides).filter(([, values]) => Object.keys(values).length > 0));
  const pools: PoolSpec[] = draft.pools.map((p) => ({
    name: p.name.trim(),
    role: p.role,
    size: Number(p.size),
    instanceType: p.instanceType.trim(),
    azs: p.azs,
    ...(p.role === 'control-plane' && p.allowWorkerCapability ? { allowWorkerCapability: true } : {}),
    ...(p.role === 'worker' ? { capacity: p.spot ? { type: 'spot' as const, maxPricePercent: Number(p.maxPricePercent) } : { type: 'on-demand' as const } } : {}),
  }));
  const azs = [...new Set(draft.pools.flatMap((p) => p.azs))].sort();
  return {
    name: draft.name.trim(),
    ...(draft.description.trim() ? { description: draft.description.trim() } : {}),
    ...(draft.tags.trim() ? { tags: parseTags(draft.tags).tags } : {}),
    profile: { id: draft.profileId, ...(Object.keys(overrides).length > 0 ? { overrides } : {}) },
    cloud: {
      accountId: draft.accountId,
      region: draft.region.trim(),
      ...(draft.sshKeyName ? { sshKeyName: draft.sshKeyName } : {}),
      placement:
        draft.placement === 'dynamic'
          ? { type: 'dynamic', vpcCidr: draft.vpcCidr.trim() }
          : { type: 'static', vpcId: draft.vpcId, subnets: azs.map((az) => ({ az, publicSubnetId: draft.subnets[az]?.publicSubnetId ?? '', privateSubnetId: draft.subnets[az]?.privateSubnetId ?? '' })) },
    },
    pools,
  };
}

/** The checks the browser can make itself before asking the API (which checks them all again, and more). */
function clientProblems(step: number, draft: Draft): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const need = (ok: boolean, field: string, rule: string, message: string): void => {
    if (!ok) problems.push({ field, rule, message });
  };
  if (step === 0) {
    need(DNS_LABEL.test(draft.name.trim()), 'name', 'matches', 'must be a DNS label: lower-case letters, digits and -, starting with a letter, at most 63');
    need(draft.description.length <= 1024, 'description', 'maxLength', 'at most 1024 characters');
    problems.push(...parseTags(draft.tags).problems);
  }
  if (step === 1) need(draft.profileId !== '', 'profile.id', 'isNotEmpty', 'choose a profile');
  if (step === 3) {
    need(draft.accountId !== '', 'cloud.accountId', 'isNotEmpty', 'choose a cloud account');
    need(REGION.test(draft.region.trim()), 'cloud.region', 'matches', 'must be an AWS region name, e.g. us-east-1');
    if (draft.placement === 'dynamic') need(CIDR.test(draft.vpcCidr.trim()), 'cloud.placement.vpcCidr', 'cidr', 'must be a CIDR block, e.g. 10.0.0.0/16');
    else need(draft.vpcId !== '', 'cloud.placement.vpcId', 'isNotEmpty', 'choose the VPC');
  }
  if (step === 4) {
    draft.pools.forEach((p, i) => {
      need(DNS_LABEL.test(p.name.trim()), `pools.${i}.name`, 'matches', 'must be a DNS label');
      const size = Number(p.size);
      need(Number.isInteger(size) && size >= (p.role === 'control-plane' ? 1 : 0), `pools.${i}.size`, 'min', 'must be a whole number of nodes');
      if (p.role === 'control-plane') need([1, 3, 5].includes(size), `pools.${i}.size`, 'control-plane-size', `the control-plane pool must have 1, 3 or 5 nodes (got ${p.size})`);
      need(INSTANCE_TYPE.test(p.instanceType.trim()), `pools.${i}.instanceType`, 'matches', 'must be an EC2 instance type, e.g. m5.large');
      need(p.azs.length > 0, `pools.${i}.azs`, 'arrayMinSize', 'choose at least one AZ');
      if (p.spot) {
        const percent = Number(p.maxPricePercent);
        need(Number.isInteger(percent) && percent >= 1 && percent <= 100, `pools.${i}.capacity.maxPricePercent`, 'max', 'the bid must be 1–100 % of the on-demand price');
      }
    });
    if (draft.placement === 'static') {
      const azs = [...new Set(draft.pools.flatMap((p) => p.azs))];
      for (const az of azs) {
        need(!!draft.subnets[az]?.publicSubnetId && !!draft.subnets[az]?.privateSubnetId, 'cloud.placement.subnets', 'subnet-per-az', `choose a public and a private subnet in ${az} (step 4)`);
      }
    }
  }
  return problems;
}

export function WizardPage(): ReactNode {
  const [step, setStep] = useState(0);
  const [draft, setDraft] = useState<Draft>({
    name: '',
    description: '',
    tags: '',
    profileId: '',
    overrides: {},
    accountId: '',
    region: 'us-east-1',
    sshKeyName: '',
    placement: 'dynamic',
    vpcCidr: '10.0.0.0/16',
    vpcId: '',
    subnets: {},
    pools: [newPool('control-plane', 'master'), newPool('worker', 'workers')],
  });
  const [problems, setProblems] = useState<FieldProblem[]>([]);
  const [error, setError] = useState<unknown>();
  const [profiles, setProfiles] = useState<ProfileView[]>([]);
  const [accounts, setAccounts] = useState<AccountView[]>([]);
  const [network, setNetwork] = useState<AccountNetwork | undefined>();
  const [networkError, setNetworkError] = useState<unknown>();
  const [dryRun, setDryRun] = useState<DryRun | undefined>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    get<ProfileView[]>('/v1/cluster-profiles').then(setProfiles, setError);
    get<AccountView[]>('/v1/cloud-accounts').then(setAccounts, setError);
  }, []);

  useEffect(() => {
    setNetwork(undefined);
    setNetworkError(undefined);
    if (!draft.accountId || !REGION.test(draft.region.trim())) return;
    get<AccountNetwork>(`/v1/cloud-accounts/${encodeURIComponent(draft.accountId)}/regions/${encodeURIComponent(draft.region.trim())}/network`).then(setNetwork, setNetworkError);
  }, [draft.accountId, draft.region]);

  useEffect(() => {
    document.getElementById('wizard-step-heading')?.focus();
  }, [step]);

  const set = (change: Partial<Draft>): void => setDraft((d) => ({ ...d, ...change }));
  const setPool = (i: number, change: Partial<PoolDraft>): void => setDraft((d) => ({ ...d, pools: d.pools.map((p, j) => (j === i ? { ...p, ...change } : p)) }));
  const profile = profiles.find((p) => p.id === draft.profileId);
  const azs = network?.availabilityZones ?? [];

  /** The API's refusal, placed next to its fields: the wizard goes back to the first step that shows one. */
  function showRefusal(e: unknown): void {
    if (e instanceof ApiProblem && e.problems.length > 0) {
      setProblems(e.problems);
      setStep(Math.min(...e.problems.map((p) => stepOf(p.field))));
      setError(e);
    } else setError(e);
  }

  async function next(): Promise<void> {
    const found = clientProblems(step, draft);
    setProblems(found);
    setError(undefined);
    if (found.length > 0) return;
    if (step === STEPS.length - 2) {
      setBusy(true);
      setDryRun(undefined);
      try {
        setDryRun(await call<DryRun>('POST', '/v1/clusters?dryRun=true', specOf(draft)));
        setStep(step + 1);
      } catch (e) {
        showRefusal(e);
      } finally {
        setBusy(false);
      }
      return;
    }
    setStep(step + 1);
  }

  async function deploy(): Promise<void> {
    setBusy(true);
    setError(undefined);
    try {
      const spec = specOf(draft);
      await call('POST', '/v1/clusters', spec);
      navigate({ page: 'cluster', name: spec.name });
    } catch (e) {
      showRefusal(e);
    } finally {
      setBusy(false);
    }
  }

  const field = (name: string, label: string, input: ReactNode): ReactNode => (
    <div className="field">
      <label htmlFor={name}>{label}</label>
      {input}
      <FieldErrors field={name} problems={problems} exact={name === 'profile.id'} />
    </div>
  );

  return (
    <section>
      <h1>Create a cluster</h1>
      <ol className="steps" aria-label="Steps">
        {STEPS.map((s, i) => (
          <li key={s} aria-current={i === step ? 'step' : undefined}>
            {i + 1}. {s}
          </li>
        ))}
      </ol>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void (step === STEPS.length - 1 ? deploy() : next());
        }}
        noValidate
      >
        <h2 id="wizard-step-heading" tabIndex={-1}>
          Step {step + 1}: {STEPS[step]}
        </h2>
        {error && !(error instanceof ApiProblem && error.problems.length > 0) ? <ErrorBanner error={error} /> : null}
        {error instanceof ApiProblem && error.problems.length > 0 ? (
          <div className="banner error" role="alert">
            <p>The API refused the cluster ({error.status}); each problem is also shown at its field:</p>
            <ul>
              {error.problems.map((p, i) => (
                <li key={i}>
                  {p.field}: {p.message}
                </li>
              ))}
            </ul>
          </div>
        ) : null}

        {step === 0 ? (
          <>
            {field('name', 'Cluster name', <input id="name" value={draft.name} onChange={(e) => set({ name: e.target.value })} {...describedBy('name', problems)} />)}
            {field('description', 'Description', <textarea id="description" value={draft.description} onChange={(e) => set({ description: e.target.value })} {...describedBy('description', problems)} />)}
            {field('tags', 'Tags, one key=value a line', <textarea id="tags" value={draft.tags} onChange={(e) => set({ tags: e.target.value })} {...describedBy('tags', problems)} />)}
          </>
        ) : null}

        {step === 1
          ? field(
              'profile.id',
              'Cluster profile',
              <select id="profile.id" value={draft.profileId} onChange={(e) => set({ profileId: e.target.value, overrides: {} })} {...describedBy('profile.id', problems, true)}>
                <option value="">choose…</option>
                {profiles.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name} ({p.packs.map((k) => `${k.name} ${k.version}`).join(', ')})
                  </option>
                ))}
              </select>,
            )
          : null}

        {step === 2 ? (
          profile ? (
            profile.packs.map((pack) => {
              const names = [...new Set([...(PACK_PARAMETERS[pack.name] ?? []), ...Object.keys(pack.values)])];
              return (
                <fieldset key={pack.name}>
                  <legend>
                    {pack.name} {pack.version} ({pack.layer})
                  </legend>
                  {names.length === 0 ? <p className="muted">No parameters.</p> : null}
                  {names.map((key) => {
                    const id = `profile.overrides.${pack.name}.${key}`;
                    const base = typeof pack.values[key] === 'string' ? (pack.values[key] as string) : '';
                    const value = draft.overrides[pack.name]?.[key] ?? base;
                    return field(
                      id,
                      `${pack.name} ${key}`,
                      <input
                        id={id}
                        value={value}
                        placeholder={base === '' ? 'the pack’s default' : undefined}
                        onChange={(e) => {
                          const values = { ...(draft.overrides[pack.name] ?? {}) };
                          if (e.target.value === base) delete values[key];
                          else values[key] = e.target.value;
                          set({ overrides: { ...draft.overrides, [pack.name]: values } });
                        }}
                        {...describedBy(id, problems)}
                      />,
                    );
                  })}
                  <FieldErrors field={`profile.overrides.${pack.name}`} problems={problems.filter((p) => p.field === `profile.overrides.${pack.name}`)} exact />
                </fieldset>
              );
            })
          ) : (
            <p>Choose a profile first.</p>
          )
        ) : null}

        {step === 3 ? (
          <>
            {field(
              'cloud.accountId',
              'Cloud account',
              <select id="cloud.accountId" value={draft.accountId} onChange={(e) => set({ accountId: e.target.value })} {...describedBy('cloud.accountId', problems)}>
                <option value="">choose…</option>
                {accounts.map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.name} ({a.awsAccountId ?? a.accessKeyId})
                  </option>
                ))}
              </select>,
            )}
            {field('cloud.region', 'Region', <input id="cloud.region" value={draft.region} onChange={(e) => set({ region: e.target.value })} {...describedBy('cloud.region', problems)} />)}
            {networkError ? <ErrorBanner error={networkError} /> : null}
            {field(
              'cloud.sshKeyName',
              'SSH key pair',
              <select id="cloud.sshKeyName" value={draft.sshKeyName} onChange={(e) => set({ sshKeyName: e.target.value })} {...describedBy('cloud.sshKeyName', problems)}>
                <option value="">none</option>
                {(network?.keyPairs ?? []).map((k) => (
                  <option key={k} value={k}>
                    {k}
                  </option>
                ))}
              </select>,
            )}
            <fieldset>
              <legend>Placement</legend>
              <label className="inline">
                <input type="radio" name="placement" checked={draft.placement === 'dynamic'} onChange={() => set({ placement: 'dynamic' })} /> dynamic: a new VPC with a public and a private subnet per AZ
              </label>
              <label className="inline">
                <input type="radio" name="placement" checked={draft.placement === 'static'} onChange={() => set({ placement: 'static' })} /> static: a VPC and subnets the account has
              </label>
            </fieldset>
            {draft.placement === 'dynamic'
              ? field('cloud.placement.vpcCidr', 'VPC CIDR', <input id="cloud.placement.vpcCidr" value={draft.vpcCidr} onChange={(e) => set({ vpcCidr: e.target.value })} {...describedBy('cloud.placement.vpcCidr', problems)} />)
              : null}
            {draft.placement === 'static' ? (
              <>
                {field(
                  'cloud.placement.vpcId',
                  'VPC',
                  <select id="cloud.placement.vpcId" value={draft.vpcId} onChange={(e) => set({ vpcId: e.target.value, subnets: {} })} {...describedBy('cloud.placement.vpcId', problems)}>
                    <option value="">choose…</option>
                    {(network?.vpcs ?? []).map((v) => (
                      <option key={v.vpcId} value={v.vpcId}>
                        {v.vpcId} {v.cidrBlock ?? ''} {v.name ?? ''} {v.isDefault ? '(default)' : ''}
                      </option>
                    ))}
                  </select>,
                )}
                {draft.vpcId
                  ? azs.map((az) => {
                      const inAz = (network?.subnets ?? []).filter((s) => s.vpcId === draft.vpcId && s.availabilityZone === az);
                      if (inAz.length === 0) return null;
                      const chosen = draft.subnets[az] ?? { publicSubnetId: '', privateSubnetId: '' };
                      const pick = (kind: 'publicSubnetId' | 'privateSubnetId', id: string): void => set({ subnets: { ...draft.subnets, [az]: { ...chosen, [kind]: id } } });
                      return (
                        <fieldset key={az}>
                          <legend>Subnets in {az}</legend>
                          {(['publicSubnetId', 'privateSubnetId'] as const).map((kind) => (
                            <div className="field" key={kind}>
                              <label htmlFor={`subnet-${az}-${kind}`}>{kind === 'publicSubnetId' ? 'Public' : 'Private'} subnet</label>
                              <select id={`subnet-${az}-${kind}`} value={chosen[kind]} onChange={(e) => pick(kind, e.target.value)}>
                                <option value="">none (AZ not used)</option>
                                {inAz.map((s) => (
                                  <option key={s.subnetId} value={s.subnetId}>
                                    {s.subnetId} {s.cidrBlock ?? ''} {s.name ?? ''} {s.public ? '(public IPs)' : ''}
                                  </option>
                                ))}
                              </select>
                            </div>
                          ))}
                        </fieldset>
                      );
                    })
                  : null}
                <FieldErrors field="cloud.placement.subnets" problems={problems} />
              </>
            ) : null}
          </>
        ) : null}

        {step === 4 ? (
          <>
            {draft.pools.map((pool, i) => (
              <fieldset key={i} className="pool-draft">
                <legend>
                  {pool.role === 'control-plane' ? 'Control-plane pool' : `Worker pool ${i}`}
                </legend>
                {field(`pools.${i}.name`, 'Pool name', <input id={`pools.${i}.name`} value={pool.name} onChange={(e) => setPool(i, { name: e.target.value })} {...describedBy(`pools.${i}.name`, problems)} />)}
                {field(
                  `pools.${i}.size`,
                  pool.role === 'control-plane' ? 'Nodes (1, 3 or 5)' : 'Nodes',
                  <input id={`pools.${i}.size`} type="number" min={pool.role === 'control-plane' ? 1 : 0} value={pool.size} onChange={(e) => setPool(i, { size: e.target.value })} {...describedBy(`pools.${i}.size`, problems)} />,
                )}
                {field(
                  `pools.${i}.instanceType`,
                  'Instance type',
                  <input id={`pools.${i}.instanceType`} value={pool.instanceType} onChange={(e) => setPool(i, { instanceType: e.target.value })} {...describedBy(`pools.${i}.instanceType`, problems)} />,
                )}
                <fieldset>
                  <legend>AZs of {pool.name || `pool ${i}`}</legend>
                  {azs.length === 0 ? <p className="muted">The account's AZs appear once account and region are chosen (step 4).</p> : null}
                  {azs.map((az) => (
                    <label key={az} className="inline">
                      <input type="checkbox" checked={pool.azs.includes(az)} onChange={(e) => setPool(i, { azs: e.target.checked ? [...pool.azs, az] : pool.azs.filter((x) => x !== az) })} /> {az}
                    </label>
                  ))}
                  <FieldErrors field={`pools.${i}.azs`} problems={problems} />
                </fieldset>
                {pool.role === 'control-plane' ? (
                  <label className="inline">
                    <input type="checkbox" checked={pool.allowWorkerCapability} onChange={(e) => setPool(i, { allowWorkerCapability: e.target.checked })} /> Control-plane nodes also run workloads (worker capability)
                  </label>
                ) : (
                  <fieldset>
                    <legend>Capacity of {pool.name || `pool ${i}`}</legend>
                    <label className="inline">
                      <input type="radio" name={`capacity-${i}`} checked={!pool.spot} onChange={() => setPool(i, { spot: false })} /> on-demand
                    </label>
                    <label className="inline">
                      <input type="radio" name={`capacity-${i}`} checked={pool.spot} onChange={() => setPool(i, { spot: true })} /> spot
                    </label>
                    {pool.spot
                      ? field(
                          `pools.${i}.capacity.maxPricePercent`,
                          'Bid, % of the on-demand price',
                          <input
                            id={`pools.${i}.capacity.maxPricePercent`}
                            type="number"
                            min={1}
                            max={100}
                            value={pool.maxPricePercent}
                            onChange={(e) => setPool(i, { maxPricePercent: e.target.value })}
                            {...describedBy(`pools.${i}.capacity.maxPricePercent`, problems)}
                          />,
                        )
                      : null}
                    <FieldErrors field={`pools.${i}.capacity`} problems={problems.filter((p) => p.field === `pools.${i}.capacity`)} exact />
                  </fieldset>
                )}
                <FieldErrors field={`pools.${i}`} problems={problems.filter((p) => p.field === `pools.${i}`)} exact />
                {pool.role === 'worker' ? (
                  <button type="button" onClick={() => set({ pools: draft.pools.filter((_, j) => j !== i) })}>
                    Remove {pool.name || `pool ${i}`}
                  </button>
                ) : null}
              </fieldset>
            ))}
            <FieldErrors field="pools" problems={problems.filter((p) => p.field === 'pools')} exact />
            <button type="button" onClick={() => set({ pools: [...draft.pools, newPool('worker', `pool${draft.pools.length}`)] })}>
              Add a worker pool
            </button>
          </>
        ) : null}

        {step === 5 && dryRun ? <Review spec={specOf(draft)} dryRun={dryRun} /> : null}

        <div className="wizard-nav">
          {step > 0 ? (
            <button type="button" onClick={() => setStep(step - 1)}>
              Back
            </button>
          ) : null}
          {step < STEPS.length - 1 ? (
            <button type="submit" disabled={busy}>
              {step === STEPS.length - 2 ? 'Review (dry run)' : 'Next'}
            </button>
          ) : (
            <button type="submit" disabled={busy || !dryRun?.preflight.ok}>
              Deploy
            </button>
          )}
        </div>
      </form>
    </section>
  );
}

function Review({ spec, dryRun }: { spec: ClusterSpec; dryRun: DryRun }): ReactNode {
  return (
    <div className="review">
      <p>
        {spec.name} in {spec.cloud.region}, {spec.cloud.placement.type} placement over {dryRun.plan.azs.join(', ')}; pools{' '}
        {spec.pools.map((p) => `${p.name} ${p.size} × ${p.instanceType}`).join(', ')}.
      </p>
      <h3>Hourly cost</h3>
      <p data-testid="cost">
        ${dryRun.cost.usdPerHour.toFixed(4)} per hour
        {dryRun.cost.missing.length > 0 ? ` (not priced: ${dryRun.cost.missing.join(', ')})` : ''}
      </p>
      <table>
        <caption>Cost lines</caption>
        <thead>
          <tr>
            <th scope="col">Item</th>
            <th scope="col">Count</th>
            <th scope="col">Each, USD/h</th>
            <th scope="col">USD/h</th>
          </tr>
        </thead>
        <tbody>
          {dryRun.cost.lines.map((l) => (
            <tr key={l.item}>
              <td>{l.item}</td>
              <td>{l.count}</td>
              <td>{l.unitUsdPerHour}</td>
              <td>{l.usdPerHour.toFixed(4)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Preflight {dryRun.preflight.ok ? 'passed' : 'failed'}</h3>
      <ul className="preflight">
        {dryRun.preflight.checks.map((c) => (
          <li key={c.name} data-check={c.name}>
            {c.ok ? '✔' : '✘'} {c.name}: {c.message}
          </li>
        ))}
      </ul>
      <details>
        <summary>Plan: {dryRun.plan.resources.length} resources</summary>
        <table>
          <caption>Resources the create makes</caption>
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Kind</th>
              <th scope="col">Detail</th>
            </tr>
          </thead>
          <tbody>
            {dryRun.plan.resources.map((r) => (
              <tr key={r.key}>
                <td>{r.key}</td>
                <td>{r.kind}</td>
                <td>{r.detail ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  );
}
