import { Module } from '@nestjs/common';
import type { AwsDeps } from '../../cloud/aws-session';
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
      useFactory: (settings: ApiSettings, store: Store): AwsDeps => ({ config: settings.config, store, secretBox: settings.secretBox }),
    },
  ],
})
export class ClustersModule {}
