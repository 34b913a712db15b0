import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { clusterListPage, ClusterReadModel } from '../../api/clusters/cluster-list';
import { TEMPORAL_CLIENT } from '../../api/common/tokens';
import { PAYLOAD_CODEC } from '../../api/temporal/temporal.module';
import { resolvePayloadCodec } from '../../common/data-dir';
import { ApiUnderTest, startApi } from '../support/api-app';
import { call, JsonResponse } from '../support/http';
import { RunningMoto, startMoto } from '../support/moto';
import { stubActivities } from '../support/stub-activities';
import { startTemporal } from '../support/temporal';
import { until } from '../support/until';

interface Listed {
  name: string;
  project: string;
  region: string;
  phase: string;
  createdAt?: string;
  pools: Array<{ name: string; role: string; instanceType: string; capacity: { type: string }; desired: number; nodes?: number }>;
  currentOperation?: { id: string; type: string };
  lastError?: string;
}

/**
 * GET /v1/clusters over real HTTP: the API in-process against moto, a Temporal dev server, and
 * a worker whose activities are stubbed, so every cluster is a real entity that visibility
 * lists. The list is eventually consistent (visibility, and the API's snapshot of it, at most a
 * second old): the tests poll (bounded) until a cluster is listed, then judge what the answer says.
 */
