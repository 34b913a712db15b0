import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { apiTokenProblem, MIN_OPERATOR_TOKEN_LENGTH } from '../../common/data-dir';
import { ACCEPTS_CODEC_SESSION, CodecSessions } from '../codec/codec-session';
import { ApiError } from '../common/error-shape';
import { ApiSettings } from '../common/settings';
import { DEFAULT_PROJECT, SETTINGS } from '../common/tokens';
import { IS_PUBLIC } from './public.decorator';

export interface AuthenticatedRequest extends Request {
  project: string;
}

/**
 * Runs on every matched route (it is the app's global guard) and decides on the route, not on
 * how the path was spelled: a route needs `Authorization: Bearer <token>` unless its
 * controller or handler is marked `@Public()`. (The OpenAPI UI and document under /docs are
 * served by Express beside Nest's routes, public by design.) Both sides are hashed first so the
 * comparison is constant-time whatever the presented token's length.
 */
@Injectable()
export class BearerTokenGuard implements CanActivate {
  private readonly expected: Buffer;
  private readonly codecSessions: CodecSessions;

  constructor(
    @Inject(SETTINGS) settings: ApiSettings,
    private readonly reflector: Reflector,
  ) {
    // The start refuses such a token already; this keeps a blank one from ever being the key.
    const problem = apiTokenProblem(settings.apiToken, MIN_OPERATOR_TOKEN_LENGTH);
    if (problem) throw new Error(`the API token ${problem}`);
    this.expected = createHash('sha256').update(settings.apiToken).digest();
    this.codecSessions = new CodecSessions(settings.apiToken);
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    // The Web UI's codec requests can carry a cookie but no token (api/codec/codec-session.ts).
    if (
      request.headers.authorization === undefined &&
      this.reflector.getAllAndOverride<boolean>(ACCEPTS_CODEC_SESSION, [context.getHandler(), context.getClass()]) &&
      this.codecSessions.accepts(request.headers.cookie, Date.now())
    ) {
      request.project = DEFAULT_PROJECT;
      return true;
    }
    const header = request.headers.authorization ?? '';
    // Visible ASCII only, nothing trimmed: a blank or Unicode-space "token" never gets compared.
    const match = /^Bearer +([\x21-\x7e]+)$/i.exec(header);
    if (!match) throw new ApiError(401, 'missing bearer token: send `Authorization: Bearer <token>`');
    const presented = createHash('sha256').update(match[1]).digest();
    if (!timingSafeEqual(presented, this.expected)) throw new ApiError(401, 'invalid bearer token');
    request.project = DEFAULT_PROJECT;
    return true;
  }
}
