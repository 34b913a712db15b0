import { CloudAccountRecord, ProfileRecord, ProjectRecord, ProjectRole, ProjectTokenRecord } from './store';

/** The tables' rows as both backends return them (same column names), and the records they make. */
export interface AccountRow {
  id: string;
  project: string;
  name: string;
  access_key_id: string;
  sealed_secret: string;
  aws_account_id: string | null;
  created_at: string;
}

export interface ProfileRow {
  id: string;
  project: string;
  name: string;
  description: string | null;
  packs: string;
  created_at: string;
}

export function toAccount(row: AccountRow): CloudAccountRecord {
  return {
    id: row.id,
    project: row.project,
    name: row.name,
    accessKeyId: row.access_key_id,
    sealedSecret: row.sealed_secret,
    awsAccountId: row.aws_account_id ?? undefined,
    createdAt: row.created_at,
  };
}

export function toProfile(row: ProfileRow): ProfileRecord {
  return {
    id: row.id,
    project: row.project,
    name: row.name,
    description: row.description ?? undefined,
    packs: JSON.parse(row.packs),
    builtIn: false,
    createdAt: row.created_at,
  };
}

export interface ProjectRow {
  name: string;
  created_at: string;
}

export interface ProjectTokenRow {
  id: string;
  project: string;
  role: string;
  description: string | null;
  token_hash: string;
  created_at: string;
}

export function toProject(row: ProjectRow): ProjectRecord {
  return { name: row.name, createdAt: row.created_at };
}

export function toProjectToken(row: ProjectTokenRow): ProjectTokenRecord {
  return {
    id: row.id,
    project: row.project,
    role: row.role as ProjectRole,
    description: row.description ?? undefined,
    tokenHash: row.token_hash,
    createdAt: row.created_at,
  };
}
