import { DynamicModule, Module } from '@nestjs/common';
import { consoleAssetsDir } from './console-assets';
import { ConsoleController } from './console.controller';
import { SessionController } from './session.controller';
import { CONSOLE_ASSETS_DIR } from './tokens';

/** The web console's files (at `/`) and the one read it needs that no resource answers (`/v1/session`). */
@Module({})
export class ConsoleModule {
  static with(assetsDir = consoleAssetsDir()): DynamicModule {
    return {
      module: ConsoleModule,
      controllers: [SessionController, ConsoleController],
      providers: [{ provide: CONSOLE_ASSETS_DIR, useValue: assetsDir }],
    };
  }
}
