/**
 * Finds or builds the Temporal server and its SQL tool (`temporal-sql-tool`) at the release
 * docker-compose.yml deploys, for the production-topology suite (test/topology/). Built with
 * `go build` inside the go.temporal.io/server module from the Go module proxy, cached per
 * version in the tool cache beside the CLI, under a lock; the module's PostgreSQL schema and
 * the config template its Docker image renders are kept with the binaries.
 *
 * The release is read from the compose file (the `temporalio/server` image's tag), the one
 * place it is written: the suite tests what compose deploys.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../common/config';
import { repoRoot } from '../common/paths';
import { goModDownload, MissingPrerequisite, onPath, withLock } from './tools';

const SERVER_MODULE = 'go.temporal.io/server';
export const COMPOSE_FILE = path.join(repoRoot(), 'docker-compose.yml');

export interface ComposeService {
  image?: string;
  environment?: Record<string, string | number | boolean | null>;
  volumes?: string[];
}

/** The compose file's services as written (no interpolation: `${VAR:-default}` stays as it is). */
export function composeServices(file = COMPOSE_FILE): Record<string, ComposeService> {
  return (parseYaml(fs.readFileSync(file, 'utf8'), { merge: true }) as { services: Record<string, ComposeService> }).services;
}

/** The Temporal server release compose deploys: `v` + the `temporalio/server` image's tag. */
export function temporalServerVersion(file = COMPOSE_FILE): string {
  const image = composeServices(file).temporal?.image ?? '';
  const match = /^temporalio\/server:(\d+\.\d+\.\d+)$/.exec(image);
  if (!match) throw new Error(`${file}: the temporal service's image should be temporalio/server:<x.y.z>, got "${image}"`);
  return `v${match[1]}`;
}

export interface TemporalServerInstall {
  version: string;
  server: string;
  sqlTool: string;
  /** The module's `schema/postgresql/v12` (what the admin-tools image has at /etc/temporal/schema/postgresql/v12). */
  postgresSchema: string;
  /** The module's `docker/config_template.yaml`, the server image's configuration. */
  configTemplate: string;
}

function log(message: string): void {
  process.stderr.write(`[tools] ${message}\n`);
}

function installOf(dir: string, version: string): TemporalServerInstall {
  return {
    version,
    server: path.join(dir, 'temporal-server'),
    sqlTool: path.join(dir, 'temporal-sql-tool'),
    postgresSchema: path.join(dir, 'schema', 'postgresql', 'v12'),
    configTemplate: path.join(dir, 'config_template.yaml'),
  };
}

export function ensureTemporalServer(cacheDir = loadConfig().cacheDir, version = temporalServerVersion()): TemporalServerInstall {
  const dir = path.join(cacheDir, `temporal-server-${version}`);
  const ready = path.join(dir, '.clusterflow-ready');
  if (fs.existsSync(ready)) return installOf(dir, version);
  // A first build on two cores takes a good part of an hour: wait that long for another's.
  return withLock(
    `${dir}.lock`,
    () => {
      // Another bootstrap may have finished it while this one waited for the lock.
      if (fs.existsSync(ready)) return installOf(dir, version);
      build(cacheDir, dir, version);
      fs.writeFileSync(ready, version);
      return installOf(dir, version);
    },
    60 * 60_000,
  );
}

function build(cacheDir: string, dir: string, version: string): void {
  const go = onPath('go');
  if (!go) {
    throw new MissingPrerequisite(`The Temporal server ${version} is needed for the topology suite and is built from source: install Go (1.25 or newer).`);
  }
  log(`building the Temporal server and temporal-sql-tool ${version} with go build (first run only; several minutes)`);
  const moduleDir = goModDownload(go, SERVER_MODULE, version);
  fs.mkdirSync(cacheDir, { recursive: true });
  // Built into a private directory, then renamed: no one sees a half-built install.
  const staging = fs.mkdtempSync(path.join(cacheDir, 'temporal-server-build-'));
  try {
    for (const [output, pkg] of [
      ['temporal-server', './cmd/server'],
      ['temporal-sql-tool', './cmd/tools/sql'],
    ]) {
      const built = spawnSync(go, ['build', '-o', path.join(staging, output), pkg], {
        cwd: moduleDir,
        env: { ...process.env, GOWORK: 'off', CGO_ENABLED: process.env.CGO_ENABLED ?? '0' },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      if (built.status !== 0) throw new MissingPrerequisite(`go build of ${pkg} (${SERVER_MODULE} ${version}) failed (exit ${built.status}); see the output above.`);
    }
    fs.cpSync(path.join(moduleDir, 'schema', 'postgresql', 'v12'), path.join(staging, 'schema', 'postgresql', 'v12'), { recursive: true });
    fs.copyFileSync(path.join(moduleDir, 'docker', 'config_template.yaml'), path.join(staging, 'config_template.yaml'));
    // The module cache's files are read-only; the install is ours to remove.
    fs.chmodSync(path.join(staging, 'config_template.yaml'), 0o644);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(staging, dir);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * The server image's config template made one the server renders itself: the image fills it
 * with dockerize at start (`.Env.X`, `default VALUE FALLBACK`); the server's own loader renders
 * a file marked `enable-template` with sprig, whose `env "X"` reads the same variable and
 * whose `default` takes the fallback first.
 */
export function selfRenderingConfig(template: string): string {
  const sprig = template
    .replace(/default \.Env\.([A-Za-z_][A-Za-z0-9_]*) ("[^"]*"|\$[A-Za-z_][A-Za-z0-9_]*)/g, (_all, name: string, fallback: string) => `default ${fallback} (env "${name}")`)
    .replace(/\.Env\.([A-Za-z_][A-Za-z0-9_]*)/g, (_all, name: string) => `(env "${name}")`);
  if (/(^|[\s(])default \(env /m.test(sprig)) throw new Error('the config template has a `default` this translation does not know; see selfRenderingConfig');
  return `# enable-template\n${sprig}`;
}

/** `node dist/scripts/temporal-server.js`: bootstrap the server and say where it is. */
if (require.main === module) {
  try {
    const install = ensureTemporalServer();
    process.stdout.write(`${install.server}\n${install.sqlTool}\n`);
  } catch (error) {
    if (error instanceof MissingPrerequisite) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}
