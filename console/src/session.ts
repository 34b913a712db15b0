/**
 * The token lives in sessionStorage only: it is gone when the browser session ends, and no
 * other tab or later visit reads it. The project is the admin token's choice
 * (X-Clusterflow-Project); a project token's own is answered by /v1/session.
 */
const TOKEN = 'clusterflow.token';
const PROJECT = 'clusterflow.project';

export interface Credentials {
  token: string;
  project?: string;
}

export function storedCredentials(): Credentials | undefined {
  const token = sessionStorage.getItem(TOKEN);
  if (!token) return undefined;
  return { token, project: sessionStorage.getItem(PROJECT) ?? undefined };
}

export function storeCredentials(credentials: Credentials): void {
  sessionStorage.setItem(TOKEN, credentials.token);
  if (credentials.project) sessionStorage.setItem(PROJECT, credentials.project);
  else sessionStorage.removeItem(PROJECT);
}

export function forgetCredentials(): void {
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(PROJECT);
}
