/**
 * The production-like deployment (docker-compose.yml, Dockerfile), read by the real docker
 * compose: `config` parses, interpolates and validates the file exactly as `up` would, and
 * needs no Docker engine. The first run may build compose from source (several minutes).
 */
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../common/config';
import { resolvePayloadCodec } from '../common/data-dir';
import { repoRoot } from '../common/paths';
import { SEARCH_ATTRIBUTE_KEYS } from '../common/search-attributes';
import { ComposeCommand, ensureDockerCompose } from '../scripts/compose-tool';
import { PINNED_VERSION } from '../scripts/node-runtime';
import { parse as parseYaml } from 'yaml';

const ROOT = repoRoot();
const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');
const DOCKERFILE = path.join(ROOT, 'Dockerfile');
const BOOTSTRAP_TIMEOUT_MS = 15 * 60_000;

/** The secrets' values during the test: each must reach its service through interpolation. */
const SECRETS = {
  POSTGRES_PASSWORD: `pg-${randomBytes(12).toString('hex')}`,
  CLUSTERFLOW_API_TOKEN: `cf_${randomBytes(18).toString('base64url')}`,
  CLUSTERFLOW_SECRET_KEY: randomBytes(32).toString('base64'),
  CLUSTERFLOW_PAYLOAD_KEY: randomBytes(32).toString('base64'),
  CLUSTERFLOW_PAYLOAD_KEYS_OLD: `${randomBytes(32).toString('base64')},${randomBytes(32).toString('base64')}`,
};
/** Environment names that carry a secret. */
const SECRET_NAME = /(PASSWORD|PWD|TOKEN|SECRET|_KEY|_KEYS_OLD)$/;

interface Port {
  host_ip?: string;
  target: number;
  published?: string | number;
}
interface Mount {
  type: string;
  source?: string;
  target: string;
}
interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string | number | null>;
  ports?: Port[];
  volumes?: Mount[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[] };
  secrets?: Array<{ source: string; target: string }>;
}
interface Project {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { environment?: string; file?: string }>;
}

let compose: ComposeCommand;
let tmp: string;
let noEnvFile: string;
let project: Project;
let raw: Project;

/** The caller's environment minus anything the compose file interpolates, plus `vars`. */
function composeEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(POSTGRES_|CLUSTERFLOW_|TEMPORAL_|COMPOSE_|AWS_ENDPOINT_URL$)/.test(name)) env[name] = value;
  }
  return { ...env, ...vars };
}

function runCompose(file: string, args: string[], vars: Record<string, string> = SECRETS): SpawnSyncReturns<string> {
  // An empty --env-file: a developer's .env must not change what the test sees.
  const argv = [...compose.args, '--project-directory', ROOT, '--env-file', noEnvFile, '-f', file, ...args];
  return spawnSync(compose.command, argv, { encoding: 'utf8', env: composeEnv(vars), timeout: 120_000 });
}

function configOf(file: string, extra: string[] = []): Project {
  const result = runCompose(file, ['config', '--format', 'json', ...extra]);
  if (result.status !== 0) {
    throw new Error(`docker compose config failed (exit ${result.status}): ${result.stderr || result.error?.message}`);
  }
  return JSON.parse(result.stdout) as Project;
}

function service(name: string, from: Project = project): Service {
  const found = from.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

function envOf(name: string, from: Project = project): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(service(name, from).environment ?? {})) env[key] = String(value ?? '');
  return env;
}

function tagOf(image: string): string {
  return image.slice(image.lastIndexOf(':') + 1);
}

