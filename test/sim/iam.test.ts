import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  GetInstanceProfileCommand,
  RemoveRoleFromInstanceProfileCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { errorOf, QUIET, useHarness } from './harness';

/** IAM answers as AWS does where moto does not. */

const h = useHarness(QUIET);
let iam: IAMClient;
beforeAll(() => {
  iam = h.iam();
});

const TRUST = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] });

async function profileWithRole(name: string): Promise<void> {
  await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: TRUST }));
  await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: name }));
  await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: name, RoleName: name }));
}

describe('RemoveRoleFromInstanceProfile', () => {
  it('removes a role the profile holds', async () => {
    await profileWithRole('node');
    await iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: 'node', RoleName: 'node' }));
    const { InstanceProfile } = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: 'node' }));
    expect(InstanceProfile?.Roles ?? []).toEqual([]);
  });

  it('answers NoSuchEntity (404), as AWS does, when the role was already removed', async () => {
    await profileWithRole('node');
    await iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: 'node', RoleName: 'node' }));
    const error = await errorOf(iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: 'node', RoleName: 'node' })));
    expect(error).toMatchObject({ name: 'NoSuchEntityException', status: 404 });
    expect(error.message).toMatch(/node/);
  });

  it('answers NoSuchEntity when the profile does not exist', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'lonely', AssumeRolePolicyDocument: TRUST }));
    const error = await errorOf(iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: 'missing', RoleName: 'lonely' })));
    expect(error).toMatchObject({ name: 'NoSuchEntityException', status: 404 });
  });
});
