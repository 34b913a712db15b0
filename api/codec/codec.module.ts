import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { CodecCorsMiddleware } from './codec-cors.middleware';
import { CodecController } from './codec.controller';

/** The remote codec endpoint for the Temporal Web UI. */
@Module({ controllers: [CodecController] })
export class CodecModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // Every method, OPTIONS included: the browser's preflight must reach the middleware.
    consumer.apply(CodecCorsMiddleware).forRoutes({ path: 'codec/encode', method: RequestMethod.ALL }, { path: 'codec/decode', method: RequestMethod.ALL });
  }
}
