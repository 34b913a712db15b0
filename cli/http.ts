import { CliError, EXIT } from './exit-codes';
import type { ServerConfig } from './config';

/** The API's error body (api/common/error-shape.ts), as far as the CLI reads it. */
interface ErrorBody {
  statusCode?: number;
  message?: string;
  details?: unknown;
}

/** The API refused: its message names the field and the rule, so it is what the user sees. */
export class ApiRefusal extends CliError {
  constructor(
    readonly status: number,
    readonly body: ErrorBody | undefined,
    what: string,
  ) {
    super(`${what}: ${status} ${body?.message ?? 'no message'}`, EXIT.failed);
  }
}

/** A thin JSON client over the REST API (docs/api.md); every failure becomes a CliError with the right exit code. */
export class ApiClient {
  constructor(private readonly server: ServerConfig) {}

  get url(): string {
    return this.server.url;
  }

  async request<T = any>(method: string, path: string, body?: unknown): Promise<T> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const headers: Record<string, string> = { authorization: `Bearer ${this.server.token}`, accept: 'application/json' };
    if (this.server.project) headers['x-clusterflow-project'] = this.server.project;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${this.server.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(`cannot reach ${this.server.url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`, EXIT.unreachable);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) throw new ApiRefusal(response.status, parsed as ErrorBody | undefined, `${method} ${path}`);
    return parsed as T;
  }

  get<T = any>(path: string): Promise<T> { // eslint-disable-line @typescript-eslint/no-explicit-any
    return this.request<T>('GET', path);
  }
}

/** A path segment from user input (cluster, pool, id): encoded so a slash cannot reach another route. */
export const seg = (value: string): string => encodeURIComponent(value);
