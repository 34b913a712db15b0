import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { Client, Connection } from '@temporalio/client';
import { resolvePayloadCodec } from '../../common/data-dir';
import { EncryptedPayloadCodec } from '../../common/payload-codec';
import { ApiSettings } from '../common/settings';
import { SETTINGS, TEMPORAL_CLIENT, TEMPORAL_CONNECTION } from '../common/tokens';

/** The codec the client and the worker share; the codec endpoint serves it to the Web UI. */
export const PAYLOAD_CODEC = Symbol('PAYLOAD_CODEC');

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
      provide: PAYLOAD_CODEC,
      inject: [SETTINGS],
      useFactory: (settings: ApiSettings) => {
        const logger = new Logger('api');
        return resolvePayloadCodec(settings.config, (message) => logger.warn(message));
      },
    },
    {
      provide: TEMPORAL_CLIENT,
      inject: [TEMPORAL_CONNECTION, SETTINGS, PAYLOAD_CODEC],
      useFactory: (connection: Connection, settings: ApiSettings, codec: EncryptedPayloadCodec) =>
        new Client({ connection, namespace: settings.config.temporalNamespace, dataConverter: { payloadCodecs: [codec] } }),
    },
  ],
  exports: [TEMPORAL_CONNECTION, TEMPORAL_CLIENT, PAYLOAD_CODEC],
})
export class TemporalModule implements OnApplicationShutdown {
  constructor(@Inject(TEMPORAL_CONNECTION) private readonly connection: Connection) {}

  async onApplicationShutdown(): Promise<void> {
    await this.connection.close().catch(() => undefined);
  }
}