beforeAll(() => {
  compose = ensureDockerCompose();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clusterflow-compose-'));
  noEnvFile = path.join(tmp, 'empty.env');
  fs.writeFileSync(noEnvFile, '');
  project = configOf(COMPOSE_FILE);
  raw = configOf(COMPOSE_FILE, ['--no-interpolate']);
}, BOOTSTRAP_TIMEOUT_MS);

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('docker-compose.yml, as docker compose reads it', () => {
  test('runs Temporal on PostgreSQL with schema and search-attribute jobs, the Web UI, the worker and the API', () => {
    expect(Object.keys(project.services)).toEqual(
      expect.arrayContaining(['postgresql', 'temporal-schema', 'temporal', 'temporal-setup', 'temporal-ui', 'worker', 'api']),
    );
    expect(service('postgresql').image).toMatch(/^postgres:/);
    expect(service('temporal').image).toMatch(/^temporalio\/server:/);
    expect(service('temporal-schema').image).toMatch(/^temporalio\/admin-tools:/);
    expect(service('temporal-setup').image).toMatch(/^temporalio\/admin-tools:/);
    expect(service('temporal-ui').image).toMatch(/^temporalio\/ui:/);
    // Temporal points the server at PostgreSQL, for persistence and visibility alike.
    expect(envOf('temporal')).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgresql' });
  });

  test('pins every pulled image to a release, and the admin tools to the server release', () => {
    for (const [name, svc] of Object.entries(project.services)) {
      if (svc.build) continue;
      // Prometheus tags its releases v3.5.0.
      expect({ name, image: svc.image }).toEqual({ name, image: expect.stringMatching(/:v?\d+(\.\d+)+(@sha256:[0-9a-f]{64})?$/) });
    }
    const server = tagOf(service('temporal').image ?? '');
    expect(tagOf(service('temporal-schema').image ?? '')).toBe(server);
    expect(tagOf(service('temporal-setup').image ?? '')).toBe(server);
  });

  test('builds the worker and the API from the repository Dockerfile, as one image', () => {
    for (const name of ['worker', 'api']) {
      const build = service(name).build;
      expect(build?.context).toBe(ROOT);
      expect(path.resolve(build?.context ?? '', build?.dockerfile ?? 'Dockerfile')).toBe(DOCKERFILE);
    }
    expect(fs.existsSync(DOCKERFILE)).toBe(true);
    expect(service('worker').image).toBe(service('api').image);
    expect(service('worker').command).toEqual(['node', 'dist/worker/main.js']);
    expect(service('api').command).toEqual(['node', 'dist/api/main.js']);
  });

  test('publishes ports on 127.0.0.1 only: API 8080, Web UI 8233, frontend 7233', () => {
    const published: string[] = [];
    for (const [name, svc] of Object.entries(project.services)) {
      for (const port of svc.ports ?? []) {
        expect({ name, host_ip: port.host_ip }).toEqual({ name, host_ip: '127.0.0.1' });
        published.push(`${name} ${port.published}->${port.target}`);
      }
    }
    expect(published.sort()).toEqual(['api 8080->8080', 'prometheus 9090->9090', 'temporal 7233->7233', 'temporal-ui 8233->8080']);
  });

  test('gives the worker and the API one named data volume at CLUSTERFLOW_DATA_DIR', () => {
    const sources = ['worker', 'api'].map((name) => {
      const dataDir = envOf(name).CLUSTERFLOW_DATA_DIR;
      expect(dataDir).toMatch(/^\//);
      const mount = (service(name).volumes ?? []).find((volume) => volume.target === dataDir);
      expect(mount?.type).toBe('volume');
      return mount?.source;
    });
    expect(sources[0]).toBeTruthy();
    expect(sources[1]).toBe(sources[0]);
    expect(Object.keys(project.volumes ?? {})).toContain(sources[0]);
    expect(envOf('worker').CLUSTERFLOW_DATA_DIR).toBe(envOf('api').CLUSTERFLOW_DATA_DIR);
  });

  test('points the worker, the API and the UI at the temporal service, in the prepared namespace', () => {
    const frontendPorts = (service('temporal').ports ?? []).map((port) => port.target);
    for (const name of ['worker', 'api', 'temporal-ui', 'temporal-setup']) {
      const [host, port] = (envOf(name).TEMPORAL_ADDRESS ?? '').split(':');
      expect({ name, host }).toEqual({ name, host: 'temporal' });
      expect(frontendPorts).toContain(Number(port));
    }
    const namespace = envOf('temporal-setup').TEMPORAL_NAMESPACE;
    expect(namespace).toBe('default');
    for (const name of ['worker', 'api']) {
      expect(envOf(name)).toMatchObject({ TEMPORAL_NAMESPACE: namespace, CLUSTERFLOW_TASK_QUEUE: 'clusterflow' });
    }
    expect(envOf('api')).toMatchObject({ CLUSTERFLOW_API_HOST: '0.0.0.0', CLUSTERFLOW_API_PORT: '8080' });
    expect(envOf('worker').AWS_ENDPOINT_URL ?? '').toBe('');
  });

  test('starts each piece only once what it needs is healthy or done', () => {
    const dependsOn = (name: string): Record<string, string> =>
      Object.fromEntries(Object.entries(service(name).depends_on ?? {}).map(([dep, spec]) => [dep, spec.condition]));
    for (const name of ['worker', 'api']) {
      expect(dependsOn(name)).toMatchObject({ temporal: 'service_healthy', 'temporal-setup': 'service_completed_successfully' });
    }
    expect(dependsOn('temporal-setup')).toMatchObject({ temporal: 'service_healthy' });
    expect(dependsOn('temporal')).toMatchObject({ 'temporal-schema': 'service_completed_successfully' });
    expect(dependsOn('temporal-schema')).toMatchObject({ postgresql: 'service_healthy' });
    for (const name of ['postgresql', 'temporal', 'api']) expect(service(name).healthcheck?.test?.length).toBeGreaterThan(0);
    expect(service('api').healthcheck?.test?.join(' ')).toMatch(/127\.0\.0\.1:8080\/(readyz|healthz)/);
  });

  test('registers the search attributes of docs/api.md with a script from deploy/', () => {
    // `Name=KeywordList` for the CLI is `{ name, type: 'KEYWORD_LIST' }` for the SDK.
    const pairs = (envOf('temporal-setup').CLUSTERFLOW_SEARCH_ATTRIBUTES ?? '').split(/\s+/).filter(Boolean);
    const registered = pairs
      .map((pair) => pair.split('='))
      .map(([name, type]) => [name, type.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()]);
    const wanted = Object.values(SEARCH_ATTRIBUTE_KEYS).map((key) => [key.name, key.type]);
    expect(Object.fromEntries(registered)).toEqual(Object.fromEntries(wanted));
    expect(registered).toHaveLength(wanted.length);

    const script = (service('temporal-setup').volumes ?? []).find((volume) => volume.type === 'bind');
    expect(service('temporal-setup').entrypoint?.join(' ')).toContain(script?.target ?? '<no bind mount>');
    const text = fs.readFileSync(script?.source ?? '', 'utf8');
    expect(text).toContain('operator namespace create');
    expect(text).toContain('operator search-attribute create');
  });

  test('bind-mounts only files and folders that exist in the repository', () => {
    let binds = 0;
    for (const svc of Object.values(project.services)) {
      for (const volume of svc.volumes ?? []) {
        if (volume.type !== 'bind') continue;
        binds += 1;
        const source = volume.source ?? '';
        // A missing source would be created as an empty directory by `up`.
        expect({ source, exists: fs.existsSync(source) }).toEqual({ source, exists: true });
        expect(path.relative(ROOT, source).startsWith('..')).toBe(false);
      }
    }
    expect(binds).toBeGreaterThanOrEqual(3);
  });

  test('takes every secret from the environment, never from the file', () => {
    let seen = 0;
    for (const name of Object.keys(raw.services)) {
      for (const [key, value] of Object.entries(envOf(name, raw))) {
        if (!SECRET_NAME.test(key)) continue;
        seen += 1;
        // `${VAR}`, `${VAR:-}` or `${VAR:?message}`: a reference with no default value.
        expect({ name, key, value }).toEqual({ name, key, value: expect.stringMatching(/^\$\{[A-Z][A-Z0-9_]*(:?-|:?\?[^}]*)?\}$/) });
      }
    }
    expect(seen).toBeGreaterThanOrEqual(6);

    expect(envOf('postgresql').POSTGRES_PASSWORD).toBe(SECRETS.POSTGRES_PASSWORD);
    expect(envOf('temporal').POSTGRES_PWD).toBe(SECRETS.POSTGRES_PASSWORD);
    expect(envOf('temporal-schema').SQL_PASSWORD).toBe(SECRETS.POSTGRES_PASSWORD);
    expect(envOf('api').CLUSTERFLOW_API_TOKEN).toBe(SECRETS.CLUSTERFLOW_API_TOKEN);
    expect(envOf('api').CLUSTERFLOW_SECRET_KEY).toBe(SECRETS.CLUSTERFLOW_SECRET_KEY);
    expect(envOf('worker').CLUSTERFLOW_SECRET_KEY).toBe(SECRETS.CLUSTERFLOW_SECRET_KEY);
    for (const name of ['worker', 'api']) {
      expect(envOf(name).CLUSTERFLOW_PAYLOAD_KEY).toBe(SECRETS.CLUSTERFLOW_PAYLOAD_KEY);
      expect(envOf(name).CLUSTERFLOW_PAYLOAD_KEYS_OLD).toBe(SECRETS.CLUSTERFLOW_PAYLOAD_KEYS_OLD);
    }
    for (const name of ['worker', 'api']) expect(envOf(name).CLUSTERFLOW_STORE_PASSWORD).toBe(SECRETS.POSTGRES_PASSWORD);
    // The worker calls no API route (its metrics endpoint is its only HTTP): it has no business holding the API token.
    expect(envOf('worker')).not.toHaveProperty('CLUSTERFLOW_API_TOKEN');

    const dockerfile = fs.readFileSync(DOCKERFILE, 'utf8');
    expect(dockerfile).not.toMatch(/^\s*(ENV|ARG)\b.*(PASSWORD|TOKEN|SECRET)/im);
  });

  test('puts the worker’s and the API’s store on the compose PostgreSQL, in a database the schema job creates', () => {
    for (const name of ['worker', 'api']) {
      const config = loadConfig(envOf(name));
      const url = new URL(config.storeUrl ?? '<no store URL>');
      expect({ name, protocol: url.protocol, host: url.hostname, user: url.username, password: url.password }).toEqual({
        name,
        protocol: 'postgres:',
        host: 'postgresql',
        user: envOf('postgresql').POSTGRES_USER,
        password: '',
      });
      expect(config.storePassword).toBe(envOf('postgresql').POSTGRES_PASSWORD);
    }
    expect(loadConfig(envOf('worker')).storeUrl).toBe(loadConfig(envOf('api')).storeUrl);
    const database = new URL(loadConfig(envOf('api')).storeUrl ?? '').pathname.slice(1);
    expect(envOf('temporal-schema').CLUSTERFLOW_DBNAME).toBe(database);
    const script = (service('temporal-schema').volumes ?? []).find((volume) => volume.type === 'bind');
    expect(fs.readFileSync(script?.source ?? '', 'utf8')).toMatch(/sql_tool --db "\$CLUSTERFLOW_DBNAME" create/);
  });

  test('encrypts payloads with one key in worker and API, and has the Web UI decode through the API', () => {
    // What one process encrypts the other decrypts: the same key, from the same place.
    const keysOf = (name: string) => {
      const codec = resolvePayloadCodec(loadConfig({ ...envOf(name), CLUSTERFLOW_DATA_DIR: tmp }));
      return codec.keyIds;
    };
    expect(keysOf('worker')).toHaveLength(3);
    expect(keysOf('api')).toEqual(keysOf('worker'));

    // The browser calls the codec: the UI names the API as published, with the cookie along.
    const published = (name: string, target: number) => (service(name).ports ?? []).find((port) => port.target === target);
    const api = published('api', Number(envOf('api').CLUSTERFLOW_API_PORT));
    const ui = published('temporal-ui', 8080);
    expect(envOf('temporal-ui')).toMatchObject({
      TEMPORAL_CODEC_ENDPOINT: `http://${api?.host_ip}:${api?.published}/codec`,
      TEMPORAL_CODEC_INCLUDE_CREDENTIALS: 'true',
    });
    // ... and the API lets exactly the UI's origins in.
    const origins = loadConfig(envOf('api')).temporalUiOrigins;
    expect(origins).toEqual([`http://${ui?.host_ip}:${ui?.published}`, `http://localhost:${ui?.published}`]);
  });

  test('has Prometheus scrape the API with the admin token from the environment, and the worker on the compose network', () => {
    const prometheus = service('prometheus');
    const config = (prometheus.volumes ?? []).find((volume) => volume.type === 'bind' && volume.target === '/etc/prometheus/prometheus.yml');
    const scrape = parseYaml(fs.readFileSync(config?.source ?? '<no config mounted>', 'utf8')) as {
      scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }>; authorization?: { type?: string; credentials_file?: string } }>;
    };
    const job = (name: string) => scrape.scrape_configs.find((j) => j.job_name === name);
    const api = job('clusterflow-api');
    expect(api?.static_configs[0].targets).toEqual([`api:${envOf('api').CLUSTERFLOW_API_PORT}`]);
    // The token as a compose secret made from CLUSTERFLOW_API_TOKEN, never written in a file of the repository.
    const secret = (prometheus.secrets ?? []).find((s) => s.target === api?.authorization?.credentials_file);
    expect(api?.authorization?.type).toBe('Bearer');
    expect(secret).toBeDefined();
    expect(raw.secrets?.[secret?.source ?? '']).toMatchObject({ environment: 'CLUSTERFLOW_API_TOKEN' });

    const worker = job('clusterflow-worker');
    const workerEnv = loadConfig(envOf('worker'));
    expect(workerEnv.workerMetricsHost).toBe('0.0.0.0');
    expect(worker?.static_configs[0].targets).toEqual([`worker:${workerEnv.workerMetricsPort}`]);
    expect(worker?.authorization).toBeUndefined();
  });

  test('refuses to render without a PostgreSQL password', () => {
    const { POSTGRES_PASSWORD: _omitted, ...rest } = SECRETS;
    const result = runCompose(COMPOSE_FILE, ['config', '--quiet'], rest);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('POSTGRES_PASSWORD');
  });

  test('rejects a broken copy of the file, so these checks can fail', () => {
    const text = fs.readFileSync(COMPOSE_FILE, 'utf8');
    const dependency = /^(\s+)temporal-setup:(\n\s+condition: service_completed_successfully)/m;
    expect(text).toMatch(dependency);
    const broken = path.join(tmp, 'docker-compose.yml');
    fs.writeFileSync(broken, text.replace(dependency, '$1temporal-setpu:$2'));

    const result = runCompose(broken, ['config', '--quiet']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/undefined service "?temporal-setpu/);
  });
});

