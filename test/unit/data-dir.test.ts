import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SqliteStore } from '../../store/sqlite-store';
import { apiTokenRefusal, ensureDataDir, resolveApiToken, resolveSecretBox } from '../../common/data-dir';
import { loadConfig } from '../../common/config';

/**
 * Local state is its owner's alone: the data dir 0700, the token, the key and every store
 * file 0600, looser modes tightened with a warning, and no token too short or blank to guess.
 * The umask is opened wide for these tests, so the modes checked are the code's own doing.
 */
const modeOf = (file: string): string => (fs.statSync(file).mode & 0o777).toString(8);

describe('the data dir', () => {
  let root: string;
  let umask: number;
  let warnings: string[];
  const warn = (message: string): void => void warnings.push(message);
  const configFor = (dir: string, env: NodeJS.ProcessEnv = {}) => loadConfig({ CLUSTERFLOW_DATA_DIR: dir, ...env });

  beforeAll(() => {
    umask = process.umask(0);
  });

  afterAll(() => {
    process.umask(umask);
  });

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-datadir-'));
    warnings = [];
  });

  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  describe('modes', () => {
    it('creates the dir 0700 and the token and key 0600, saying nothing', () => {
      const dir = path.join(root, 'new', 'data');
      resolveApiToken(configFor(dir), warn);
      resolveSecretBox(configFor(dir), warn);
      expect(modeOf(dir)).toBe('700');
      expect(modeOf(path.join(dir, 'api-token'))).toBe('600');
      expect(modeOf(path.join(dir, 'secret.key'))).toBe('600');
      expect(fs.readdirSync(dir).sort()).toEqual(['api-token', 'secret.key']);
      expect(warnings).toEqual([]);
    });

    it('tightens an existing dir open to others to 0700, with a warning naming it', () => {
      const dir = path.join(root, 'data');
      fs.mkdirSync(dir, { mode: 0o755 });
      ensureDataDir(configFor(dir), warn);
      expect(modeOf(dir)).toBe('700');
      expect(warnings).toEqual([`${dir} was mode 0755, open to other users; tightened it to 0700`]);
    });

    it('tightens an existing token and key to 0600, with a warning for each', () => {
      const dir = path.join(root, 'data');
      fs.mkdirSync(dir, { mode: 0o700 });
      fs.writeFileSync(path.join(dir, 'api-token'), 'cf_an_existing_token_of_plenty_chars\n', { mode: 0o644 });
      fs.writeFileSync(path.join(dir, 'secret.key'), Buffer.alloc(32, 1).toString('base64'), { mode: 0o640 });
      expect(resolveApiToken(configFor(dir), warn)).toEqual({ token: 'cf_an_existing_token_of_plenty_chars', generated: false });
      resolveSecretBox(configFor(dir), warn);
      expect(modeOf(path.join(dir, 'api-token'))).toBe('600');
      expect(modeOf(path.join(dir, 'secret.key'))).toBe('600');
      expect(warnings).toEqual([
        `${path.join(dir, 'api-token')} was mode 0644, open to other users; tightened it to 0600`,
        `${path.join(dir, 'secret.key')} was mode 0640, open to other users; tightened it to 0600`,
      ]);
    });

    it('keeps the store and its -wal and -shm files 0600', async () => {
      const store = await SqliteStore.open(root, warn);
      try {
        await store.checkWritable();
        const files = fs.readdirSync(root).filter((f) => f.startsWith('clusterflow.sqlite'));
        expect(files.sort()).toEqual(['clusterflow.sqlite', 'clusterflow.sqlite-shm', 'clusterflow.sqlite-wal']);
        for (const file of files) expect(`${file} ${modeOf(path.join(root, file))}`).toBe(`${file} 600`);
      } finally {
        await store.close();
      }
      expect(warnings).toEqual([]);
    });

    it('tightens a store an older start left 0644', async () => {
      const file = path.join(root, 'clusterflow.sqlite');
      fs.writeFileSync(file, '', { mode: 0o644 });
      await (await SqliteStore.open(root, warn)).close();
      expect(modeOf(file)).toBe('600');
      expect(warnings).toEqual([`${file} was mode 0644, open to other users; tightened it to 0600`]);
    });
  });

  describe('the API token', () => {
    const tokenFile = (): string => path.join(root, 'api-token');

    it('generates one long enough, and reads it back the next time', () => {
      const first = resolveApiToken(configFor(root), warn);
      expect(first.generated).toBe(true);
      expect(first.token.length).toBeGreaterThanOrEqual(32);
      expect(resolveApiToken(configFor(root), warn)).toEqual({ token: first.token, generated: false });
      expect(apiTokenRefusal(configFor(root))).toBeUndefined();
    });

    it.each([
      ['empty', '', 'is empty'],
      ['only a newline', '\n', 'is empty'],
      ['only a non-breaking space', '\u00a0', 'is empty'],
      ['31 characters', 'x'.repeat(31), 'is 31 characters long, shorter than 32'],
      ['a space inside', `${'x'.repeat(20)} ${'y'.repeat(20)}`, 'has spaces or characters other than printable ASCII'],
    ])('stops the start with one sentence when the token file is %s', (_, content, problem) => {
      fs.writeFileSync(tokenFile(), content, { mode: 0o600 });
      const sentence = `The API token in ${tokenFile()} ${problem}: write a token of at least 32 printable ASCII characters there, or delete the file to have one generated.`;
      expect(() => resolveApiToken(configFor(root), warn)).toThrow(sentence);
      expect(apiTokenRefusal(configFor(root))).toBe(sentence);
    });

    it('accepts a token file of 32 characters and a trailing newline', () => {
      fs.writeFileSync(tokenFile(), `${'t'.repeat(32)}\n`, { mode: 0o600 });
      expect(resolveApiToken(configFor(root), warn).token).toBe('t'.repeat(32));
    });

    it.each([
      ['15 characters', 'x'.repeat(15), 'is 15 characters long, shorter than 16'],
      ['blank', '   ', 'has spaces or characters other than printable ASCII'],
      ['a non-breaking space inside', `${'x'.repeat(10)}\u00a0${'y'.repeat(10)}`, 'has spaces or characters other than printable ASCII'],
    ])('refuses an operator-set token of %s with one sentence, writing no token file', (_, token, problem) => {
      const config = configFor(root, { CLUSTERFLOW_API_TOKEN: token });
      const sentence = `CLUSTERFLOW_API_TOKEN ${problem}: set at least 16 printable ASCII characters without spaces, or unset it to have a token generated.`;
      expect(() => resolveApiToken(config, warn)).toThrow(sentence);
      expect(apiTokenRefusal(config)).toBe(sentence);
      expect(fs.existsSync(tokenFile())).toBe(false);
    });

    it('accepts an operator-set token of 16 characters', () => {
      expect(resolveApiToken(configFor(root, { CLUSTERFLOW_API_TOKEN: 'k'.repeat(16) }), warn)).toEqual({ token: 'k'.repeat(16), generated: false });
    });
  });
});
