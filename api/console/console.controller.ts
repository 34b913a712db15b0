import { Controller, Get, Header, Inject, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Public } from '../auth/public.decorator';
import { ApiError } from '../common/error-shape';
import { CONSOLE_ASSETS_DIR } from './tokens';
import { CONSOLE_CSP, readAsset } from './console-assets';

/**
 * The console's static files, public like the Web UI's sign-in page: they hold no data, and
 * every data call the console makes goes to /v1 with the token the operator typed. It routes
 * with the URL's hash, so `/` and `/assets/<file>` are all it needs: no fallback route that
 * could shadow /v1, /metrics, /codec or the probes.
 */
@Public()
@ApiExcludeController()
@Controller()
export class ConsoleController {
  constructor(@Inject(CONSOLE_ASSETS_DIR) private readonly dir: string) {}

  @Get()
  @Header('Content-Security-Policy', CONSOLE_CSP)
  @Header('Cache-Control', 'no-cache')
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Referrer-Policy', 'no-referrer')
  index(@Res() res: Response): void {
    const file = path.join(this.dir, 'index.html');
    if (!fs.existsSync(file)) throw new ApiError(503, `the console is not built (no ${file}): run npm run build`);
    res.type('html').send(fs.readFileSync(file));
  }

  @Get('assets/:file')
  @Header('X-Content-Type-Options', 'nosniff')
  asset(@Param('file') name: string, @Res() res: Response): void {
    const asset = readAsset(this.dir, name);
    if (!asset) throw new ApiError(404, `no console asset ${JSON.stringify(name)}`);
    // Content-hashed names: a new build is new names, so these never go stale.
    res.set('Cache-Control', 'public, max-age=31536000, immutable').type(asset.contentType).send(asset.body);
  }
}
