import { DynamicModule, Global, Module, OnApplicationShutdown, Inject } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { BearerTokenGuard } from './auth/bearer-token.guard';
import { CloudAccountsModule } from './cloud-accounts/cloud-accounts.module';
import { ClusterProfilesModule } from './cluster-profiles/cluster-profiles.module';
import { ClustersModule } from './clusters/clusters.module';
import { CodecModule } from './codec/codec.module';
import { ConsoleModule } from './console/console.module';
import { ContractErrorFilter } from './common/error-shape';
import { ApiSettings } from './common/settings';
import { SETTINGS, STORE } from './common/tokens';
import { HealthModule } from './health/health.module';
import { ObservabilityModule } from './observability/observability.module';
import { ApiMetrics } from './observability/api-metrics';
import { API_METRICS } from './observability/tokens';
import { ProjectsModule } from './projects/projects.module';
import { Store } from '../store/store';
import { TemporalModule } from './temporal/temporal.module';

/** Settings, the store and the metrics, made before Nest starts, offered to every module. */
@Global()
@Module({})
class CoreModule implements OnApplicationShutdown {
  constructor(@Inject(STORE) private readonly store: Store) {}

  static with(settings: ApiSettings, store: Store, metrics: ApiMetrics): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: SETTINGS, useValue: settings },
        { provide: STORE, useValue: store },
        { provide: API_METRICS, useValue: metrics },
      ],
      exports: [SETTINGS, STORE, API_METRICS],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}

@Module({})
export class AppModule {
  static with(settings: ApiSettings, store: Store, metrics: ApiMetrics): DynamicModule {
    return {
      module: AppModule,
      imports: [CoreModule.with(settings, store, metrics), TemporalModule, HealthModule, CloudAccountsModule, ClusterProfilesModule, ClustersModule, CodecModule, ProjectsModule, ObservabilityModule, ConsoleModule.with()],
      providers: [
        { provide: APP_GUARD, useClass: BearerTokenGuard },
        { provide: APP_FILTER, useClass: ContractErrorFilter },
      ],
    };
  }
}
