import { Controller, Get, HttpCode, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { Connection } from '@temporalio/client';
import { Public } from '../auth/public.decorator';
import { ApiError } from '../common/error-shape';
import { ApiSettings } from '../common/settings';
import { SETTINGS, STORE, TEMPORAL_CONNECTION } from '../common/tokens';
import { Store } from '../../store/store';

const TEMPORAL_CHECK_MS = 2000;

/** Probes answer without the token: orchestrators call them unauthenticated. */
@Public()
@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    @Inject(TEMPORAL_CONNECTION) private readonly temporal: Connection,
    @Inject(STORE) private readonly store: Store,
    @Inject(SETTINGS) private readonly settings: ApiSettings,
  ) {}

  /** The process is up. */
  @Get('healthz')
  @ApiOkResponse({ description: 'the API process is up' })
  healthz(): { status: string } {
    return { status: 'ok' };
  }

  /** Ready to serve: Temporal answers and the store takes writes. */
  @Get('readyz')
  @HttpCode(200)
  @ApiOkResponse({ description: 'Temporal reachable and store writable' })
  @ApiServiceUnavailableResponse({ description: 'names what is not ready' })
  async readyz(): Promise<{ status: string; checks: Record<string, string> }> {
    const checks: Record<string, string> = {};
    const problems: string[] = [];
    try {
      await this.temporal.withDeadline(Date.now() + TEMPORAL_CHECK_MS, () => this.temporal.workflowService.getSystemInfo({}));
      checks.temporal = 'ok';
    } catch (error) {
      checks.temporal = `unreachable at ${this.settings.config.temporalAddress}: ${(error as Error).message}`;
      problems.push(`temporal ${checks.temporal}`);
    }
    try {
      await this.store.checkWritable();
      checks.store = 'ok';
    } catch (error) {
      checks.store = `not writable: ${(error as Error).message}`;
      problems.push(`store ${checks.store}`);
    }
    if (problems.length > 0) throw new ApiError(503, `not ready: ${problems.join('; ')}`, checks);
    return { status: 'ready', checks };
  }
}
