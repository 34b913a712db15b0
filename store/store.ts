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

export interface ProjectRecord {
  name: string;
  createdAt: string;
}

/** What a project token may do in its project (the admin token is not stored: it is the API's own). */
export type ProjectRole = 'viewer' | 'operator';

export interface ProjectTokenRecord {
  id: string;
  project: string;
  role: ProjectRole;
  description?: string;
  /** sha256 of the token, hex: the token itself is shown once and never stored. */
  tokenHash: string;
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

  /** Projects made with POST /v1/projects; `default` exists without a record. */
  insertProject(record: ProjectRecord): void;
  listProjects(): ProjectRecord[];
  getProject(name: string): ProjectRecord | undefined;

  insertProjectToken(record: ProjectTokenRecord): void;
  listProjectTokens(project: string): ProjectTokenRecord[];
  /** The token whose hash this is, if it has not been revoked. */
  findProjectToken(tokenHash: string): ProjectTokenRecord | undefined;
  /** Revokes (deletes) the token; false when the project has no such token. */
  deleteProjectToken(project: string, id: string): boolean;

  /** Proves the store can be written (for /readyz). */
  checkWritable(): void;
  close(): void;
}
