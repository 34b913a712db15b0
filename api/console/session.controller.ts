import { Controller, Get, Inject, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { AuthenticatedRequest } from '../auth/bearer-token.guard';
import { ApiSettings } from '../common/settings';
import { SETTINGS } from '../common/tokens';

class TemporalUiView {
  @ApiProperty({ description: 'the Temporal Web UI, its first allowed codec origin (CLUSTERFLOW_TEMPORAL_UI_ORIGINS)', example: 'http://127.0.0.1:8233' })
  url!: string;

  @ApiProperty({ example: 'default' })
  namespace!: string;
}

export class SessionView {
  @ApiProperty({ enum: ['admin', 'operator', 'viewer'] })
  role!: string;

  @ApiProperty({ description: 'the project the token acts in (the admin token: X-Clusterflow-Project, else default)' })
  project!: string;

  @ApiProperty({ type: TemporalUiView })
  temporalUi!: TemporalUiView;
}

/** Who the token is: the console signs in with it, shows the project and links operations to the Web UI. */
@ApiTags('session')
@ApiBearerAuth()
@Controller('v1/session')
export class SessionController {
  constructor(@Inject(SETTINGS) private readonly settings: ApiSettings) {}

  @Get()
  @ApiOkResponse({ type: SessionView })
  get(@Req() request: AuthenticatedRequest): SessionView {
    const { config } = this.settings;
    return {
      role: request.principal.role,
      project: request.principal.project,
      temporalUi: { url: config.temporalUiOrigins[0] ?? `http://127.0.0.1:${config.temporalUiPort}`, namespace: config.temporalNamespace },
    };
  }
}
