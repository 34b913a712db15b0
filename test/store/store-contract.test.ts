import { CloudAccountRecord, NameTakenError, ProfileRecord, Store } from '../../store/store';
import { Backend, postgresBackend, sqliteBackend } from './backends';

/**
 * One contract, two backends: the embedded SQLite store and the PostgreSQL one answer every
 * call alike (the API and the worker cannot tell them apart).
 */
describe.each([['sqlite', sqliteBackend], ['postgres', postgresBackend]] as const)('the %s store', (_name, make) => {
  let backend: Backend;
  let store: Store;

  beforeAll(async () => {
    backend = make();
    store = await (await backend.fresh()).open();
  });

  afterAll(async () => {
    await store?.close();
    await backend?.stop();
  });

  const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();
  const account = (over: Partial<CloudAccountRecord>): CloudAccountRecord => ({
    id: 'acct-1',
    project: 'default',
    name: 'main',
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    sealedSecret: 'sealed-1',
    createdAt: at(1),
    ...over,
  });
  const profile = (over: Partial<ProfileRecord>): ProfileRecord => ({
    id: 'prof-1',
    project: 'default',
    name: 'small',
    description: 'two packs',
    packs: [{ name: 'ubuntu', layer: 'os', version: '22.04', values: { a: [1, { b: 'c' }] } }],
    builtIn: false,
    createdAt: at(1),
    ...over,
  });

  it('keeps cloud accounts per project, names unique within one, sorted by creation then bytewise by name', async () => {
    await store.insertCloudAccount(account({ id: 'acct-1', name: 'main', awsAccountId: '123456789012' }));
    // Same second: the name decides, upper case before lower case as bytes sort.
    await store.insertCloudAccount(account({ id: 'acct-2', name: 'b-second', createdAt: at(2) }));
    await store.insertCloudAccount(account({ id: 'acct-3', name: 'B-second', createdAt: at(2) }));
    await store.insertCloudAccount(account({ id: 'acct-4', project: 'alpha', name: 'main' }));
    await expect(store.insertCloudAccount(account({ id: 'acct-5', name: 'main' }))).rejects.toBeInstanceOf(NameTakenError);
    await expect(store.insertCloudAccount(account({ id: 'acct-1', name: 'other' }))).rejects.toBeInstanceOf(NameTakenError);

    expect((await store.listCloudAccounts('default')).map((a) => a.id)).toEqual(['acct-1', 'acct-3', 'acct-2']);
    expect(await store.getCloudAccount('default', 'acct-1')).toEqual(account({ id: 'acct-1', name: 'main', awsAccountId: '123456789012' }));
    expect(await store.getCloudAccount('default', 'acct-2')).toEqual(account({ id: 'acct-2', name: 'b-second', createdAt: at(2) }));
    expect(await store.getCloudAccount('default', 'acct-4')).toBeUndefined();
    expect((await store.listCloudAccounts('alpha')).map((a) => a.id)).toEqual(['acct-4']);
  });

  it('rotates an account’s keys in place, and deletes accounts: false for one that is not there', async () => {
    expect(await store.updateCloudAccountKeys('default', 'acct-2', { accessKeyId: 'AKIANEWKEY0000000002', sealedSecret: 'sealed-2', awsAccountId: '210987654321' })).toBe(true);
    expect(await store.getCloudAccount('default', 'acct-2')).toMatchObject({ accessKeyId: 'AKIANEWKEY0000000002', sealedSecret: 'sealed-2', awsAccountId: '210987654321' });
    expect(await store.updateCloudAccountKeys('alpha', 'acct-2', { accessKeyId: 'x', sealedSecret: 'y' })).toBe(false);
    expect(await store.deleteCloudAccount('default', 'acct-3')).toBe(true);
    expect(await store.deleteCloudAccount('default', 'acct-3')).toBe(false);
    expect(await store.getCloudAccount('default', 'acct-3')).toBeUndefined();
  });

  it('records which clusters use an account: a claim only once per name, released only by its own account', async () => {
    expect(await store.claimCloudAccount('default', 'c1', 'acct-1')).toBe(true);
    expect(await store.claimCloudAccount('default', 'c1', 'acct-2')).toBe(false);
    await store.useCloudAccount('default', 'c0', 'acct-2');
    await store.useCloudAccount('default', 'c0', 'acct-1');
    await store.useCloudAccount('alpha', 'c9', 'acct-1');
    expect(await store.clustersUsingCloudAccount('default', 'acct-1')).toEqual(['c0', 'c1']);
    expect(await store.clustersUsingCloudAccount('default', 'acct-2')).toEqual([]);
    await store.releaseCloudAccountClaim('default', 'c1', 'acct-2');
    expect(await store.clustersUsingCloudAccount('default', 'acct-1')).toEqual(['c0', 'c1']);
    await store.releaseCloudAccountClaim('default', 'c1', 'acct-1');
    await store.releaseCloudAccount('default', 'c0');
    expect(await store.clustersUsingCloudAccount('default', 'acct-1')).toEqual([]);
    expect(await store.clustersUsingCloudAccount('alpha', 'acct-1')).toEqual(['c9']);
  });

  it('lists the built-in profiles first, in every project, and keeps stored ones with their packs', async () => {
    const builtIns = await store.listProfiles('alpha');
    expect(builtIns.length).toBeGreaterThan(0);
    expect(builtIns.every((p) => p.builtIn && p.project === 'alpha')).toBe(true);
    await store.insertProfile(profile({}));
    await store.insertProfile(profile({ id: 'prof-2', name: 'bare', description: undefined, packs: [], createdAt: at(2) }));
    await expect(store.insertProfile(profile({ id: 'prof-3' }))).rejects.toBeInstanceOf(NameTakenError);
    await expect(store.insertProfile(profile({ id: 'prof-4', name: builtIns[0].name }))).rejects.toBeInstanceOf(NameTakenError);
    const listed = await store.listProfiles('default');
    expect(listed.slice(builtIns.length)).toEqual([profile({}), profile({ id: 'prof-2', name: 'bare', description: undefined, packs: [], createdAt: at(2) })]);
    expect(await store.getProfile('default', builtIns[0].id)).toEqual({ ...builtIns[0], project: 'default' });
    expect(await store.getProfile('alpha', 'prof-1')).toBeUndefined();
    expect(await store.deleteProfile('default', 'prof-2')).toBe(true);
    expect(await store.deleteProfile('default', 'prof-2')).toBe(false);
  });

  it('keeps projects and finds a token by its hash until it is revoked', async () => {
    await store.insertProject({ name: 'beta', createdAt: at(5) });
    await store.insertProject({ name: 'alpha', createdAt: at(5) });
    await expect(store.insertProject({ name: 'beta', createdAt: at(6) })).rejects.toBeInstanceOf(NameTakenError);
    expect(await store.listProjects()).toEqual([
      { name: 'alpha', createdAt: at(5) },
      { name: 'beta', createdAt: at(5) },
    ]);
    expect(await store.getProject('beta')).toEqual({ name: 'beta', createdAt: at(5) });
    expect(await store.getProject('gamma')).toBeUndefined();

    const token = { id: 'tok-1', project: 'beta', role: 'viewer' as const, tokenHash: 'ab'.repeat(32), createdAt: at(7) };
    await store.insertProjectToken(token);
    await store.insertProjectToken({ ...token, id: 'tok-2', role: 'operator', description: 'ci', tokenHash: 'cd'.repeat(32) });
    expect(await store.findProjectToken('ab'.repeat(32))).toEqual(token);
    expect((await store.listProjectTokens('beta')).map((t) => [t.id, t.role, t.description])).toEqual([
      ['tok-1', 'viewer', undefined],
      ['tok-2', 'operator', 'ci'],
    ]);
    expect(await store.deleteProjectToken('alpha', 'tok-1')).toBe(false);
    expect(await store.deleteProjectToken('beta', 'tok-1')).toBe(true);
    expect(await store.findProjectToken('ab'.repeat(32))).toBeUndefined();
  });

  it('proves it can be written, and a second store on the same place sees every write', async () => {
    await store.checkWritable();
    await store.checkWritable();
    const place = await backend.fresh();
    const first = await place.open();
    const second = await place.open();
    try {
      await first.insertProject({ name: 'shared', createdAt: at(1) });
      expect(await second.getProject('shared')).toEqual({ name: 'shared', createdAt: at(1) });
      await second.checkWritable();
    } finally {
      await first.close();
      await second.close();
    }
  });
});
