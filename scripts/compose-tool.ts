/**
 * Finds or builds docker compose v2, which checks the production-like deployment
 * (docker-compose.yml) without a Docker engine: `config` only parses, interpolates and
 * validates. Pinned and cached outside the checkout like the tools of scripts/tools.ts.
 * Idempotent: a warm call runs `docker compose version` at most and checks one file.
 *
 * Order: DOCKER_COMPOSE_PATH; the docker CLI's compose plugin (`docker compose`); the
 * cached build; else `go build` of the pinned module from the Go module proxy (the
 * module's go.mod has exclude directives, so `go install pkg@version` refuses it).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../common/config';
import { goModDownload, MissingPrerequisite, onPath } from './tools';

export const DOCKER_COMPOSE_VERSION = 'v2.40.3';
const COMPOSE_MODULE = 'github.com/docker/compose/v2';

/** How to run compose: `command ...args <compose arguments>`. */
export interface ComposeCommand {
  command: string;
  /** `['compose']` for the docker CLI plugin, `[]` for a standalone docker-compose. */
  args: string[];
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function log(message: string): void {
  process.stderr.write(`[tools] ${message}\n`);
}

/** The docker CLI with a working compose plugin, if there is one. */
function dockerComposePlugin(): ComposeCommand | undefined {
  const docker = onPath('docker');
  if (!docker) return undefined;
  const probe = spawnSync(docker, ['compose', 'version'], { stdio: 'ignore', timeout: 30_000 });
  return probe.status === 0 ? { command: docker, args: ['compose'] } : undefined;
}

export function ensureDockerCompose(cacheDir = loadConfig().cacheDir): ComposeCommand {
  const explicit = process.env.DOCKER_COMPOSE_PATH;
  if (explicit) {
    if (!isExecutable(explicit)) {
      throw new MissingPrerequisite(`DOCKER_COMPOSE_PATH is set to ${explicit}, which is not an executable file.`);
    }
    return { command: explicit, args: [] };
  }

  const plugin = dockerComposePlugin();
  if (plugin) return plugin;

  const binDir = path.join(cacheDir, 'bin');
  const cached = path.join(binDir, `docker-compose-${DOCKER_COMPOSE_VERSION}`);
  if (isExecutable(cached)) return { command: cached, args: [] };

  const go = onPath('go');
  if (!go) {
    throw new MissingPrerequisite(
      'docker compose is needed and was not found: install Go (1.24 or newer) so it can be built, ' +
        'or install the docker compose plugin, or set DOCKER_COMPOSE_PATH to a docker-compose binary.',
    );
  }

  log(`building docker compose ${DOCKER_COMPOSE_VERSION} with go build (first run only; several minutes)`);
  const moduleDir = goModDownload(go, COMPOSE_MODULE, DOCKER_COMPOSE_VERSION);
  // Build into a private directory, then rename: two concurrent bootstraps never see a
  // half-written binary.
  fs.mkdirSync(cacheDir, { recursive: true });
  const staging = fs.mkdtempSync(path.join(cacheDir, 'docker-compose-build-'));
  try {
    const staged = path.join(staging, 'docker-compose');
    const built = spawnSync(
      go,
      [
        'build',
        '-trimpath',
        '-ldflags',
        `-w -X ${COMPOSE_MODULE}/internal.Version=${DOCKER_COMPOSE_VERSION}`,
        '-o',
        staged,
        './cmd',
      ],
      {
        cwd: moduleDir,
        env: { ...process.env, GOWORK: 'off', CGO_ENABLED: process.env.CGO_ENABLED ?? '0' },
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    if (built.status !== 0) {
      throw new MissingPrerequisite(
        `go build of docker compose ${DOCKER_COMPOSE_VERSION} failed (exit ${built.status}); see the output above.`,
      );
    }
    const works = spawnSync(staged, ['version'], { encoding: 'utf8', timeout: 30_000 });
    if (works.status !== 0) {
      throw new MissingPrerequisite(`the freshly built docker compose does not run: ${works.stderr || works.error?.message}`);
    }
    fs.mkdirSync(binDir, { recursive: true });
    fs.renameSync(staged, cached);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return { command: cached, args: [] };
}

/** `node dist/scripts/compose-tool.js`: bootstrap compose and say how to run it. */
if (require.main === module) {
  try {
    const compose = ensureDockerCompose();
    process.stdout.write(`${[compose.command, ...compose.args].join(' ')}\n`);
  } catch (error) {
    if (error instanceof MissingPrerequisite) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}
