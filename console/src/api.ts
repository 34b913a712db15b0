import { forgetCredentials, storedCredentials, type Credentials } from './session';

/** One `{field, rule, message}` of an error's details (api/common/error-shape.ts). */
export interface FieldProblem {
  field: string;
  rule?: string;
  message: string;
}

/** An answer that was not 2xx, as the API's error shape says it. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly problems: FieldProblem[],
    readonly details: unknown,
  ) {
    super(message);
  }
}

function problemsOf(details: unknown): FieldProblem[] {
  if (!Array.isArray(details)) return [];
  return details.filter((d): d is FieldProblem => typeof d === 'object' && d !== null && typeof (d as FieldProblem).field === 'string');
}

/** Called when the API answers 401: the console goes back to sign-in. */
let onUnauthorized: () => void = () => undefined;
export function whenUnauthorized(callback: () => void): void {
  onUnauthorized = callback;
}

/** Every data call of the console: the /v1 API, with the session's token. */
export async function call<T>(method: string, path: string, body?: unknown, credentials: Credentials | undefined = storedCredentials()): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (credentials) headers.authorization = `Bearer ${credentials.token}`;
  if (credentials?.project) headers['x-clusterflow-project'] = credentials.project;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  const parsed = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  if (!response.ok) {
    if (response.status === 401 && storedCredentials()) {
      forgetCredentials();
      onUnauthorized();
    }
    const message = typeof parsed?.message === 'string' ? parsed.message : `${response.status} ${response.statusText}`;
    throw new ApiProblem(response.status, message, problemsOf(parsed?.details), parsed?.details);
  }
  return parsed as T;
}

export const get = <T>(path: string): Promise<T> => call<T>('GET', path);

/** `/v1/clusters/<name>` with every segment escaped. */
export function path(...segments: string[]): string {
  return segments.map((s, i) => (i === 0 ? s : encodeURIComponent(s))).join('/');
}
