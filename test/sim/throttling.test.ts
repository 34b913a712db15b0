import { CreateVpcCommand, DescribeInstancesCommand, ModifyVpcAttributeCommand, RunInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import table from '../../common/data/ec2-throttling.json';
import { AMI, CREDENTIALS, useHarness } from './harness';

/** Feature 5: EC2's per-account, per-region token buckets, answered as EC2 answers them. */

const h = useHarness();

async function settle<T>(calls: Array<Promise<T>>): Promise<{ ok: number; errors: Array<Error & { $metadata?: { httpStatusCode?: number } }> }> {
  const results = await Promise.allSettled(calls);
  return {
    ok: results.filter((r) => r.status === 'fulfilled').length,
    errors: results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as Error),
  };
}

async function newVpc(ec2: EC2Client): Promise<string> {
  return (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }))).Vpc?.VpcId as string;
}

it('uses the bucket sizes of the EC2 documentation, cited in the data file', () => {
  expect(table.source.url).toBe('https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html');
  expect(table.categories.mutating).toMatchObject({ capacity: 50, refillPerSecond: 5 });
  expect(table.categories['non-mutating']).toMatchObject({ capacity: 100, refillPerSecond: 20 });
  expect(table.uncategorized.RunInstances).toEqual({ capacity: 5, refillPerSecond: 2 });
  expect(table.resourceBuckets.RunInstances).toEqual({ capacity: 1000, refillPerSecond: 2 });
});

it('a burst of 60 mutating calls meets RequestLimitExceeded (503, EC2 error shape)', async () => {
  // AWS's bucket sizes; the refill slowed, so however long the burst takes cannot refill it.
  await h.reset({ delayScale: 0, throttling: { rateScale: 0.001 } });
  const ec2 = h.ec2({ maxAttempts: 1 });
  const vpc = await newVpc(ec2);
  const burst = await settle(
    Array.from({ length: 60 }, () => ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpc, EnableDnsHostnames: { Value: true } }))),
  );
  // 50 tokens in the bucket.
  expect(burst.errors.length).toBeGreaterThanOrEqual(1);
  expect(burst.ok).toBeGreaterThanOrEqual(50);
  expect(burst.ok + burst.errors.length).toBe(60);
  for (const error of burst.errors) {
    expect(error.name).toBe('RequestLimitExceeded');
    expect(error.$metadata?.httpStatusCode).toBe(503);
  }
  const stats = await h.stats();
  expect(stats.actions['ec2:ModifyVpcAttribute']).toMatchObject({ calls: 60, throttled: burst.errors.length, ok: burst.ok });
});

it('answers RequestLimitExceeded in the wire shape EC2 uses', async () => {
  await h.reset({ delayScale: 0, throttling: { buckets: { ModifyVpcAttribute: { capacity: 1, refillPerSecond: 0 } } } });
  const vpc = await newVpc(h.ec2());
  await h.ec2().send(new ModifyVpcAttributeCommand({ VpcId: vpc, EnableDnsHostnames: { Value: true } }));
  // The wire shape, as EC2 sends it: <Response><Errors><Error><Code>…</Code>…<RequestID>.
  const raw = await fetch(h.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `AWS4-HMAC-SHA256 Credential=${CREDENTIALS.accessKeyId}/20240101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: `Action=ModifyVpcAttribute&Version=2016-11-15&VpcId=${vpc}&EnableDnsHostnames.Value=true`,
  });
  expect(raw.status).toBe(503);
  const xml = await raw.text();
  expect(xml).toMatch(/<Response><Errors><Error><Code>RequestLimitExceeded<\/Code><Message>Request limit exceeded\.<\/Message><\/Error><\/Errors><RequestID>[0-9a-f-]{36}<\/RequestID><\/Response>/);
});

it("the SDK's standard retry gets a throttled burst through", async () => {
  await h.reset({ delayScale: 0, throttling: { rateScale: 2 } });
  const ec2 = h.ec2({ maxAttempts: 12 });
  const vpc = await newVpc(ec2);
  const burst = await settle(
    Array.from({ length: 60 }, () => ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpc, EnableDnsSupport: { Value: true } }))),
  );
  expect(burst.errors).toEqual([]);
  const stats = await h.stats();
  const entry = stats.actions['ec2:ModifyVpcAttribute'];
  expect(entry.ok).toBe(60);
  expect(entry.throttled).toBeGreaterThan(0); // it was throttled, and retried past it
  expect(entry.calls).toBe(60 + entry.throttled);
});

it('gives unfiltered, unpaginated DescribeInstances the smaller bucket', async () => {
  // AWS's capacities (50 unfiltered, 100 filtered); refill slowed so the count is exact.
  await h.reset({ delayScale: 0, throttling: { rateScale: 0.001 } });
  const ec2 = h.ec2({ maxAttempts: 1 });
  const unfiltered = await settle(Array.from({ length: 58 }, () => ec2.send(new DescribeInstancesCommand({}))));
  expect(unfiltered.ok).toBe(50);
  expect(unfiltered.errors.map((e) => e.name)).toEqual(Array(8).fill('RequestLimitExceeded'));

  const filtered = await settle(
    Array.from({ length: 58 }, () => ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['running'] }] }))),
  );
  expect(filtered.errors).toEqual([]);
});

it('RunInstances has its own small bucket (5, refilling 2/s)', async () => {
  await h.reset({ delayScale: 0, throttling: { rateScale: 0.001 } });
  const ec2 = h.ec2({ maxAttempts: 1 });
  const burst = await settle(
    Array.from({ length: 8 }, () => ec2.send(new RunInstancesCommand({ ImageId: AMI, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }))),
  );
  expect(burst.ok).toBe(5);
  expect(burst.errors.map((e) => e.name)).toEqual(Array(3).fill('RequestLimitExceeded'));
});

it('keeps buckets per region, and can be switched off or resized', async () => {
  await h.reset({ delayScale: 0, throttling: { buckets: { ModifyVpcAttribute: { capacity: 3, refillPerSecond: 0.01 } } } });
  const east = h.ec2({ maxAttempts: 1 });
  const west = h.ec2({ maxAttempts: 1, region: 'us-west-2' });
  const eastVpc = await newVpc(east);
  const westVpc = await newVpc(west);
  const modify = (client: EC2Client, vpc: string) => client.send(new ModifyVpcAttributeCommand({ VpcId: vpc, EnableDnsHostnames: { Value: true } }));
  const eastBurst = await settle(Array.from({ length: 5 }, () => modify(east, eastVpc)));
  expect(eastBurst.ok).toBe(3);
  const westBurst = await settle(Array.from({ length: 3 }, () => modify(west, westVpc)));
  expect(westBurst.ok).toBe(3);

  await h.control('PUT', '/_sim/config', { throttling: { enabled: false } });
  const off = await settle(Array.from({ length: 10 }, () => modify(east, eastVpc)));
  expect(off.errors).toEqual([]);
});