describe('Dockerfile', () => {
  interface Stage {
    image: string;
    name?: string;
    body: string;
  }

  function stages(): Stage[] {
    const text = fs.readFileSync(DOCKERFILE, 'utf8').replace(/\\\n/g, ' ');
    const args: Record<string, string> = {};
    const found: Stage[] = [];
    for (const line of text.split('\n')) {
      const arg = /^\s*ARG\s+(\w+)=(\S+)/i.exec(line);
      if (arg && found.length === 0) args[arg[1]] = arg[2];
      const from = /^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
      if (from) {
        const image = from[1].replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a: string, b: string) => args[a ?? b] ?? '');
        found.push({ image, name: from[2], body: '' });
      } else if (found.length > 0 && !/^\s*#/.test(line)) {
        found[found.length - 1].body += `${line}\n`;
      }
    }
    return found;
  }

  test('builds in one stage and runs production dependencies in a pinned, slim, non-root one', () => {
    const all = stages();
    expect(all.length).toBeGreaterThanOrEqual(2);
    // The Node the bootstrap fetches where the machine's is older: one Node version everywhere.
    for (const stage of all) expect(stage.image).toMatch(new RegExp(`^node:${PINNED_VERSION.replace(/\./g, '\\.')}-bookworm-slim(@sha256:[0-9a-f]{64})?$`));

    const build = all.find((stage) => /npm run build/.test(stage.body));
    expect(build?.body).toMatch(/npm ci\b/);
    // better-sqlite3's native addon compiles during npm ci.
    for (const tool of ['python3', 'make', 'g++']) expect(build?.body).toContain(tool);

    const runtime = all[all.length - 1];
    expect(runtime).not.toBe(build);
    const users = [...runtime.body.matchAll(/^\s*USER\s+(\S+)/gim)].map((match) => match[1]);
    expect(users.length).toBeGreaterThan(0);
    expect(['root', '0', '0:0']).not.toContain(users[users.length - 1]);

    // node_modules in the final image come from a stage that dropped the dev dependencies.
    const modules = /COPY\s+--from=(\S+)\s+\S*node_modules/i.exec(runtime.body);
    const source = all.find((stage) => stage.name === modules?.[1]);
    expect(source?.body).toMatch(/npm (prune|ci)\b[^\n]*--omit=dev/);
    expect(runtime.body).not.toMatch(/npm (ci|install)\b/);
  });

  test('names the build script and the entry points the TypeScript build produces', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.build).toMatch(/\btsc\b.*tsconfig\.build\.json/);
    const base = JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8')) as {
      compilerOptions: { outDir?: string; rootDir?: string };
    };
    const buildConfig = JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8')) as {
      compilerOptions?: { outDir?: string; rootDir?: string };
      include: string[];
    };
    const outDir = buildConfig.compilerOptions?.outDir ?? base.compilerOptions.outDir;
    const rootDir = buildConfig.compilerOptions?.rootDir ?? base.compilerOptions.rootDir;
    expect({ outDir, rootDir }).toEqual({ outDir: 'dist', rootDir: '.' });

    const dockerfile = fs.readFileSync(DOCKERFILE, 'utf8');
    expect(dockerfile).toContain('npm run build');
    for (const entry of ['dist/api/main.js', 'dist/worker/main.js']) {
      expect(dockerfile).toContain(entry);
      const source = entry.replace(/^dist\//, '').replace(/\.js$/, '.ts');
      expect({ source, exists: fs.existsSync(path.join(ROOT, source)) }).toEqual({ source, exists: true });
      expect(buildConfig.include).toContain(source.split('/')[0]);
    }
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/api\/main\.js"\]$/m);
  });

  test('keeps local state, secrets and dependencies out of the build context', () => {
    const ignored = fs
      .readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.data', '.env', '.git']));
  });
});
