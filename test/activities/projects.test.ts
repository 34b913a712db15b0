import { DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import type { Scope } from '../../activities/types';
import { ACCOUNT_ID, ownedBy, REGION, SECRET_ACCESS_KEY, useBackend } from './support';

/**
 * The worker has no project of its own: each activity finds its cloud account within the
 * project of the cluster it works for (its scope's owner, `<project>/<name>`). An account id
 * of another project is not found there, whatever the keys behind it could reach.
 */
describe('activities resolve cloud accounts within the cluster’s project', () => {
  const aws = useBackend();
  const ALPHA_ACCOUNT = 'acct-alpha';

  beforeAll(async () => {
    // Alpha registers its own account, with the same AWS keys as default's seeded one.
    const seeded = (await aws.deps.store.getCloudAccount('default', ACCOUNT_ID))!;
    await aws.deps.store.insertCloudAccount({
      id: ALPHA_ACCOUNT,
      project: 'alpha',
      name: 'alpha aws',
      accessKeyId: seeded.accessKeyId,
      sealedSecret: aws.deps.secretBox.seal(JSON.stringify({ secretAccessKey: SECRET_ACCESS_KEY }), ALPHA_ACCOUNT),
      createdAt: new Date().toISOString(),
    });
  });

  function scope(project: string, accountId: string): Scope {
    const clusterName = `demo${Date.now().toString(36)}`;
    return { accountId, region: REGION, owner: { cluster: `${project}/${clusterName}`, clusterName, extraTags: {} } };
  }

  it('works with an account of the cluster’s own project', async () => {
    const alpha = scope('alpha', ALPHA_ACCOUNT);
    const { vpcId } = await aws.run('ensureVpc', { scope: alpha, key: 'vpc', cidr: '10.0.0.0/16' });
    const vpcs = await aws.ec2.send(new DescribeVpcsCommand({ Filters: ownedBy(alpha, 'vpc') }));
    expect(vpcs.Vpcs?.map((v) => v.VpcId)).toEqual([vpcId]);
    await aws.run('deleteVpc', { scope: alpha, key: 'vpc' });
  });

  it('fails, readably and for good, when the account belongs to another project', async () => {
    for (const [project, accountId] of [['beta', ALPHA_ACCOUNT], ['alpha', ACCOUNT_ID], ['default', ALPHA_ACCOUNT]]) {
      const other = scope(project, accountId);
      await expect(aws.run('ensureVpc', { scope: other, key: 'vpc', cidr: '10.0.0.0/16' })).rejects.toMatchObject({
        type: 'CloudAccountNotFound',
        nonRetryable: true,
        message: `cloud account ${accountId} does not exist in project ${project} (was it deleted?)`,
      });
      // Nothing was made for it.
      expect((await aws.ec2.send(new DescribeVpcsCommand({ Filters: ownedBy(other, 'vpc') }))).Vpcs).toEqual([]);
    }
  });

  it('finds the region’s AZs with the account of the project the request names (default when it names none)', async () => {
    await expect(aws.run('describeAvailabilityZones', { accountId: ALPHA_ACCOUNT, region: REGION, project: 'alpha' })).resolves.toContain(`${REGION}a`);
    await expect(aws.run('describeAvailabilityZones', { accountId: ACCOUNT_ID, region: REGION })).resolves.toContain(`${REGION}a`);
    await expect(aws.run('describeAvailabilityZones', { accountId: ALPHA_ACCOUNT, region: REGION })).rejects.toMatchObject({ type: 'CloudAccountNotFound' });
  });
});
