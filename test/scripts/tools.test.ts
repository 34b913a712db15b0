import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../../common/paths';
import { ensureMoto, ensureTemporalCli, withLock } from '../../scripts/tools';

/** The bootstrap as `npm run tools` runs it, on a machine stripped of one prerequisite at a time. */
describe('tool bootstrap', () => {
  let emptyDir: string;
  let emptyCache: string;

  beforeAll(() => {
    emptyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-nopath-'));
    emptyCache = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-nocache-'));
  });

  afterAll(() => {
    fs.rmSync(emptyDir, { recursive: true, force: true });
    fs.rmSync(emptyCache, { recursive: true, force: true });
  });

  function runTools(env: NodeJS.ProcessEnv) {
    const result = spawnSync(process.execPath, [path.join(repoRoot(), 'dist/scripts/tools.js')], {
      env: { HOME: os.homedir(), PATH: emptyDir, CLUSTERFLOW_CACHE_DIR: emptyCache, ...env },
      encoding: 'utf8',
    });
    return { status: result.status, stderr: result.stderr };
  }

  it('without Go or a temporal binary, says in one sentence what to install', () => {
    const { status, stderr } = runTools({});
    expect(status).toBe(2);
    expect(stderr.trim()).toBe(
      'The Temporal CLI is needed and was not found: install Go (1.23 or newer) so it can be built, or put a `temporal` binary on PATH, or set TEMPORAL_CLI_PATH to one.',
    );
  });

  it('names a TEMPORAL_CLI_PATH that is not executable', () => {
    const { status, stderr } = runTools({ TEMPORAL_CLI_PATH: path.join(emptyDir, 'temporal') });
    expect(status).toBe(2);
    expect(stderr).toContain(`TEMPORAL_CLI_PATH is set to ${path.join(emptyDir, 'temporal')}, which is not an executable file.`);
  });

  it('without Python, says so instead of failing in pip', () => {
    const { status, stderr } = runTools({ TEMPORAL_CLI_PATH: ensureTemporalCli() });
    expect(status).toBe(2);
    expect(stderr.trim()).toMatch(/^Python 3 .* was not found: install python3\.$/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('on a machine that never ran it, builds the Temporal CLI into a cache dir it creates', () => {
    // A stand-in for `go install`: it writes the binary where GOBIN says, as go does.
    const goDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-fakego-'));
    fs.writeFileSync(path.join(goDir, 'go'), '#!/bin/sh\nprintf \'#!/bin/sh\\n\' > "$GOBIN/temporal"\n/bin/chmod +x "$GOBIN/temporal"\n', { mode: 0o755 });
    const freshCache = path.join(emptyCache, 'never', 'made');
    try {
      const { status, stderr } = runTools({ PATH: goDir, CLUSTERFLOW_CACHE_DIR: freshCache });
      // The Temporal CLI is in place; the run stops later, at the missing Python.
      expect(fs.readdirSync(path.join(freshCache, 'bin'))).toEqual([expect.stringMatching(/^temporal-v/)]);
      expect(stderr).toMatch(/Python 3 .* was not found/);
      expect(status).toBe(2);
    } finally {
      fs.rmSync(goDir, { recursive: true, force: true });
    }
  });

  it('finds the cached tools on a warm machine, and they run', () => {
    const temporal = ensureTemporalCli();
    const version = spawnSync(temporal, ['--version'], { encoding: 'utf8' });
    expect(version.stdout).toMatch(/^temporal version .*Server \d+\.\d+/);
    const { python } = ensureMoto();
    const moto = spawnSync(python, ['-c', 'import moto; print(moto.__version__)'], { encoding: 'utf8' });
    expect(moto.stdout.trim()).toBe('5.2.5');
  });

  it('lets one bootstrap at a time install, and takes over a lock whose holder is gone', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-lock-'));
    const lock = path.join(dir, 'venv.lock');
    const log = path.join(dir, 'log');
    // Each process holds the lock while it writes start, waits on its own event file, writes end.
    const holder = (name: string) =>
      `const fs=require('fs');const {withLock}=require(${JSON.stringify(path.join(repoRoot(), 'dist/scripts/tools.js'))});` +
      `fs.appendFileSync(${JSON.stringify(log)},'asks ${name}\\n');withLock(${JSON.stringify(lock)},()=>{fs.appendFileSync(${JSON.stringify(log)},'start ${name}\\n');` +
      `while(!fs.existsSync(${JSON.stringify(path.join(dir, 'go-'))}+'${name}'))Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0,20);` +
      `fs.appendFileSync(${JSON.stringify(log)},'end ${name}\\n');});`;
    const run = (name: string) => new Promise<number | null>((resolve) => spawn(process.execPath, ['-e', holder(name)], { stdio: 'inherit' }).on('exit', resolve));
    const all = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : []);
    const lines = () => all().filter((line) => !line.startsWith('asks'));
    const until = async (ok: () => boolean) => {
      for (let i = 0; i < 600 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
      expect(ok()).toBe(true);
    };
    try {
      const a = run('a');
      await until(() => lines().length === 1);
      const b = run('b');
      await until(() => all().includes('asks b'));
      const first = lines()[0].split(' ')[1];
      const second = first === 'a' ? 'b' : 'a';
      fs.writeFileSync(path.join(dir, `go-${first}`), '');
      fs.writeFileSync(path.join(dir, `go-${second}`), '');
      expect(await Promise.all([a, b])).toEqual([0, 0]);
      expect(lines()).toEqual([`start ${first}`, `end ${first}`, `start ${second}`, `end ${second}`]);
      expect(fs.existsSync(lock)).toBe(false);

      // A lock left by a process that died is taken over.
      fs.mkdirSync(lock);
      const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
      fs.writeFileSync(path.join(lock, 'pid'), dead.stdout);
      expect(withLock(lock, () => 'taken')).toBe('taken');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
