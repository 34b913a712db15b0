import { Module } from '@nestjs/common';
import { ClusterProfilesController } from './cluster-profiles.controller';
import { ClusterProfilesService } from './cluster-profiles.service';

@Module({ controllers: [ClusterProfilesController], providers: [ClusterProfilesService] })
export class ClusterProfilesModule {}
