import { StoreMigration } from './migration';

/** Every account read (and every account delete) asks which clusters use it: answer from an index, not a scan. */
export const usageByAccount: StoreMigration = {
  name: '0002-usage-by-account',
  async up(db) {
    await db.exec('CREATE INDEX IF NOT EXISTS cloud_account_usage_by_account ON cloud_account_usage (project, account_id)');
  },
};
