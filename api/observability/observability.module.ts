import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { MetricsController } from './metrics.controller';
import { OperationIdInterceptor } from './operation-id.interceptor';

@Module({
  controllers: [MetricsController],
  providers: [{ provide: APP_INTERCEPTOR, useClass: OperationIdInterceptor }],
})
export class ObservabilityModule {}
