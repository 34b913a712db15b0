/**
 * What the API and the worker keep outside Temporal: cloud accounts (with their secret
 * sealed) and cluster profiles. Behind this interface so a server database can replace the
 * embedded default.
 */
export interface Pack {
  name: string;
  layer: string;
  version: string;
  values: Record<string, unknown>;
}

export interface CloudAccountRecord {
  id: string;
  project: string;
  name: string;
  accessKeyId: string;
  /** SecretBox-sealed JSON `{secretAccessKey, sessionToken?}`; never leaves the store in clear. */
  sealedSecret: string;
  awsAccountId?: string;
  createdAt: string;
}

/** What a key rotation replaces. */
export type CloudAccountKeys = Pick<CloudAccountRecord, 'accessKeyId' | 'sealedSecret' | 'awsAccountId'>;

export interface ProfileRecord {
  id: string;
  project: string;
  name: string;
  description?: string;
  packs: Pack[];
  builtIn: boolean;
  createdAt: string;
}

export class NameTakenError extends Error {}

export interface Store {
  insertCloudAccount(record: CloudAccountRecord): void;
  listCloudAccounts(project: string): CloudAccountRecord[];
  getCloudAccount(project: string, id: string): CloudAccountRecord | undefined;
  /** Replaces the account's keys (rotation); false when there is no such account. */
  updateCloudAccountKeys(project: string, id: string, keys: CloudAccountKeys): boolean;
  deleteCloudAccount(project: string, id: string): boolean;

  insertProfile(record: ProfileRecord): void;
  listProfiles(project: string): ProfileRecord[];
  getProfile(project: string, id: string): ProfileRecord | undefined;
  deleteProfile(project: string, id: string): boolean;

  /** Clusters that reference an account; an account in use cannot be deleted. */
  useCloudAccount(project: string, cluster: string, accountId: string): void;
  /** Records the usage unless the cluster's name already has one; true when this call recorded it. */
  claimCloudAccount(project: string, cluster: string, accountId: string): boolean;
  /** Removes the usage only if it still names that account (undoes a claim). */
  releaseCloudAccountClaim(project: string, cluster: string, accountId: string): void;
  releaseCloudAccount(project: string, cluster: string): void;
  clustersUsingCloudAccount(project: string, accountId: string): string[];

  /** Proves the store can be written (for /readyz). */
  checkWritable(): void;
  close(): void;
}
