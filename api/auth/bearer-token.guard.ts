import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { apiTokenProblem, MIN_OPERATOR_TOKEN_LENGTH } from '../../common/data-dir';
import { DEFAULT_PROJECT, isProjectName } from '../../common/projects';
import { Store } from '../../store/store';
import { ACCEPTS_CODEC_SESSION, CodecSessions } from '../codec/codec-session';
import { ApiError } from '../common/error-shape';
import { ApiSettings } from '../common/settings';
import { SETTINGS, STORE } from '../common/tokens';
import { ADMIN_ONLY, Principal, PROJECT_HEADER, READ_METHODS, VIEWER_MAY_DRY_RUN } from './access';
import { tokenHash } from './project-tokens';
import { IS_PUBLIC } from './public.decorator';

export interface AuthenticatedRequest extends Request {
  principal: Principal;
  /** `principal.project`: where the request's accounts, profiles and clusters are looked up. */
  project: string;
}

/**
 * Runs on every matched route (it is the app's global guard) and decides on the route, not on
 * how the path was spelled: a route needs `Authorization: Bearer <token>` unless its
 * controller or handler is marked `@Public()`. (The OpenAPI UI and document under /docs are
 * served by Express beside Nest's routes, public by design.) The admin token is compared
 * hashed, so constant-time whatever the presented token's length; a project token is found
 * by its hash. Then the role decides: admin-only routes, and a viewer's changes, are 403.
 */
@Injectable()
export class BearerTokenGuard implements CanActivate {
  private readonly expected: Buffer;
  private readonly codecSessions: CodecSessions;

  constructor(
    @Inject(SETTINGS) settings: ApiSettings,
    @Inject(STORE) private readonly store: Store,
    private readonly reflector: Reflector,
  ) {
    // The start refuses such a token already; this keeps a blank one from ever being the key.
    const problem = apiTokenProblem(settings.apiToken, MIN_OPERATOR_TOKEN_LENGTH);
    if (problem) throw new Error(`the API token ${problem}`);
    this.expected = createHash('sha256').update(settings.apiToken).digest();
    this.codecSessions = new CodecSessions(settings.apiToken);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.marked(context, IS_PUBLIC)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const principal = await this.authenticate(context, request);
    // Before the role is checked, so a refusal's access line says which project it was in.
    request.principal = principal;
    request.project = principal.project;
    this.authorize(context, request, principal);
    return true;
  }

  private marked(context: ExecutionContext, key: string): boolean {
    return this.reflector.getAllAndOverride<boolean>(key, [context.getHandler(), context.getClass()]) === true;
  }

  private async authenticate(context: ExecutionContext, request: Request): Promise<Principal> {
    // The Web UI's codec requests can carry a cookie but no token (api/codec/codec-session.ts);
    // only the admin token can open a session, so the cookie stands for it.
    if (request.headers.authorization === undefined && this.marked(context, ACCEPTS_CODEC_SESSION) && this.codecSessions.accepts(request.headers.cookie, Date.now())) {
      return { role: 'admin', project: DEFAULT_PROJECT };
    }
    const header = request.headers.authorization ?? '';
    // Visible ASCII only, nothing trimmed: a blank or Unicode-space "token" never gets compared.
    const match = /^Bearer +([\x21-\x7e]+)$/i.exec(header);
    if (!match) throw new ApiError(401, 'missing bearer token: send `Authorization: Bearer <token>`');
    const chosen = chosenProject(request);
    if (timingSafeEqual(createHash('sha256').update(match[1]).digest(), this.expected)) {
      const project = chosen ?? DEFAULT_PROJECT;
      if (project !== DEFAULT_PROJECT && !(await this.store.getProject(project))) throw new ApiError(404, `X-Clusterflow-Project: project "${project}" does not exist`);
      return { role: 'admin', project };
    }
    const token = await this.store.findProjectToken(tokenHash(match[1]));
    if (!token) throw new ApiError(401, 'invalid bearer token');
    if (chosen !== undefined && chosen !== token.project) {
      throw new ApiError(403, `X-Clusterflow-Project: this token acts in project "${token.project}" only`);
    }
    return { role: token.role, project: token.project };
  }

  private authorize(context: ExecutionContext, request: Request, principal: Principal): void {
    if (principal.role === 'admin') return;
    const route = `${request.method} ${(request.route as { path?: string } | undefined)?.path ?? request.path}`;
    if (this.marked(context, ADMIN_ONLY)) {
      throw new ApiError(403, `${route} needs the admin token; a project token (role ${principal.role}) cannot use it`);
    }
    if (principal.role === 'viewer' && !READ_METHODS.has(request.method)) {
      const dryRunnable = this.marked(context, VIEWER_MAY_DRY_RUN);
      if (dryRunnable && request.query.dryRun === 'true') return;
      const instead = dryRunnable ? '; its dry run (?dryRun=true) is allowed' : '';
      throw new ApiError(403, `role viewer may only read: ${route} changes project "${principal.project}" (ask for a token with role operator)${instead}`);
    }
  }
}

/** The project the request names in X-Clusterflow-Project, if any; 400 when it cannot be one. */
function chosenProject(request: Request): string | undefined {
  const value = request.headers[PROJECT_HEADER];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !isProjectName(value)) {
    throw new ApiError(400, 'X-Clusterflow-Project: must be a project name (a lower-case DNS label, 1–63)', [
      { field: 'X-Clusterflow-Project', rule: 'project-name', message: 'must be a project name (a lower-case DNS label, 1–63)' },
    ]);
  }
  return value;
}
