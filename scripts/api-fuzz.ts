/**
 * Runs schemathesis (scripts/tools.ts installs it, pinned) over a running API's own OpenAPI
 * document (as it serves it at /docs-json, the fixtures' ids put in the create's example): every operation with generated valid and invalid requests, failing on server errors,
 * statuses the document does not list, answers that break their schema and wrong content types
 * (docs/api.md#the-contract). test/e2e/api-contract.test.ts runs it over a stack of its own;
 * `npm run fuzz:api` runs that suite with more examples.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureSchemathesis } from './tools';

/** The checks a run fails on. */
export const FUZZ_CHECKS = ['not_a_server_error', 'status_code_conformance', 'response_schema_conformance', 'content_type_conformance'];
export const FUZZ_PHASES = ['examples', 'coverage', 'fuzzing', 'stateful'];

/** What the fuzzer acts on: a project of its own with a cloud account and a profile, named here so reads find something. */
export interface FuzzFixtures {
  project: string;
  accountId: string;
  profileId: string;
}

export interface FuzzRun {
  /** The API's base URL; its document is read from `<api>/docs-json`. */
  api: string;
  adminToken: string;
  fixtures: FuzzFixtures;
  seed: number;
  maxExamples: number;
  /** Where the config and the reports go. */
  workDir: string;
}

/** The change routes that have a dry run: the fuzzer only ever sends them as dry runs. */
const DRY_RUN_ONLY = ['ClustersController_create', 'ClustersController_updatePool', 'ClustersController_upgrade', 'ClustersController_changeProfile'];

function toml(value: unknown): string {
  return JSON.stringify(value);
}

/**
 * schemathesis.toml for one run. The admin token acts in the fixtures' project (so the admin-only
 * routes are fuzzed too); the change routes with a dry run are sent with ?dryRun=true and the
 * fixture account and profile, so a fuzzed create plans and prices against the simulator but never starts a
 * workflow; the other cluster routes find no cluster in that project (404). Reads of one account
 * or profile name the fixtures', so their 200 answers are checked against the schema too.
 */
export function fuzzConfig(run: FuzzRun): string {
  const { fixtures } = run;
  const lines = [
    `seed = ${run.seed}`,
    '[generation]',
    `max-examples = ${run.maxExamples}`,
    '[headers]',
    `Authorization = ${toml(`Bearer ${run.adminToken}`)}`,
    `X-Clusterflow-Project = ${toml(fixtures.project)}`,
    '[[operations]]',
    `include-operation-id = ${toml(DRY_RUN_ONLY)}`,
    // A body path an operation's body lacks is skipped for it (only the create's has these two).
    `parameters = { "query.dryRun" = "true", "body.cloud.accountId" = ${toml(fixtures.accountId)}, "body.profile.id" = ${toml(fixtures.profileId)} }`,
    '[[operations]]',
    `include-operation-id = ${toml(['CloudAccountsController_get', 'CloudAccountsController_rotateKeys'])}`,
    `parameters = { "path.id" = ${toml(fixtures.accountId)} }`,
    '[[operations]]',
    `include-operation-id = ${toml(['ClusterProfilesController_get'])}`,
    `parameters = { "path.id" = ${toml(fixtures.profileId)} }`,
  ];
  return `${lines.join('\n')}\n`;
}

export interface FuzzResult {
  exitCode: number | null;
  /** schemathesis's report, as it printed it (the token is sanitized by schemathesis). */
  output: string;
  /** The command, to run it again by hand. */
  command: string;
}

interface MediaExamples {
  examples?: Record<string, { value?: { cloud?: { accountId?: string }; profile?: { id?: string } } }>;
}

/**
 * The API's document with the fixtures' account and profile in the create's body examples.
 * schemathesis sends examples as they are (its parameter overrides do not reach them), and the
 * example is its one sure way to a body that passes every rule, so a dry run is planned and priced.
 */
export function withFixtureExamples(document: { paths: Record<string, Record<string, { requestBody?: { content?: Record<string, MediaExamples> } }>> }, fixtures: FuzzFixtures): typeof document {
  const copy = structuredClone(document);
  for (const media of Object.values(copy.paths['/v1/clusters']?.post?.requestBody?.content ?? {})) {
    for (const example of Object.values(media.examples ?? {})) {
      if (example.value?.cloud) example.value.cloud.accountId = fixtures.accountId;
      if (example.value?.profile) example.value.profile.id = fixtures.profileId;
    }
  }
  return copy;
}

export async function runFuzzer(run: FuzzRun): Promise<FuzzResult> {
  const schemathesis = ensureSchemathesis();
  fs.mkdirSync(run.workDir, { recursive: true });
  const served = await fetch(`${run.api}/docs-json`);
  if (!served.ok) throw new Error(`GET ${run.api}/docs-json answered ${served.status}`);
  const documentFile = path.join(run.workDir, 'openapi.json');
  fs.writeFileSync(documentFile, JSON.stringify(withFixtureExamples((await served.json()) as Parameters<typeof withFixtureExamples>[0], run.fixtures), null, 2));
  const configFile = path.join(run.workDir, 'schemathesis.toml');
  // The token is in it: readable by this user only.
  fs.writeFileSync(configFile, fuzzConfig(run), { mode: 0o600 });
  const args = [
    '--config-file', configFile,
    '--no-color',
    'run', documentFile,
    '--url', run.api,
    '--checks', FUZZ_CHECKS.join(','),
    '--phases', FUZZ_PHASES.join(','),
    '--seed', String(run.seed),
    '--max-examples', String(run.maxExamples),
    '--workers', '1',
    '--no-shrink',
    '--report', 'junit',
    '--report-dir', path.join(run.workDir, 'report'),
  ];
  const command = [schemathesis, ...args].join(' ');
  return new Promise((resolve, reject) => {
    // In the work dir: schemathesis keeps a crash cache under its working directory, which would
    // otherwise land in the checkout and replay an earlier run's failures into this one.
    // No hooks from the caller's environment: the run is the document's and the config's alone.
    const { SCHEMATHESIS_HOOKS: _hooks, ...env } = process.env;
    const child = spawn(schemathesis, args, { cwd: run.workDir, stdio: ['ignore', 'pipe', 'pipe'], env });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ exitCode, output, command }));
  });
}
