import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsArray, IsInt, IsObject, IsOptional, Matches, Max, Min, ValidateNested } from 'class-validator';
import { RootVolumeDto, TaintDto } from './pool-settings.dto';

/** PATCH /v1/clusters/:name/pools/:pool: a new size, and/or new launch settings (instance type, labels, taints, root volume: rolling). */
export class UpdatePoolDto {
  @ApiPropertyOptional({ example: 5 })
  @IsOptional()
  @IsInt({ message: 'size must be a whole number' })
  @Min(0, { message: 'size must be at least 0' })
  @Max(100, { message: 'size must be at most 100' })
  size?: number;

  @ApiPropertyOptional({ example: 'm5.xlarge', description: 'replaces the nodes one by one' })
  @IsOptional()
  @Matches(/^[a-z][a-z0-9-]*\d[a-z0-9-]*\.[a-z0-9]+$/, { message: 'instanceType must look like an EC2 instance type, e.g. m5.large' })
  instanceType?: string;

  @ApiPropertyOptional({ example: { 'example.com/gpu': 'true' }, description: 'Kubernetes labels each node registers with; changing them rolls the pool' })
  @IsOptional()
  @IsObject({ message: 'labels must be an object of label keys to values' })
  labels?: Record<string, string>;

  @ApiPropertyOptional({ type: [TaintDto], description: 'Kubernetes taints each node registers with; changing them rolls the pool' })
  @IsOptional()
  @IsArray({ message: 'taints must be an array of {key, value?, effect}' })
  @ValidateNested({ each: true })
  @Type(() => TaintDto)
  taints?: TaintDto[];

  @ApiPropertyOptional({ type: RootVolumeDto, description: 'the nodes\' root volume, always encrypted; changing it rolls the pool' })
  @IsOptional()
  @ValidateNested()
  @Type(() => RootVolumeDto)
  rootVolume?: RootVolumeDto;
}

