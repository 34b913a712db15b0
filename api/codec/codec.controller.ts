import { Body, Controller, Get, Header, HttpCode, Inject, Post, Res } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiBody, ApiExcludeEndpoint, ApiHeader, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import type { Response } from 'express';
import { EncryptedPayloadCodec, PayloadDecryptionError } from '../../common/payload-codec';
import { AdminOnly } from '../auth/access';
import { Public } from '../auth/public.decorator';
import { ApiError } from '../common/error-shape';
import { ApiSettings } from '../common/settings';
import { SETTINGS } from '../common/tokens';
import { PAYLOAD_CODEC } from '../temporal/temporal.module';
import { CodecPayloadsDto, payloadsFromJson, payloadsToJson } from './codec-payloads';
import { AcceptsCodecSession, CodecSessions } from './codec-session';
import { SIGN_IN_PAGE, SIGN_IN_PAGE_CSP } from './sign-in-page';

const NAMESPACE_HEADER = { name: 'X-Namespace', required: false, description: 'the Temporal namespace of the payloads (sent by the Web UI; one key serves every namespace)' };

/**
 * Temporal's remote codec protocol, so the Web UI (and `temporal --codec-endpoint`) show
 * decrypted payloads to whoever holds the API token, and ciphertext to everyone else.
 */
// Payloads of every project pass through here: the admin token's (and its session's) only.
@AdminOnly()
@ApiTags('codec')
@ApiBearerAuth()
@Controller('codec')
export class CodecController {
  private readonly sessions: CodecSessions;

  constructor(
    @Inject(PAYLOAD_CODEC) private readonly codec: EncryptedPayloadCodec,
    @Inject(SETTINGS) settings: ApiSettings,
  ) {
    this.sessions = new CodecSessions(settings.apiToken);
  }

  @Post('encode')
  @HttpCode(200)
  @AcceptsCodecSession()
  @ApiOperation({ summary: 'encrypt payloads with the current payload key' })
  @ApiHeader(NAMESPACE_HEADER)
  @ApiBody({ type: CodecPayloadsDto })
  @ApiOkResponse({ type: CodecPayloadsDto })
  @ApiBadRequestResponse({ description: 'not a list of payloads; names the field and the rule' })
  @ApiUnauthorizedResponse({ description: 'no bearer token (or codec session cookie), or a wrong one' })
  async encode(@Body() body: unknown): Promise<CodecPayloadsDto> {
    return payloadsToJson(await this.codec.encode(payloadsFromJson(body)));
  }

  @Post('decode')
  @HttpCode(200)
  @AcceptsCodecSession()
  @ApiOperation({ summary: 'decrypt payloads with the key each names; payloads that are not encrypted come back as they are' })
  @ApiHeader(NAMESPACE_HEADER)
  @ApiBody({ type: CodecPayloadsDto })
  @ApiOkResponse({ type: CodecPayloadsDto })
  @ApiBadRequestResponse({ description: 'not a list of payloads; names the field and the rule' })
  @ApiUnauthorizedResponse({ description: 'no bearer token (or codec session cookie), or a wrong one' })
  @ApiUnprocessableEntityResponse({ description: 'a payload names a key that is not configured, or fails authentication' })
  async decode(@Body() body: unknown): Promise<CodecPayloadsDto> {
    try {
      return payloadsToJson(await this.codec.decode(payloadsFromJson(body)));
    } catch (error) {
      if (!(error instanceof PayloadDecryptionError)) throw error;
      throw new ApiError(422, `payloads.${error.index}: ${error.message}`, [{ field: `payloads.${error.index}`, rule: error.rule, message: error.message }]);
    }
  }

  /** The bearer token only: a session cannot renew itself. */
  @Post('session')
  @HttpCode(200)
  @ApiOperation({ summary: 'a codec session cookie for this browser, so the Web UI can decode without the token (12 hours)' })
  @ApiOkResponse({ description: 'Set-Cookie: the session; the body says until when' })
  @ApiUnauthorizedResponse({ description: 'no bearer token, or a wrong one' })
  session(@Res({ passthrough: true }) response: Response): { expiresAt: string; message: string } {
    const { setCookie, expiresAt } = this.sessions.issue(Date.now());
    response.setHeader('Set-Cookie', setCookie);
    response.setHeader('Cache-Control', 'no-store');
    return { expiresAt, message: `this browser may call /codec/encode and /codec/decode without the token until ${expiresAt}` };
  }

  /** A form for the browser: the token typed there goes to POST /codec/session. */
  @Public()
  @Get('sign-in')
  @ApiExcludeEndpoint()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', SIGN_IN_PAGE_CSP)
  @Header('Cache-Control', 'no-store')
  signIn(): string {
    return SIGN_IN_PAGE;
  }
}
