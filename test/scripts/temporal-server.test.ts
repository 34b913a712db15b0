import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { composeServices, ensureTemporalServer, selfRenderingConfig, temporalServerVersion } from '../../scripts/temporal-server';
import { TEMPORAL_CLI_VERSION } from '../../scripts/tools';
import { composeEnvironment, LOCAL_SETTINGS } from '../support/temporal-server';

/**
 * One Temporal release everywhere: the compose file's images, the server the topology suite
 * builds and runs, and the server inside the pinned CLI (the dev server of `npm start`).
 */
describe('the Temporal release and settings the topology suite shares with compose', () => {
  it('is the release the pinned Temporal CLI embeds, for the server and the admin tools alike', () => {
    const version = temporalServerVersion();
    const services = composeServices();
    for (const name of ['temporal-schema', 'temporal-setup']) expect(services[name].image).toBe(`temporalio/admin-tools:${version.slice(1)}`);
    const download = spawnSync('go', ['mod', 'download', '-json', `github.com/temporalio/cli@${TEMPORAL_CLI_VERSION}`], { encoding: 'utf8', env: { ...process.env, GOWORK: 'off' } });
    expect(download.status).toBe(0);
    const goMod = fs.readFileSync((JSON.parse(download.stdout) as { GoMod: string }).GoMod, 'utf8');
    expect(/^\s*go\.temporal\.io\/server (v\S+)/m.exec(goMod)?.[1]).toBe(version);
  });

  it('leaves only where-things-are settings to the suite: each is one compose really has', () => {
    const services = composeServices();
    for (const [service, keys] of Object.entries(LOCAL_SETTINGS)) {
      for (const key of keys) expect({ service, key, inCompose: key in (services[service].environment ?? {}) }).toEqual({ service, key, inCompose: true });
    }
    // And the rest reaches the server as compose writes it.
    expect(composeEnvironment('temporal')).toMatchObject({ DB: 'postgres12', NUM_HISTORY_SHARDS: String(services.temporal.environment?.NUM_HISTORY_SHARDS) });
  });

  it('renders the server image’s config template with compose’s settings: PostgreSQL persistence and visibility, its shard count', () => {
    const install = ensureTemporalServer();
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-render-'));
    try {
      fs.mkdirSync(path.join(root, 'config'));
      const rendered = selfRenderingConfig(fs.readFileSync(install.configTemplate, 'utf8'));
      expect(rendered).not.toMatch(/\.Env\./);
      fs.writeFileSync(path.join(root, 'config', 'docker.yaml'), rendered);
      const composed = composeEnvironment('temporal');
      const env = { ...process.env, ...composed, POSTGRES_SEEDS: 'db.example', DYNAMIC_CONFIG_FILE_PATH: '/dc.yaml' };
      const shown = spawnSync(install.server, ['--config', path.join(root, 'config'), '--env', 'docker', 'render-config'], { encoding: 'utf8', env });
      expect(shown.stderr).not.toMatch(/Unable/);
      expect(shown.stdout.match(/pluginName: postgres12/g)).toHaveLength(2);
      expect(shown.stdout).toContain('connectAddr: db.example:5432');
      expect(shown.stdout).toContain(`numHistoryShards: ${composed.NUM_HISTORY_SHARDS}`);
      expect(shown.stdout).toContain('filepath: /dc.yaml');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
    // The first run on a machine builds the server (tens of minutes on two cores).
  }, 60 * 60_000);
});
