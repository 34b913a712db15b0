import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FuzzFixtures, runFuzzer } from '../../scripts/api-fuzz';
import { call } from '../support/http';
import { useStack } from '../support/stack';

/**
 * The API against its own OpenAPI document, fuzzed by schemathesis (docs/api.md#the-contract):
 * generated valid and invalid requests to every operation; any server error, status the document
 * does not list, answer that breaks its schema or wrong content type fails the suite, with
 * schemathesis's report. The seed is fixed (CLUSTERFLOW_FUZZ_SEED to change it) and printed, so a
 * failure is replayed by running the suite again; CLUSTERFLOW_FUZZ_EXAMPLES sets the examples per
 * operation (`npm run fuzz:api` asks more than CI's run).
 */
const SEED = Number(process.env.CLUSTERFLOW_FUZZ_SEED ?? 20261201);
const EXAMPLES = Number(process.env.CLUSTERFLOW_FUZZ_EXAMPLES ?? 25);

describe('the API keeps its OpenAPI contract under a schema-driven fuzzer', () => {
  const stack = useStack();
  let workDir: string;
  let fixtures: FuzzFixtures;

  beforeAll(async () => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-fuzz-'));
    const { api, token } = stack;
    const project = 'fuzz';
    expect((await call(api, 'POST', '/v1/projects', { token, body: { name: project } })).status).toBe(201);
    const headers = { 'X-Clusterflow-Project': project };
    const accountId = await (async () => {
      const created = await call(api, 'POST', '/v1/cloud-accounts', { token, headers, body: { name: 'fuzz', accessKeyId: 'AKIAFUZZCONTRACT0001', secretAccessKey: 'fuzzContractSecretKeyLongEnough000001' } });
      expect(created.status).toBe(201);
      return created.body.id as string;
    })();
    const builtIn = await call(api, 'GET', '/v1/cluster-profiles/aws-default', { token, headers });
    const profile = await call(api, 'POST', '/v1/cluster-profiles', { token, headers, body: { name: 'fuzz', packs: builtIn.body.packs } });
    expect(profile.status).toBe(201);
    fixtures = { project, accountId, profileId: profile.body.id };
  });
  afterAll(() => {
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  });

  it('the document’s create example, with the fixtures’ account and profile, is a dry run the API answers in full', async () => {
    const doc = (await call(stack.api, 'GET', '/docs-json')).body;
    const example = doc.paths['/v1/clusters'].post.requestBody.content['application/json'].examples.dynamic.value;
    const body = { ...example, profile: { id: fixtures.profileId }, cloud: { ...example.cloud, accountId: fixtures.accountId } };
    const answer = await call(stack.api, 'POST', '/v1/clusters?dryRun=true', { token: stack.token, headers: { 'X-Clusterflow-Project': fixtures.project }, body });
    expect({ status: answer.status, body: answer.status === 200 ? 'a plan' : answer.body }).toEqual({ status: 200, body: 'a plan' });
    expect(answer.body.preflight.ok).toBe(true);
  });

  it(`finds no server error, undocumented status, schema mismatch or wrong content type (seed ${SEED}, ${EXAMPLES} examples per operation)`, async () => {
    process.stdout.write(`schemathesis seed ${SEED}, ${EXAMPLES} examples per operation\n`);
    const result = await runFuzzer({ api: stack.api, adminToken: stack.token, fixtures, seed: SEED, maxExamples: EXAMPLES, workDir });
    // The whole report on failure: which operation, which check, the request to replay it.
    expect({ exitCode: result.exitCode, seed: SEED, report: result.exitCode === 0 ? 'passed' : result.output }).toEqual({ exitCode: 0, seed: SEED, report: 'passed' });
    // It ran every operation of the document (a document it could not read would test nothing).
    expect(result.output).toMatch(/Selected: (\d+)\/\1\s+Tested: \1\b/);
    // Its counts, without its pytest-style rule line ("=== 2 warnings in 63 s ==="): CI reads such
    // a line as a test runner's closing line, and this one counts no test.
    const summary = result.output.slice(result.output.indexOf('Test cases:')).split('\n').filter((line) => !/^=+ .* =+$/.test(line.trim()));
    process.stdout.write(`${summary.join('\n')}\n`);

    // What it did, as the API counted it: no operation started (every create was a dry run, every
    // other change found no cluster), and dry runs got as far as a plan and a price.
    const metrics = (await call(stack.api, 'GET', '/metrics', { token: stack.token })).text;
    const started = [...metrics.matchAll(/^clusterflow_operations_started_total\{[^}]*\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
    expect(started).toBe(0);
    const creates = Object.fromEntries(
      [...metrics.matchAll(/^clusterflow_http_requests_total\{(?=[^}]*method="POST")(?=[^}]*route="\/v1\/clusters")[^}]*status="(\d+)"[^}]*\} (\d+)$/gm)].map((m) => [m[1], Number(m[2])]),
    );
    expect({ creates, dryRunsAnswered: (creates['200'] ?? 0) > 0 }).toEqual({ creates, dryRunsAnswered: true });
  }, 600_000);
});
