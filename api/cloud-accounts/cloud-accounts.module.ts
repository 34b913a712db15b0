import { Module } from '@nestjs/common';
import { ApiSettings } from '../common/settings';
import { SETTINGS, STS_VERIFIER } from '../common/tokens';
import { CloudAccountsController } from './cloud-accounts.controller';
import { CloudAccountsService } from './cloud-accounts.service';
import { StsVerifier } from './sts-verifier';

@Module({
  controllers: [CloudAccountsController],
  providers: [
    CloudAccountsService,
    { provide: STS_VERIFIER, inject: [SETTINGS], useFactory: (s: ApiSettings) => new StsVerifier(s.config) },
  ],
})
export class CloudAccountsModule {}
