/**
 * Finds or builds the two external tools the stack runs on: the Temporal CLI (dev server)
 * and moto. Both are pinned and cached outside the checkout so that every clone on this
 * machine, CI's included, reuses them. Idempotent: a warm call only checks files.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../common/config';
import { repoRoot } from '../common/paths';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const MOTO_VERSION = '5.2.5';
const MOTO_REQUIREMENTS = path.join(repoRoot(), 'scripts', 'moto-requirements.txt');
export const SCHEMATHESIS_VERSION = '4.32.5';
const SCHEMATHESIS_REQUIREMENTS = path.join(repoRoot(), 'scripts', 'schemathesis-requirements.txt');

/** A missing prerequisite: the launcher prints the message alone, never a stack trace. */
export class MissingPrerequisite extends Error {}

/** The first executable file named `command` on PATH. */
export function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      /* not in this directory */
    }
  }
  return undefined;
}

/**
 * Where `go mod download` put a pinned module's source (read-only, in Go's module cache). For
 * modules whose go.mod has replace or exclude directives, which `go install pkg@version` refuses:
 * they are built with `go build` inside this directory.
 */
export function goModDownload(go: string, module: string, version: string): string {
  const result = spawnSync(go, ['mod', 'download', '-json', `${module}@${version}`], {
    encoding: 'utf8',
    env: { ...process.env, GOWORK: 'off' },
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 * 1024 * 1024,
  });
  let info: { Dir?: string; Error?: string } = {};
  try {
    info = JSON.parse(result.stdout) as typeof info;
  } catch {
    /* reported below */
  }
  if (result.status !== 0 || !info.Dir) {
    throw new MissingPrerequisite(`go mod download of ${module}@${version} failed (${info.Error ?? `exit ${result.status}`}); check network access to the Go module proxy.`);
  }
  return info.Dir;
}

function log(message: string): void {
  process.stderr.write(`[tools] ${message}\n`);
}

