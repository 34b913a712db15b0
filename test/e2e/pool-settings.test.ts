import { DescribeInstanceAttributeCommand, DescribeInstancesCommand, DescribeVolumesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { Client, Connection } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { ClusterSpec } from '../../common/cluster-spec';
import { BUILT_IN_PROFILES } from '../../store/built-in-profiles';
import { waitOperation, waitPhase } from '../support/clusters';
import { call } from '../support/http';
import { inventory, InventoryItem, isLive } from '../support/sim-client';
import { useStack } from '../support/stack';
import { stackDataConverter } from '../support/stack-codec';
import { workflowCode } from '../support/workflow-code';

jest.setTimeout(300000);

/**
 * A specialised pool (labels, taints, its own root volume) and the changes that roll nodes
 * because what they launch with changes — a pool's settings, the cluster's profile — through
 * the API against the real stack, checked in EC2's own answers (volumes, user data) and the
 * simulator's inventory.
 */
describe('pool settings and profile changes (end to end)', () => {
  const stack = useStack({ sim: { delayScale: 0.2 } });
  const keys = { accessKeyId: 'AKIAPOOLSETTINGS0001', secretAccessKey: 'poolSettingsSecretKeyLongEnough00001' };
  let api: string;
  let sim: string;
  let token: string;
  let temporal: Client;
  let ec2: EC2Client;
  const labels = { 'example.com/accelerator': 'nvidia-t4' };
  const taints = [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }];

  beforeAll(async () => {
    ({ api, sim, token } = stack);
    temporal = new Client({ connection: await Connection.connect({ address: `127.0.0.1:${stack.ports.temporal}` }), dataConverter: stackDataConverter(stack) });
    ec2 = new EC2Client({ endpoint: sim, region: 'us-east-1', credentials: keys });
    const account = await call(api, 'POST', '/v1/cloud-accounts', { token, body: { name: 'gpu', ...keys } });
    const spec: ClusterSpec = {
      name: 'gpu',
      profile: { id: 'aws-default' },
      cloud: { accountId: account.body.id, region: 'us-east-1', placement: { type: 'dynamic', vpcCidr: '10.72.0.0/16' } },
      pools: [
        { name: 'master', role: 'control-plane', size: 1, instanceType: 'm5.large', azs: ['us-east-1a'] },
        { name: 'workers', role: 'worker', size: 1, instanceType: 'm5.large', azs: ['us-east-1a'] },
        { name: 'accel', role: 'worker', size: 1, instanceType: 'm5.large', azs: ['us-east-1a'], labels, taints: taints as ClusterSpec['pools'][number]['taints'], rootVolume: { sizeGiB: 120, type: 'gp3' } },
      ],
    };
    expect((await call(api, 'POST', '/v1/clusters', { token, body: spec })).status).toBe(202);
    expect((await waitPhase(api, token, 'gpu', ['Running', 'Failed'])).phase).toBe('Running');
  });

  afterAll(async () => {
    ec2?.destroy();
    await temporal?.connection.close();
  });

  async function liveNode(key: string): Promise<InventoryItem> {
    const inv = await inventory(sim, 'clusterflow.io/cluster=default/gpu');
    const live = inv.instances.filter((i) => i.tags?.['clusterflow.io/resource'] === key && isLive(i));
    expect(live).toHaveLength(1);
    return live[0];
  }

  /** The node's root volume and user data as EC2 answers them. */
  async function launchedWith(instanceId: string | undefined): Promise<{ volume: { size?: number; type?: string; encrypted?: boolean }; userData: string }> {
    if (!instanceId) throw new Error('the inventory listed an instance without an id');
    const instance = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations?.[0]?.Instances?.[0];
    const root = instance?.BlockDeviceMappings?.find((m) => m.DeviceName === instance.RootDeviceName);
    const volume = (await ec2.send(new DescribeVolumesCommand({ VolumeIds: [root!.Ebs!.VolumeId!] }))).Volumes![0];
    const attribute = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'userData' }));
    return { volume: { size: volume.Size, type: volume.VolumeType, encrypted: volume.Encrypted }, userData: Buffer.from(attribute.UserData?.Value ?? '', 'base64').toString('utf8') };
  }

  const patch = (pool: string, body: unknown) => call(api, 'PATCH', `/v1/clusters/gpu/pools/${pool}`, { token, body });
  const changeProfile = (body: unknown, query = '') => call(api, 'PUT', `/v1/clusters/gpu/profile${query}`, { token, body });
  const problems = (r: { body: { details: Array<{ field: string; rule: string }> } }) => r.body.details.map((d) => `${d.field} ${d.rule}`);

  it('boots each pool with its root volume (the default: 80 GiB gp3, encrypted) and registers the specialised pool’s labels and taints', async () => {
    const accel = await launchedWith((await liveNode('node/accel/0')).id);
    expect(accel.volume).toEqual({ size: 120, type: 'gp3', encrypted: true });
    expect(accel.userData).toContain('value: example.com/accelerator=nvidia-t4');
    expect(accel.userData).toContain('key: nvidia.com/gpu');
    const worker = await launchedWith((await liveNode('node/workers/0')).id);
    expect(worker.volume).toEqual({ size: 80, type: 'gp3', encrypted: true });
    expect(worker.userData).not.toContain('node-labels');
    const status = await call(api, 'GET', '/v1/clusters/gpu', { token });
    expect(status.body.pools.find((p: { name: string }) => p.name === 'accel')).toMatchObject({ labels, taints, rootVolume: { sizeGiB: 120, type: 'gp3' } });
    expect(status.body.pools.find((p: { name: string }) => p.name === 'workers')).toMatchObject({ rootVolume: { sizeGiB: 80, type: 'gp3' } });
  });

  it('a label change rolls that pool only; the same settings again, or a label the kubelet may not set, are refused', async () => {
    const before = { accel: await liveNode('node/accel/0'), workers: await liveNode('node/workers/0'), master: await liveNode('node/master/0') };
    const moved = { ...labels, 'example.com/tier': 'batch' };
    const accepted = await patch('accel', { labels: moved });
    expect(accepted.status).toBe(202);
    const op = await waitOperation(api, token, 'gpu', accepted.body.operationId);
    expect(op.state).toBe('Succeeded');
    expect(op.tasks.map((t: { name: string; state: string }) => `${t.name} ${t.state}`)).toEqual(['image Succeeded', 'replace node/accel/0 Succeeded']);

    const now = await liveNode('node/accel/0');
    expect(now.id).not.toBe(before.accel.id);
    const after = await launchedWith(now.id);
    expect(after.userData).toContain('value: example.com/accelerator=nvidia-t4,example.com/tier=batch');
    expect(after.volume).toEqual({ size: 120, type: 'gp3', encrypted: true });
    expect((await liveNode('node/workers/0')).id).toBe(before.workers.id);
    expect((await liveNode('node/master/0')).id).toBe(before.master.id);

    const same = await patch('accel', { labels: moved });
    expect({ status: same.status, problems: problems(same) }).toEqual({ status: 422, problems: ['body launch-settings-change'] });
    const restricted = await patch('accel', { labels: { 'node-role.kubernetes.io/gpu': '' } });
    expect({ status: restricted.status, problems: problems(restricted) }).toEqual({ status: 400, problems: ['labels.node-role.kubernetes.io/gpu label-kubelet-namespace'] });
  });

  it('profile change: refuses what nodes cannot change; a dry run names the nodes to replace and why; a change no node boots replaces none', async () => {
    const cidr = await changeProfile({ id: 'aws-default', overrides: { kubernetes: { podCIDR: '10.244.0.0/16' } } }, '?dryRun=true');
    expect({ status: cidr.status, problems: problems(cidr) }).toEqual({ status: 422, problems: ['overrides pod-cidr-fixed'] });
    const same = await changeProfile({ id: 'aws-default' });
    expect({ status: same.status, problems: problems(same) }).toEqual({ status: 422, problems: ['body profile-changes'] });

    const packs = BUILT_IN_PROFILES[0].packs.map((p) => (p.layer === 'k8s' ? { ...p, version: '1.32.1' } : p));
    expect((await call(api, 'POST', '/v1/cluster-profiles', { token, body: { name: 'k8s-132', packs } })).status).toBe(201);
    const profiles = await call(api, 'GET', '/v1/cluster-profiles', { token });
    const newer = profiles.body.find((p: { name: string }) => p.name === 'k8s-132').id;

    const before = (await inventory(sim, 'clusterflow.io/cluster=default/gpu')).instances.filter(isLive).map((i) => i.id).sort();
    const dry = await changeProfile({ id: newer }, '?dryRun=true');
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, from: { id: 'aws-default', kubernetesVersion: '1.31.4' }, to: { id: newer, kubernetesVersion: '1.32.1' }, kept: [] });
    expect(dry.body.replacements.map((r: { step: number; key: string }) => `${r.step} ${r.key}`)).toEqual(['1 node/master/0', '2 node/workers/0', '3 node/accel/0']);
    for (const r of dry.body.replacements) expect(r.reasons.join(' ')).toContain('+ KUBERNETES_VERSION=1.32.1');
    expect(dry.body.surge.maxUsdPerHour).toBeGreaterThan(0);

    const addOn = { id: 'aws-default', overrides: { 'aws-ebs-csi': { defaultStorageClass: 'gp2' } } };
    const quietDry = await changeProfile(addOn, '?dryRun=true');
    expect(quietDry.body.replacements).toEqual([]);
    expect(quietDry.body.kept.map((k: { key: string }) => k.key)).toEqual(['node/master/0', 'node/workers/0', 'node/accel/0']);
    const quiet = await changeProfile(addOn);
    expect(quiet.status).toBe(202);
    expect((await waitOperation(api, token, 'gpu', quiet.body.operationId)).state).toBe('Succeeded');
    expect((await inventory(sim, 'clusterflow.io/cluster=default/gpu')).instances.filter(isLive).map((i) => i.id).sort()).toEqual(before);
  });

  it('a profile with a newer Kubernetes rolls every on-demand node, control plane first, each booting the new version', async () => {
    const profiles = await call(api, 'GET', '/v1/cluster-profiles', { token });
    const newer = profiles.body.find((p: { name: string }) => p.name === 'k8s-132').id;
    const accepted = await changeProfile({ id: newer });
    expect(accepted.status).toBe(202);
    const op = await waitOperation(api, token, 'gpu', accepted.body.operationId);
    expect(op.state).toBe('Succeeded');
    expect(op.tasks.map((t: { name: string }) => t.name)).toEqual(['image', 'replace node/master/0', 'replace node/workers/0', 'replace node/accel/0']);
    for (const key of ['node/master/0', 'node/workers/0', 'node/accel/0']) {
      const node = await liveNode(key);
      expect(node.tags?.['clusterflow.io/generation']).toBe(String(Number(accepted.body.operationId.split('-')[1])));
      expect((await launchedWith(node.id)).userData).toContain('KUBERNETES_VERSION=1.32.1');
    }
    const status = await call(api, 'GET', '/v1/clusters/gpu', { token });
    expect(status.body.pools.flatMap((p: { nodes: Array<{ kubernetesVersion?: string }> }) => p.nodes.map((n) => n.kubernetesVersion))).toEqual(['1.32.1', '1.32.1', '1.32.1']);

    for (const workflowId of ['cluster/default/gpu', `cluster/default/gpu/${accepted.body.operationId}`]) {
      const history = await temporal.workflow.getHandle(workflowId).fetchHistory();
      await Worker.runReplayHistory({ ...workflowCode(), dataConverter: stackDataConverter(stack) }, history, workflowId);
    }
  });
});
