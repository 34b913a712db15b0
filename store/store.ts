/**
 * What the API and the worker keep outside Temporal: projects and their token hashes, cloud
 * accounts (with their secret sealed) and cluster profiles. Behind this interface so that
 * PostgreSQL (postgres-store.ts, several API processes on one store) can replace the embedded
 * SQLite default (sqlite-store.ts); every call is async because a server database is.
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
  insertCloudAccount(record: CloudAccountRecord): Promise<void>;
  listCloudAccounts(project: string): Promise<CloudAccountRecord[]>;
  getCloudAccount(project: string, id: string): Promise<CloudAccountRecord | undefined>;
  /** Replaces the account's keys (rotation); false when there is no such account. */
  updateCloudAccountKeys(project: string, id: string, keys: CloudAccountKeys): Promise<boolean>;
  deleteCloudAccount(project: string, id: string): Promise<boolean>;

  insertProfile(record: ProfileRecord): Promise<void>;
  listProfiles(project: string): Promise<ProfileRecord[]>;
  getProfile(project: string, id: string): Promise<ProfileRecord | undefined>;
  deleteProfile(project: string, id: string): Promise<boolean>;

  /** Clusters that reference an account; an account in use cannot be deleted. */
  useCloudAccount(project: string, cluster: string, accountId: string): Promise<void>;
  /** Records the usage unless the cluster's name already has one; true when this call recorded it. */
  claimCloudAccount(project: string, cluster: string, accountId: string): Promise<boolean>;
  /** Removes the usage only if it still names that account (undoes a claim). */
  releaseCloudAccountClaim(project: string, cluster: string, accountId: string): Promise<void>;
  releaseCloudAccount(project: string, cluster: string): Promise<void>;
  clustersUsingCloudAccount(project: string, accountId: string): Promise<string[]>;

  /** Projects made with POST /v1/projects; `default` exists without a record. */
  insertProject(record: ProjectRecord): Promise<void>;
  listProjects(): Promise<ProjectRecord[]>;
  getProject(name: string): Promise<ProjectRecord | undefined>;

  insertProjectToken(record: ProjectTokenRecord): Promise<void>;
  listProjectTokens(project: string): Promise<ProjectTokenRecord[]>;
  /** The token whose hash this is, if it has not been revoked. */
  findProjectToken(tokenHash: string): Promise<ProjectTokenRecord | undefined>;
  /** Revokes (deletes) the token; false when the project has no such token. */
  deleteProjectToken(project: string, id: string): Promise<boolean>;

  /** Proves the store can be written (for /readyz). */
  checkWritable(): Promise<void>;
  close(): Promise<void>;
}