describe('GET /v1/clusters: pages and filters from visibility', () => {
  let moto: RunningMoto;
  let env: TestWorkflowEnvironment;
  let api: ApiUnderTest;
  let worker: Worker;
  let running: Promise<void>;
  let accountId: string;
  const admin = () => api.token;

  /** 'broken' fails its preflight: its create fails for good and is rolled back, so it ends Failed. */
  const { activities } = stubActivities({
    runPreflight: async (input: { scope: { owner: { clusterName: string } } }) =>
      input.scope.owner.clusterName === 'broken'
        ? { ok: false, checks: [{ name: 'key pair', ok: false, message: 'key pair missing' }] }
        : { ok: true, checks: [{ name: 'credentials', ok: true, message: 'ok' }], imageId: 'ami-12345678' },
  });

  function spec(name: string, region = 'us-east-1') {
    return {
      name,
      profile: { id: 'aws-default' },
      cloud: { accountId, region, placement: { type: 'dynamic', vpcCidr: '10.0.0.0/16' } },
      pools: [
        { name: 'master', role: 'control-plane', size: 1, instanceType: 'm5.large', azs: [`${region}a`] },
        { name: 'workers', role: 'worker', size: 2, instanceType: 'm5.large', azs: [`${region}a`] },
      ],
    };
  }

  const list = (query: string, token = admin(), headers: Record<string, string> = {}): Promise<JsonResponse> => call(api.base, 'GET', `/v1/clusters${query}`, { token, headers });

  /** Every page of a list, each page's names in order; fails on an answer that is not 200. */
  async function pages(query: string, token = admin(), headers: Record<string, string> = {}): Promise<Listed[][]> {
    const found: Listed[][] = [];
    let next: string | undefined;
    do {
      const sep = query ? '&' : '?';
      const answer = await list(`${query}${next ? `${sep}pageToken=${encodeURIComponent(next)}` : ''}`, token, headers);
      expect(answer.status).toBe(200);
      found.push(answer.body.items);
      next = answer.body.nextPageToken;
      if (found.length > 50) throw new Error('more than 50 pages');
    } while (next);
    return found;
  }

  const names = (items: Listed[]) => items.map((c) => c.name).sort();

  beforeAll(async () => {
    moto = await startMoto();
    env = await startTemporal();
    api = await startApi({ awsEndpoint: moto.url, temporalAddress: env.address });
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: api.config.taskQueue,
      workflowsPath: require.resolve('../../workflows'),
      activities,
      dataConverter: { payloadCodecs: [resolvePayloadCodec(api.config)] },
    });
    running = worker.run();
    const account = await call(api.base, 'POST', '/v1/cloud-accounts', {
      token: admin(),
      body: { name: 'listing', accessKeyId: 'AKIALISTINGCLUSTERS1', secretAccessKey: 'listingClustersSecretKeyLongEnough01' },
    });
    expect(account.status).toBe(201);
    accountId = account.body.id;
    // Seven clusters: five in us-east-1 (one of them fails), two in us-west-2.
    for (const [name, region] of [['alpha', 'us-east-1'], ['bravo', 'us-east-1'], ['charlie', 'us-east-1'], ['delta', 'us-east-1'], ['broken', 'us-east-1'], ['west1', 'us-west-2'], ['west2', 'us-west-2']]) {
      const created = await call(api.base, 'POST', '/v1/clusters', { token: admin(), body: spec(name, region) });
      expect(created.status).toBe(202);
    }
  }, 180000);

  afterAll(async () => {
    worker?.shutdown();
    await running?.catch(() => undefined);
    await api?.close();
    await env?.teardown();
    await moto?.stop();
  });

  it('lists every cluster once over pages of `limit`, with its listing', async () => {
    const settled = await until(
      () => pages(''),
      (p) => p.flat().length === 7 && p.flat().every((c) => (c.name === 'broken' ? c.phase === 'Failed' : c.phase === 'Running') && !c.currentOperation),
      'seven clusters listed, settled',
    );
    const byName = Object.fromEntries(settled.flat().map((c) => [c.name, c]));
    expect(byName.alpha).toEqual({
      name: 'alpha',
      project: 'default',
      region: 'us-east-1',
      phase: 'Running',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      pools: [
        { name: 'master', role: 'control-plane', instanceType: 'm5.large', capacity: { type: 'on-demand' }, desired: 1, nodes: 1 },
        { name: 'workers', role: 'worker', instanceType: 'm5.large', capacity: { type: 'on-demand' }, desired: 2, nodes: 2 },
      ],
    });
    expect(byName.broken.lastError).toMatch(/^create failed: /);

    // Pages by name: every cluster once, none missing, the last page without a next one.
    const paged = await pages('?limit=3');
    expect(paged.map((p) => p.map((c) => c.name))).toEqual([['alpha', 'bravo', 'broken'], ['charlie', 'delta', 'west1'], ['west2']]);
    // The default page holds them all, and says there is nothing after it.
    const whole = await list('');
    expect(whole.body.items.map((c: Listed) => c.name)).toEqual(['alpha', 'bravo', 'broken', 'charlie', 'delta', 'west1', 'west2']);
    expect(whole.body.nextPageToken).toBeUndefined();
  });

  it('filters by region and phase, and pages within a filter', async () => {
    await until(() => pages(''), (p) => p.flat().filter((c) => c.phase === 'Running').length === 6, 'six clusters Running');
    expect(names((await pages('?region=us-west-2')).flat())).toEqual(['west1', 'west2']);
    expect(names((await pages('?phase=Failed')).flat())).toEqual(['broken']);
    expect((await pages('?phase=Running&region=us-east-1&limit=2')).map((p) => p.map((c) => c.name))).toEqual([['alpha', 'bravo'], ['charlie', 'delta']]);
    expect((await pages('?phase=Provisioning')).flat()).toEqual([]);
    expect((await pages('?region=eu-west-1')).flat()).toEqual([]);
  });

  it('refuses a bad limit, phase, region or page token with 400 naming the field and the rule', async () => {
    const refusal = async (query: string) => {
      const answer = await list(query);
      expect(answer.status).toBe(400);
      return answer.body.details.map((d: { field: string; rule: string }) => `${d.field}:${d.rule}`);
    };
    for (const limit of ['0', '201', 'abc', '2.5', '-1']) expect(await refusal(`?limit=${limit}`)).toEqual(['limit:page-size']);
    expect(await refusal('?phase=Deleted')).toEqual(['phase:listed-phase']);
    expect(await refusal('?phase=running')).toEqual(['phase:listed-phase']);
    expect(await refusal(`?phase=${encodeURIComponent('Running" OR ClusterProject != "x')}`)).toEqual(['phase:listed-phase']);
    expect(await refusal('?region=US_EAST_1')).toEqual(['region:matches']);
    expect(await refusal(`?region=${encodeURIComponent('us-east-1" OR ClusterProject = "other')}`)).toEqual(['region:matches']);
    expect(await refusal('?pageToken=not%20a%20token')).toEqual(['pageToken:page-token']);
    expect(await refusal(`?pageToken=${Buffer.from('{"q":1}').toString('base64url')}`)).toEqual(['pageToken:page-token']);
    // A real token, asked with other filters: refused, not paging some other list.
    const first = await list('?limit=1');
    expect(first.body.nextPageToken).toEqual(expect.any(String));
    expect(await refusal(`?limit=1&region=us-west-2&pageToken=${first.body.nextPageToken}`)).toEqual(['pageToken:page-token-query']);
    // A token altered by one character fails its authentication: Temporal never sees it.
    const token = first.body.nextPageToken as string;
    const at = token.length - 5;
    const altered = `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`;
    expect(await refusal(`?limit=1&pageToken=${altered}`)).toEqual(['pageToken:page-token']);
    expect((await list(`?limit=1&pageToken=${token}`)).status).toBe(200);
  });

  it('lists only the caller’s project, and not deleted clusters', async () => {
    expect((await call(api.base, 'POST', '/v1/projects', { token: admin(), body: { name: 'other' } })).status).toBe(201);
    const inOther = { 'X-Clusterflow-Project': 'other' };
    const account = await call(api.base, 'POST', '/v1/cloud-accounts', {
      token: admin(),
      headers: inOther,
      body: { name: 'listing', accessKeyId: 'AKIALISTINGCLUSTERS2', secretAccessKey: 'listingClustersSecretKeyLongEnough02' },
    });
    const otherSpec = { ...spec('alpha'), cloud: { ...spec('alpha').cloud, accountId: account.body.id } };
    expect((await call(api.base, 'POST', '/v1/clusters', { token: admin(), headers: inOther, body: otherSpec })).status).toBe(202);
    const viewer = (await call(api.base, 'POST', '/v1/projects/other/tokens', { token: admin(), body: { role: 'viewer' } })).body.token as string;

    const otherList = await until(() => pages('', viewer), (p) => p.flat().length === 1, "other's alpha listed");
    expect(otherList.flat().map((c) => `${c.project}/${c.name}`)).toEqual(['other/alpha']);
    expect((await pages('', admin(), inOther)).flat().map((c) => `${c.project}/${c.name}`)).toEqual(['other/alpha']);
    const mine = (await pages('')).flat();
    expect(mine.every((c) => c.project === 'default')).toBe(true);
    expect(mine).toHaveLength(7);
    // A page token of default's list does not page another project's.
    const first = await list('?limit=1');
    expect((await list(`?limit=1&pageToken=${first.body.nextPageToken}`, viewer)).status).toBe(400);

    // Deleted: gone from the list once visibility has the entity closed.
    expect((await call(api.base, 'DELETE', '/v1/clusters/delta', { token: admin() })).status).toBe(202);
    const after = await until(() => pages(''), (p) => !p.flat().some((c) => c.name === 'delta'), 'delta no longer listed');
    expect(names(after.flat())).toEqual(['alpha', 'bravo', 'broken', 'charlie', 'west1', 'west2']);
    expect((await call(api.base, 'GET', '/v1/clusters/delta', { token: admin() })).body.phase).toBe('Deleted');
  });

  it('gives the same page the same token, and checks a token it has opened before against the list it comes with', async () => {
    const first = await list('?limit=2');
    expect(first.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const token = first.body.nextPageToken as string;
    expect(token).toEqual(expect.any(String));
    // Sealed once: asking for the same page again gives the same token (a fresh seal would differ in its IV).
    expect((await list('?limit=2')).body.nextPageToken).toBe(token);
    const second = await list(`?limit=2&pageToken=${token}`);
    expect(second.status).toBe(200);
    expect(second.body.items.map((c: Listed) => c.name)).toEqual(['broken', 'charlie']);
    // Opened already, the token is still bound to its list: other filters are refused, the same ones page on.
    const foreign = await list(`?limit=2&region=us-west-2&pageToken=${token}`);
    expect(foreign.status).toBe(400);
    expect(foreign.body.details.map((d: { field: string; rule: string }) => `${d.field}:${d.rule}`)).toEqual(['pageToken:page-token-query']);
    expect((await list(`?limit=2&pageToken=${token}`)).body).toEqual(second.body);
  });

  it('answers every question asked within one snapshot on its own: project, filters, limit and start', async () => {
    // The app's own client and codec, with a snapshot that stays a minute: every answer below comes from one snapshot.
    const model = new ClusterReadModel(api.app.get<Client>(TEMPORAL_CLIENT), api.app.get<PayloadCodec>(PAYLOAD_CODEC), 60_000);
    type Raw = { limit?: string; pageToken?: string; phase?: string; region?: string };
    const ask = async (project: string, raw: Raw) => JSON.parse(await model.page(clusterListPage(project, raw))) as { items: Listed[]; nextPageToken?: string };
    const walk = async (project: string, raw: Raw) => {
      const found: string[][] = [];
      let pageToken: string | undefined;
      do {
        const page = await ask(project, { ...raw, pageToken });
        found.push(page.items.map((c) => c.name));
        pageToken = page.nextPageToken;
      } while (pageToken);
      return found;
    };
    const all = (await ask('default', { limit: '200' })).items;
    expect(all.map((c) => c.name)).toEqual(['alpha', 'bravo', 'broken', 'charlie', 'west1', 'west2']);
    const questions: Array<[Raw, string[][]]> = [
      [{}, [['alpha', 'bravo', 'broken', 'charlie', 'west1', 'west2']]],
      [{ limit: '4' }, [['alpha', 'bravo', 'broken', 'charlie'], ['west1', 'west2']]],
      [{ limit: '4', region: 'us-west-2' }, [['west1', 'west2']]],
      [{ limit: '4', phase: 'Failed' }, [['broken']]],
      [{ limit: '2', phase: 'Running' }, [['alpha', 'bravo'], ['charlie', 'west1'], ['west2']]],
      [{ limit: '2', phase: 'Running', region: 'us-east-1' }, [['alpha', 'bravo'], ['charlie']]],
    ];
    // Twice over, in turn: the second round is answered from what the first one kept, and must not mix questions up.
    for (let round = 0; round < 2; round++) {
      for (const [raw, expected] of questions) expect([raw, await walk('default', raw)]).toEqual([raw, expected]);
      expect(await walk('other', { limit: '4' })).toEqual([['alpha']]);
      expect((await ask('other', {})).items.map((c) => `${c.project}/${c.name}`)).toEqual(['other/alpha']);
    }
    // The text is the listing as the cluster's entity keeps it, whole.
    expect((await ask('default', { region: 'us-west-2', limit: '1' })).items).toEqual([all.find((c) => c.name === 'west1')]);
  });
});
