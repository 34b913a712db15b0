import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { BUILT_IN_PROFILES } from '../../store/built-in-profiles';
import { resolveProfile } from '../../common/profile';
import { BootstrapInput, renderUserData } from '../../workflows/bootstrap';
import { RunningMoto, startMoto } from '../support/moto';

/**
 * The boot commands themselves, run by a real shell with the real aws CLI against moto's
 * Secrets Manager, in a scratch directory standing in for /etc/clusterflow: each secret lands
 * whole in its file, readable by its owner only, and a worker fetches the join secret alone.
 * The aws CLI is not part of the toolchain Clusterflow installs, so without it the test is
 * skipped and its title says why.
 */
const hasAwsCli = spawnSync('aws', ['--version'], { encoding: 'utf8' }).status === 0;
const skipped = hasAwsCli ? '' : ' (skipped: the aws CLI is not installed)';

describe('node boot commands', () => {
  let moto: RunningMoto | undefined;
  const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
  const join = { name: 'clusterflow/default/demo/join', value: '{"bootstrapToken":"abcdef.0123456789abcdef"}' };
  const controlPlane = { name: 'clusterflow/default/demo/control-plane', value: `{"certificateKey":"${'ab'.repeat(32)}"}` };

  beforeAll(async () => {
    if (!hasAwsCli) return;
    moto = await startMoto();
    const secrets = new SecretsManagerClient({ endpoint: moto.url, region: 'us-east-1', credentials });
    for (const s of [join, controlPlane]) await secrets.send(new CreateSecretCommand({ Name: s.name, SecretString: s.value }));
  });

  afterAll(async () => {
    await moto?.stop();
  });

  /** Writes node.env and runs every runcmd entry as cloud-init would, with /etc/clusterflow moved to a scratch directory. */
  function boot(input: BootstrapInput): { dir: string; files: string[] } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-boot-'));
    const doc = parse(renderUserData(input), { version: '1.1' }) as { write_files: Array<{ path: string; content: string }>; runcmd: string[][] };
    const env = doc.write_files.find((f) => f.path === '/etc/clusterflow/node.env')!;
    fs.writeFileSync(path.join(dir, 'node.env'), env.content);
    for (const [shell, flag, script] of doc.runcmd) {
      const result = spawnSync(shell, [flag, script.replaceAll('/etc/clusterflow/', `${dir}/`)], {
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          AWS_ENDPOINT_URL: moto!.url,
          AWS_ACCESS_KEY_ID: credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
          AWS_CONFIG_FILE: path.join(dir, 'no-aws-config'),
          AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'no-aws-credentials'),
        },
      });
      expect({ script, status: result.status, stderr: result.stderr }).toEqual({ script, status: 0, stderr: '' });
    }
    return { dir, files: fs.readdirSync(dir).sort() };
  }

  const base: BootstrapInput = {
    clusterName: 'demo',
    region: 'us-east-1',
    role: 'control-plane',
    initialises: true,
    nodeKey: 'node/master/0',
    profile: resolveProfile('aws-default', BUILT_IN_PROFILES[0].packs, {}),
    apiEndpoint: 'demo-api-123.elb.amazonaws.com:6443',
    joinSecretName: join.name,
    controlPlaneSecretName: controlPlane.name,
    taintControlPlane: true,
  };

  (hasAwsCli ? it : it.skip)(`a control-plane node reads both secrets into 0600 files, a worker the join secret only${skipped}`, () => {
    const cp = boot(base);
    try {
      expect(cp.files).toEqual(['control-plane.json', 'join.json', 'node.env']);
      for (const [file, secret] of [['join.json', join], ['control-plane.json', controlPlane]] as const) {
        expect(fs.readFileSync(path.join(cp.dir, file), 'utf8')).toBe(`${secret.value}\n`);
        expect((fs.statSync(path.join(cp.dir, file)).mode & 0o777).toString(8)).toBe('600');
      }
    } finally {
      fs.rmSync(cp.dir, { recursive: true, force: true });
    }
    const worker = boot({ ...base, role: 'worker', initialises: false });
    try {
      expect(worker.files).toEqual(['join.json', 'node.env']);
    } finally {
      fs.rmSync(worker.dir, { recursive: true, force: true });
    }
  });
});
