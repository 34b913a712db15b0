import { Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import type { AwsDeps } from '../../cloud/aws-session';
import { openRateLimiter } from '../../cloud/open-rate-limiter';
import { ApiSettings } from '../common/settings';
import { AWS_DEPS, SETTINGS, STORE } from '../common/tokens';
import { Store } from '../../store/store';
import { AccountNetworkController } from './account-network.controller';
import { ClustersController } from './clusters.controller';
import { ClustersService } from './clusters.service';
import { CloudReadsService } from './cloud-reads.service';

@Module({
  controllers: [ClustersController, AccountNetworkController],
  providers: [
    ClustersService,
    CloudReadsService,
    {
      provide: AWS_DEPS,
      inject: [SETTINGS, STORE],
      // The API's reads (region checks, dry runs, the wizard's network) draw from the buckets
      // the workers keep to, and answer 503 rather than hold a request long for a token.
      useFactory: (settings: ApiSettings, store: Store): AwsDeps => ({
        config: settings.config,
        store,
        secretBox: settings.secretBox,
        rateLimiter: openRateLimiter(settings.config),
        rateWaitMs: API_RATE_WAIT_MS,
      }),
    },
  ],
})
export class ClustersModule implements OnApplicationShutdown {
  constructor(@Inject(AWS_DEPS) private readonly aws: AwsDeps) {}

  async onApplicationShutdown(): Promise<void> {
    await this.aws.rateLimiter?.close();
  }
}

/** The longest one of the API's EC2 calls waits for its request tokens (a console's request is waiting too). */
export const API_RATE_WAIT_MS = 5_000;
