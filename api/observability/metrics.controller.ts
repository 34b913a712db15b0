import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { AdminOnly } from '../auth/access';
import { ApiMetrics } from './api-metrics';
import { API_METRICS } from './tokens';

/**
 * Prometheus's scrape target. Admin token only: operation counts and route latencies describe
 * every project at once, which no project token may see, and an unauthenticated route would
 * be the one exception to "every route needs a token" that a scrape job does not need.
 */
@AdminOnly()
@ApiTags('metrics')
@ApiBearerAuth()
@Controller()
export class MetricsController {
  constructor(@Inject(API_METRICS) private readonly metrics: ApiMetrics) {}

  @Get('metrics')
  @Header('Cache-Control', 'no-store')
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'the API\'s metrics in the Prometheus text format', schema: { type: 'string' } })
  @ApiForbiddenResponse({ description: 'a project token: only the admin token reads metrics' })
  async metricsText(@Res() res: Response): Promise<void> {
    res.type(this.metrics.registry.contentType).send(await this.metrics.registry.metrics());
  }
}
