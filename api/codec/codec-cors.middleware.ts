import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { ApiSettings } from '../common/settings';
import { SETTINGS } from '../common/tokens';

/**
 * CORS for the Temporal Web UI's origins only, on the encode and decode routes. The UI's
 * requests are JSON with an X-Namespace header, so the browser asks first (preflight, never
 * with credentials): that is answered here, before the guard, and only for the UI's origins.
 * Credentials are allowed so the UI's codec session cookie goes along. Any other origin gets
 * no CORS headers, so its page can neither send such a request nor read an answer.
 */
@Injectable()
export class CodecCorsMiddleware implements NestMiddleware {
  private readonly origins: Set<string>;

  constructor(@Inject(SETTINGS) settings: ApiSettings) {
    this.origins = new Set(settings.config.temporalUiOrigins);
  }

  use(request: Request, response: Response, next: NextFunction): void {
    response.vary('Origin');
    const origin = request.headers.origin;
    if (origin === undefined || !this.origins.has(origin)) return next();
    response.setHeader('Access-Control-Allow-Origin', origin);
    response.setHeader('Access-Control-Allow-Credentials', 'true');
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
      response.setHeader('Access-Control-Allow-Methods', 'POST');
      response.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Namespace');
      response.setHeader('Access-Control-Max-Age', '600');
      response.status(204).end();
      return;
    }
    next();
  }
}
