import { initial } from './0001-initial';
import { usageByAccount } from './0002-usage-by-account';
import { rateBuckets } from './0003-rate-buckets';
import { StoreMigration } from './migration';

/** Every schema version, oldest first: a new one is a file here and its line at the end. */
export const MIGRATIONS: readonly StoreMigration[] = [initial, usageByAccount, rateBuckets];
