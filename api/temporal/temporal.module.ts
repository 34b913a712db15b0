import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { Connection } from '@temporalio/client';
import { ApiSettings } from '../common/settings';
import { SETTINGS, TEMPORAL_CONNECTION } from '../common/tokens';

/**
 * The Temporal client connection. Lazy, so the API starts (and /readyz can say why it is not
 * ready) while Temporal is still coming up.
 */
@Global()
@Module({
  providers: [
    {
      provide: TEMPORAL_CONNECTION,
      inject: [SETTINGS],
      useFactory: (settings: ApiSettings) => Connection.lazy({ address: settings.config.temporalAddress }),
    },
  ],
  exports: [TEMPORAL_CONNECTION],
})
export class TemporalModule implements OnApplicationShutdown {
  constructor(@Inject(TEMPORAL_CONNECTION) private readonly connection: Connection) {}

  async onApplicationShutdown(): Promise<void> {
    await this.connection.close().catch(() => undefined);
  }
}
