import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { Client, Connection } from '@temporalio/client';
import { ApiSettings } from '../common/settings';
import { SETTINGS, TEMPORAL_CLIENT, TEMPORAL_CONNECTION } from '../common/tokens';

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
    {
      provide: TEMPORAL_CLIENT,
      inject: [TEMPORAL_CONNECTION, SETTINGS],
      useFactory: (connection: Connection, settings: ApiSettings) => new Client({ connection, namespace: settings.config.temporalNamespace }),
    },
  ],
  exports: [TEMPORAL_CONNECTION, TEMPORAL_CLIENT],
})
export class TemporalModule implements OnApplicationShutdown {
  constructor(@Inject(TEMPORAL_CONNECTION) private readonly connection: Connection) {}

  async onApplicationShutdown(): Promise<void> {
    await this.connection.close().catch(() => undefined);
  }
}
