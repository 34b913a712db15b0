import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, Matches, Max, Min } from 'class-validator';
import { Optional } from '../common/validation';
import { PoolSettingsFields, RootVolumeDto, TaintDto } from './pool-settings.dto';

/** PATCH /v1/clusters/:name/pools/:pool: a new size, and/or new launch settings (instance type, labels, taints, root volume: rolling). */
export class UpdatePoolDto {
  @ApiPropertyOptional({ example: 5 })
  @Optional()
  @IsInt({ message: 'size must be a whole number' })
  @Min(0, { message: 'size must be at least 0' })
  @Max(100, { message: 'size must be at most 100' })
  size?: number;

  @ApiPropertyOptional({ example: 'm5.xlarge', description: 'replaces the nodes one by one' })
  @Optional()
  @Matches(/^[a-z][a-z0-9-]*\d[a-z0-9-]*\.[a-z0-9]+$/, { message: 'instanceType must look like an EC2 instance type, e.g. m5.large' })
  instanceType?: string;

  @PoolSettingsFields.labels()
  labels?: Record<string, string>;

  @PoolSettingsFields.taints()
  taints?: TaintDto[];

  @PoolSettingsFields.rootVolume('the nodes’ root volume, always encrypted; changing it rolls the pool')
  rootVolume?: RootVolumeDto;
}

