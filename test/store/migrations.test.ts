import { MIGRATIONS } from '../../store/migrations';
import { MIGRATIONS_TABLE } from '../../store/migrate';
import { Backend, Place, postgresBackend, PREVIOUS_SCHEMA, sqliteBackend } from './backends';

const LATEST = MIGRATIONS.map((m) => m.name);

/** The schema is versioned: each backend comes to the latest version from nothing and from the schema before versions, keeping its rows. */
describe.each([['sqlite', sqliteBackend], ['postgres', postgresBackend]] as const)('the %s store’s migrations', (_name, make) => {
  let backend: Backend;

  beforeAll(() => {
    backend = make();
  });

  afterAll(async () => {
    await backend?.stop();
  });

  async function recorded(place: Place): Promise<string[]> {
    return (await place.sql<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY name`)).map((r) => r.name);
  }

  it('brings an empty database to the latest version, each step recorded once; opening again runs none', async () => {
    const place = await backend.fresh();
    const store = await place.open();
    await store.insertProject({ name: 'alpha', createdAt: '2026-01-01T00:00:00.000Z' });
    await store.close();
    expect(await recorded(place)).toEqual(LATEST);
    expect(await place.indexes()).toContain('cloud_account_usage_by_account');

    const again = await place.open();
    expect(await again.getProject('alpha')).toBeDefined();
    await again.close();
    expect(await recorded(place)).toEqual(LATEST);
  });

  it('adopts the previous schema (tables made by CREATE TABLE IF NOT EXISTS at each start) and keeps every row', async () => {
    const place = await backend.fresh();
    for (const statement of PREVIOUS_SCHEMA) await place.sql(statement);
    await place.sql(`INSERT INTO cloud_accounts (id, project, name, access_key_id, sealed_secret, aws_account_id, created_at) VALUES ('acct-old', 'default', 'old', 'AKIAOLDKEY0000000001', 'sealed-old', '123456789012', '2025-06-01T00:00:00.000Z')`);
    await place.sql(`INSERT INTO profiles (id, project, name, description, packs, created_at) VALUES ('prof-old', 'default', 'old', NULL, '[]', '2025-06-01T00:00:00.000Z')`);
    await place.sql(`INSERT INTO cloud_account_usage (project, cluster, account_id) VALUES ('default', 'demo', 'acct-old')`);
    await place.sql(`INSERT INTO projects (name, created_at) VALUES ('legacy', '2025-06-01T00:00:00.000Z')`);
    await place.sql(`INSERT INTO project_tokens (id, project, role, description, token_hash, created_at) VALUES ('tok-old', 'legacy', 'viewer', NULL, '${'ef'.repeat(32)}', '2025-06-01T00:00:00.000Z')`);
    expect(await place.indexes()).not.toContain('cloud_account_usage_by_account');

    const store = await place.open();
    try {
      expect(await store.getCloudAccount('default', 'acct-old')).toEqual({
        id: 'acct-old',
        project: 'default',
        name: 'old',
        accessKeyId: 'AKIAOLDKEY0000000001',
        sealedSecret: 'sealed-old',
        awsAccountId: '123456789012',
        createdAt: '2025-06-01T00:00:00.000Z',
      });
      expect(await store.getProfile('default', 'prof-old')).toMatchObject({ name: 'old', packs: [] });
      expect(await store.clustersUsingCloudAccount('default', 'acct-old')).toEqual(['demo']);
      expect(await store.getProject('legacy')).toEqual({ name: 'legacy', createdAt: '2025-06-01T00:00:00.000Z' });
      expect(await store.findProjectToken('ef'.repeat(32))).toMatchObject({ id: 'tok-old', project: 'legacy', role: 'viewer' });
    } finally {
      await store.close();
    }
    expect(await recorded(place)).toEqual(LATEST);
    expect(await place.indexes()).toContain('cloud_account_usage_by_account');
  });

  it('lets processes that start together migrate one at a time: each step runs and is recorded once', async () => {
    const place = await backend.fresh();
    const stores = await Promise.all([place.open(), place.open(), place.open()]);
    await Promise.all(stores.map((s) => s.close()));
    expect(await recorded(place)).toEqual(LATEST);
  });
});
