import { SetMetadata } from '@nestjs/common';
import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The Temporal Web UI cannot send our bearer token to a codec endpoint: it sends
 * `Authorization` only with its own OAuth login (and only to https), otherwise just cookies
 * when told to include credentials. So an operator trades the token for a codec session once
 * per browser (`POST /codec/session`, bearer-authenticated), and the UI's requests carry that
 * cookie. The cookie is not the token: it is an expiring MAC keyed by the token, HttpOnly,
 * SameSite=Strict, scoped to /codec, and the guard takes it on the encode and decode routes
 * only, and only when no Authorization header is sent. A new API token voids every session.
 */

export const CODEC_SESSION_COOKIE = 'cf_codec_session';
export const CODEC_SESSION_PATH = '/codec';
export const CODEC_SESSION_TTL_S = 12 * 60 * 60;

export const ACCEPTS_CODEC_SESSION = 'clusterflow:accepts-codec-session';

/** Marks a route that a codec session cookie opens as well as the bearer token. */
export const AcceptsCodecSession = (): MethodDecorator & ClassDecorator => SetMetadata(ACCEPTS_CODEC_SESSION, true);

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

export class CodecSessions {
  private readonly key: Buffer;

  constructor(apiToken: string) {
    this.key = createHmac('sha256', apiToken).update('clusterflow codec session').digest();
  }

  private mac(expiresAtS: number): Buffer {
    return createHmac('sha256', this.key).update(`v1.${expiresAtS}`).digest();
  }

  /** A new session for `Set-Cookie`, valid CODEC_SESSION_TTL_S from `nowMs`. */
  issue(nowMs: number): { setCookie: string; expiresAt: string } {
    const expiresAtS = Math.floor(nowMs / 1000) + CODEC_SESSION_TTL_S;
    const value = `v1.${expiresAtS}.${this.mac(expiresAtS).toString('base64url')}`;
    return {
      setCookie: `${CODEC_SESSION_COOKIE}=${value}; Path=${CODEC_SESSION_PATH}; Max-Age=${CODEC_SESSION_TTL_S}; HttpOnly; SameSite=Strict`,
      expiresAt: new Date(expiresAtS * 1000).toISOString(),
    };
  }

  /** Whether the request's `Cookie` header holds a session this token issued that has not expired. */
  accepts(cookieHeader: string | undefined, nowMs: number): boolean {
    const match = /^v1\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(cookieValue(cookieHeader, CODEC_SESSION_COOKIE) ?? '');
    if (!match) return false;
    const expiresAtS = Number(match[1]);
    if (expiresAtS * 1000 <= nowMs) return false;
    return timingSafeEqual(Buffer.from(match[2], 'base64url'), this.mac(expiresAtS));
  }
}