export function ensureTemporalCli(cacheDir = loadConfig().cacheDir): string {
  const explicit = process.env.TEMPORAL_CLI_PATH;
  if (explicit) {
    try {
      fs.accessSync(explicit, fs.constants.X_OK);
      return explicit;
    } catch {
      throw new MissingPrerequisite(`TEMPORAL_CLI_PATH is set to ${explicit}, which is not an executable file.`);
    }
  }
  const installed = onPath('temporal');
  if (installed) return installed;

  const binDir = path.join(cacheDir, 'bin');
  const cached = path.join(binDir, `temporal-${TEMPORAL_CLI_VERSION}`);
  if (fs.existsSync(cached)) return cached;

  const go = onPath('go');
  if (!go) {
    throw new MissingPrerequisite(
      'The Temporal CLI is needed and was not found: install Go (1.23 or newer) so it can be built, ' +
        'or put a `temporal` binary on PATH, or set TEMPORAL_CLI_PATH to one.',
    );
  }
  // go install into a private directory, then rename: two concurrent bootstraps never
  // see a half-written binary.
  fs.mkdirSync(cacheDir, { recursive: true });
  const staging = fs.mkdtempSync(path.join(cacheDir, 'temporal-build-'));
  log(`building the Temporal CLI ${TEMPORAL_CLI_VERSION} with go install (first run only; several minutes)`);
  const result = spawnSync(go, ['install', `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`], {
    env: { ...process.env, GOBIN: staging },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw new MissingPrerequisite(
      `go install of the Temporal CLI ${TEMPORAL_CLI_VERSION} failed (exit ${result.status}); see the output above.`,
    );
  }
  fs.mkdirSync(binDir, { recursive: true });
  fs.renameSync(path.join(staging, 'temporal'), cached);
  fs.rmSync(staging, { recursive: true, force: true });
  return cached;
}

export interface MotoInstall {
  /** The `moto_server` entry point inside the virtualenv. */
  server: string;
  python: string;
  /** The environment moto_server runs with (its image catalogue). */
  env: NodeJS.ProcessEnv;
}

export function ensureMoto(cacheDir = loadConfig().cacheDir): MotoInstall {
  const venv = ensureVirtualenv(cacheDir, 'moto', MOTO_VERSION, MOTO_REQUIREMENTS);
  return { server: path.join(venv, 'bin', 'moto_server'), python: path.join(venv, 'bin', 'python'), env: motoEnv(path.join(venv, 'bin', 'python'), venv) };
}

/** The `schemathesis` command (the API contract fuzzer, test/e2e/api-contract.test.ts), in a virtualenv of its own. */
export function ensureSchemathesis(cacheDir = loadConfig().cacheDir): string {
  return path.join(ensureVirtualenv(cacheDir, 'schemathesis', SCHEMATHESIS_VERSION, SCHEMATHESIS_REQUIREMENTS), 'bin', 'schemathesis');
}

/**
 * A virtualenv in the cache holding exactly the pinned `requirements`, installed once: its ready
 * marker holds the requirements it was made from, so a changed pin installs it again.
 */
function ensureVirtualenv(cacheDir: string, tool: string, version: string, requirements: string): string {
  const venv = path.join(cacheDir, `${tool}-${version}`);
  const ready = path.join(venv, '.clusterflow-ready');
  const wanted = fs.readFileSync(requirements, 'utf8');
  const isReady = () => fs.existsSync(ready) && fs.readFileSync(ready, 'utf8') === wanted;
  if (isReady()) return venv;

  return withLock(`${venv}.lock`, () => {
    // Another bootstrap may have finished it while this one waited for the lock.
    if (isReady()) return venv;
    installVirtualenv(venv, tool, version, requirements);
    fs.writeFileSync(ready, wanted);
    return venv;
  });
}

function installVirtualenv(venv: string, tool: string, version: string, requirements: string): void {
  const python3 = onPath('python3');
  if (!python3) {
    throw new MissingPrerequisite(`Python 3 (3.9 or newer, with the venv module) is needed for ${tool} and was not found: install python3.`);
  }
  log(`installing ${tool} ${version} into ${venv} (first run only)`);
  fs.rmSync(venv, { recursive: true, force: true });
  const made = spawnSync(python3, ['-m', 'venv', venv], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (made.status !== 0) {
    throw new MissingPrerequisite('python3 could not create a virtualenv: install the venv module (Debian: apt-get install python3-venv).');
  }
  try {
    execFileSync(path.join(venv, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', requirements], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  } catch {
    throw new MissingPrerequisite(`pip could not install ${tool} ${version}; see the output above.`);
  }
}

/**
 * Runs `body` holding a lock directory, so that two bootstraps started at once (a test run
 * beside `npm start`) never install into the same virtualenv together. A lock whose holder
 * is gone is taken over.
 */
export function withLock<T>(lock: string, body: () => T, timeoutMs = 15 * 60_000): T {
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (!holderAlive(lock)) {
      fs.rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new MissingPrerequisite(`another bootstrap has held ${lock} for ${timeoutMs / 60_000} minutes; remove it if no bootstrap runs.`);
    Atomics.wait(pause, 0, 0, 500);
  }
  fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
  try {
    return body();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

function holderAlive(lock: string): boolean {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8'));
  } catch {
    // Just made, its pid not written yet: give it a moment rather than take it over.
    const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? 0);
    return age < 10_000;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * moto's own public images plus Canonical's Ubuntu 22.04 images, which moto lacks and the
 * default profile uses; moto reads the catalogue named by MOTO_AMIS_PATH at start.
 */
function motoEnv(python: string, venv: string): NodeJS.ProcessEnv {
  const extra = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'sim', 'data', 'canonical-amis.json'), 'utf8')) as {
    images: Array<{ ami_id: string; name: string; creation_date: string; architecture: string }>;
  };
  const catalogue = path.join(venv, `amis-${createHash('sha256').update(JSON.stringify(extra)).digest('hex').slice(0, 12)}.json`);
  if (!fs.existsSync(catalogue)) {
    const defaults = execFileSync(
      python,
      ['-c', 'import gzip, json, os, moto; print(json.dumps(json.load(gzip.open(os.path.join(os.path.dirname(moto.__file__), "ec2/resources/amis.json.gz")))))'],
      { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
    );
    const canonical = extra.images.map((image) => ({
      ...image,
      state: 'available',
      public: true,
      owner_id: '099720109477',
      image_location: `099720109477/${image.name}`,
      root_device_type: 'ebs',
      root_device_name: '/dev/sda1',
      description: 'Canonical, Ubuntu, 22.04 LTS',
      image_type: 'machine',
      platform: null,
      virtualization_type: 'hvm',
      hypervisor: 'xen',
      sriov: 'simple',
    }));
    const staging = `${catalogue}.${process.pid}`;
    fs.writeFileSync(staging, JSON.stringify([...JSON.parse(defaults), ...canonical]));
    fs.renameSync(staging, catalogue);
  }
  return { ...process.env, MOTO_AMIS_PATH: catalogue };
}

/** `npm run tools`: bootstrap both and say where they are. */
if (require.main === module) {
  const started = Date.now();
  try {
    const temporal = ensureTemporalCli();
    const moto = ensureMoto();
    log(`temporal: ${temporal}`);
    log(`moto: ${moto.server}`);
    log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (error) {
    if (error instanceof MissingPrerequisite) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}
