import { CreateVpcCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { KeyView } from '../../sim/credentials';
import type { HoldView } from '../../sim/holds';
import { waitParked } from '../support/sim-holds';
import { QUIET, useHarness } from './harness';

/** /_sim/credentials: which AWS account a key belongs to, and keys AWS no longer accepts. */

const h = useHarness(QUIET);

function keys(accessKeyId: string) {
  return { accessKeyId, secretAccessKey: `${accessKeyId.toLowerCase()}-secret` };
}

const made: Array<{ destroy(): void }> = [];
afterAll(() => made.forEach((client) => client.destroy()));

function clients(accessKeyId: string) {
  const common = { endpoint: h.url, region: 'us-east-1', credentials: keys(accessKeyId), maxAttempts: 1 };
  const set = { ec2: new EC2Client(common), sts: new STSClient(common), iam: new IAMClient(common), secrets: new SecretsManagerClient(common) };
  made.push(...Object.values(set));
  return set;
}

async function errorName(call: Promise<unknown>): Promise<string> {
  return call.then(
    () => 'no error',
    (error: Error) => error.name,
  );
}

function setKey(accessKeyId: string, change: unknown): Promise<KeyView> {
  return h.control<KeyView>('PUT', `/_sim/credentials/${accessKeyId}`, change);
}

async function listed(accessKeyId: string): Promise<KeyView | undefined> {
  return (await h.control<{ credentials: KeyView[] }>('GET', '/_sim/credentials')).credentials.find((k) => k.accessKeyId === accessKeyId);
}

it('refuses a revoked key in each protocol’s words, lets other keys in, and takes it back when active again', async () => {
  const old = clients('AKIAREVOKEDKEY000001');
  const other = clients('AKIASTILLGOODKEY0001');
  await expect(old.sts.send(new GetCallerIdentityCommand({}))).resolves.toMatchObject({ Account: '123456789012' });

  expect(await setKey('AKIAREVOKEDKEY000001', { status: 'revoked' })).toMatchObject({ accessKeyId: 'AKIAREVOKEDKEY000001', status: 'revoked', calls: 1, refused: 0 });
  expect(await errorName(old.ec2.send(new DescribeVpcsCommand({})))).toBe('AuthFailure');
  expect(await errorName(old.sts.send(new GetCallerIdentityCommand({})))).toBe('InvalidClientTokenId');
  expect(await errorName(old.iam.send(new ListRolesCommand({})))).toBe('InvalidClientTokenId');
  expect(await errorName(old.secrets.send(new ListSecretsCommand({})))).toBe('UnrecognizedClientException');
  await expect(other.ec2.send(new DescribeVpcsCommand({}))).resolves.toBeDefined();

  expect(await listed('AKIAREVOKEDKEY000001')).toEqual({ accessKeyId: 'AKIAREVOKEDKEY000001', status: 'revoked', calls: 1, refused: 4 });
  expect(await listed('AKIASTILLGOODKEY0001')).toMatchObject({ status: 'active', calls: 1, refused: 0 });
  // Refused at the door: counted as errors, never reaching moto.
  expect((await h.stats()).actions['ec2:DescribeVpcs']).toMatchObject({ calls: 2, ok: 1, errors: 1 });

  await setKey('AKIAREVOKEDKEY000001', { status: 'active' });
  await expect(old.ec2.send(new DescribeVpcsCommand({}))).resolves.toBeDefined();
});

it('answers an expired key as AWS answers temporary keys past their expiry', async () => {
  const expired = clients('AKIAEXPIREDKEY000001');
  await setKey('AKIAEXPIREDKEY000001', { status: 'expired' });
  expect(await errorName(expired.ec2.send(new DescribeVpcsCommand({})))).toBe('RequestExpired');
  expect(await errorName(expired.sts.send(new GetCallerIdentityCommand({})))).toBe('ExpiredToken');
  expect(await errorName(expired.secrets.send(new ListSecretsCommand({})))).toBe('ExpiredTokenException');
});

it('puts a key in the AWS account it is mapped to: STS names it, and its resources live there', async () => {
  const theirs = clients('AKIAOTHERACCOUNT0001');
  const ours = clients('AKIAOURACCOUNTKEY001');
  expect(await setKey('AKIAOTHERACCOUNT0001', { account: '210987654321' })).toMatchObject({ account: '210987654321', status: 'active' });
  await expect(theirs.sts.send(new GetCallerIdentityCommand({}))).resolves.toMatchObject({ Account: '210987654321' });
  await expect(ours.sts.send(new GetCallerIdentityCommand({}))).resolves.toMatchObject({ Account: '123456789012' });

  const vpc = (await theirs.ec2.send(new CreateVpcCommand({ CidrBlock: '10.42.0.0/16' }))).Vpc!;
  expect(vpc.OwnerId).toBe('210987654321');
  const seenBy = async (c: ReturnType<typeof clients>) => ((await c.ec2.send(new DescribeVpcsCommand({}))).Vpcs ?? []).map((v) => v.VpcId);
  expect(await seenBy(theirs)).toContain(vpc.VpcId);
  expect(await seenBy(ours)).not.toContain(vpc.VpcId);

  // Unmapped, the key is moto's again: the default account, which never saw that VPC.
  await setKey('AKIAOTHERACCOUNT0001', { account: null });
  await expect(theirs.sts.send(new GetCallerIdentityCommand({}))).resolves.toMatchObject({ Account: '123456789012' });
  expect(await seenBy(theirs)).not.toContain(vpc.VpcId);
});

it('lets a call parked before the key was revoked go on when released: AWS had already let it in', async () => {
  const old = clients('AKIAPARKEDKEY0000001');
  const hold = await h.control<HoldView>('POST', '/_sim/holds', { action: 'ec2:CreateVpc' });
  const creating = old.ec2.send(new CreateVpcCommand({ CidrBlock: '10.43.0.0/16' }));
  await waitParked(h.url, hold, 30000);
  await setKey('AKIAPARKEDKEY0000001', { status: 'revoked' });
  await h.control('POST', `/_sim/holds/${hold.id}/release`);
  await expect(creating).resolves.toMatchObject({ Vpc: { CidrBlock: '10.43.0.0/16' } });
  expect(await errorName(old.ec2.send(new DescribeVpcsCommand({})))).toBe('AuthFailure');
  expect(await listed('AKIAPARKEDKEY0000001')).toMatchObject({ calls: 1, refused: 1 });
});

it('refuses malformed settings naming the rule, and forgets every key on reset', async () => {
  await expect(setKey('AKIABADSETTINGS00001', { status: 'gone' })).rejects.toThrow(/400: [\s\S]*status is one of active, revoked, expired/);
  await expect(setKey('AKIABADSETTINGS00001', { account: '12345' })).rejects.toThrow(/400: [\s\S]*12 digits/);
  await expect(setKey('AKIABADSETTINGS00001', {})).rejects.toThrow(/400: [\s\S]*account, status or both/);
  await expect(h.control('GET', '/_sim/credentials/AKIANEVERSEEN0000001')).rejects.toThrow(/404/);

  await setKey('AKIAFORGOTTENKEY0001', { status: 'revoked', account: '210987654321' });
  await h.control('POST', '/_sim/reset');
  expect((await h.control<{ credentials: KeyView[] }>('GET', '/_sim/credentials')).credentials).toEqual([]);
  await expect(clients('AKIAFORGOTTENKEY0001').sts.send(new GetCallerIdentityCommand({}))).resolves.toMatchObject({ Account: '123456789012' });
});
