import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { ApiError } from '../common/error-shape';
import { ApiSettings } from '../common/settings';
import { DEFAULT_PROJECT, SETTINGS } from '../common/tokens';

export interface AuthenticatedRequest extends Request {
  project: string;
}

/**
 * Everything under /v1 needs `Authorization: Bearer <token>`. Both sides are hashed first so
 * the comparison is constant-time whatever the presented token's length.
 */
@Injectable()
export class BearerTokenGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(@Inject(SETTINGS) settings: ApiSettings) {
    this.expected = createHash('sha256').update(settings.apiToken).digest();
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (!request.path.startsWith('/v1/') && request.path !== '/v1') return true;
    const header = request.headers.authorization ?? '';
    const match = /^Bearer (.+)$/i.exec(header);
    if (!match) throw new ApiError(401, 'missing bearer token: send `Authorization: Bearer <token>`');
    const presented = createHash('sha256').update(match[1].trim()).digest();
    if (!timingSafeEqual(presented, this.expected)) throw new ApiError(401, 'invalid bearer token');
    request.project = DEFAULT_PROJECT;
    return true;
  }
}
