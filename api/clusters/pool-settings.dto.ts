/**
 * The DTO side of a pool's labels, taints and root volume (common/pool-settings.ts has the
 * rules both the API and the entity check): shapes here, Kubernetes' and EC2's rules there.
 */
import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsArray, IsIn, IsInt, IsObject, IsString, Max, Min, ValidateNested } from 'class-validator';
import { Optional } from '../common/validation';
import { MAX_ROOT_VOLUME_GIB, MIN_ROOT_VOLUME_GIB, ROOT_VOLUME_TYPES, TAINT_EFFECTS, type RootVolumeType, type TaintEffect } from '../../common/cluster-spec';
import { poolSettingsProblems } from '../../common/pool-settings';
import type { PoolSpec } from '../../common/cluster-spec';
import { ApiError } from '../common/error-shape';

export class TaintDto {
  @ApiProperty({ example: 'nvidia.com/gpu' })
  @IsString({ message: 'key must be a string' })
  key!: string;

  @ApiPropertyOptional({ example: 'present' })
  @Optional()
  @IsString({ message: 'value must be a string' })
  value?: string;

  @ApiProperty({ enum: TAINT_EFFECTS })
  @IsIn([...TAINT_EFFECTS], { message: `effect must be one of ${TAINT_EFFECTS.join(', ')}` })
  effect!: TaintEffect;
}

export class RootVolumeDto {
  @ApiProperty({ minimum: MIN_ROOT_VOLUME_GIB, maximum: MAX_ROOT_VOLUME_GIB, example: 80 })
  @IsInt({ message: 'sizeGiB must be a whole number' })
  @Min(MIN_ROOT_VOLUME_GIB, { message: `sizeGiB must be from ${MIN_ROOT_VOLUME_GIB} to ${MAX_ROOT_VOLUME_GIB}` })
  @Max(MAX_ROOT_VOLUME_GIB, { message: `sizeGiB must be from ${MIN_ROOT_VOLUME_GIB} to ${MAX_ROOT_VOLUME_GIB}` })
  sizeGiB!: number;

  @ApiProperty({ enum: ROOT_VOLUME_TYPES, default: 'gp3' })
  @IsIn([...ROOT_VOLUME_TYPES], { message: `type must be one of ${ROOT_VOLUME_TYPES.join(', ')}` })
  type!: RootVolumeType;
}

/** The three settings' decorators, one place for the pool of a create or add-pool and the body of a PATCH. */
export const PoolSettingsFields = {
  labels: () =>
    applyDecorators(
      ApiPropertyOptional({ example: { 'example.com/gpu': 'true' }, description: 'Kubernetes labels each node registers with; changing them rolls the pool' }),
      Optional(),
      IsObject({ message: 'labels must be an object of label keys to values' }),
    ),
  taints: () =>
    applyDecorators(
      ApiPropertyOptional({ type: [TaintDto], description: 'Kubernetes taints each node registers with; changing them rolls the pool' }),
      Optional(),
      IsArray({ message: 'taints must be an array of {key, value?, effect}' }),
      ValidateNested({ each: true }),
      Type(() => TaintDto),
    ),
  rootVolume: (description: string) =>
    applyDecorators(ApiPropertyOptional({ type: RootVolumeDto, description }), Optional(), ValidateNested(), Type(() => RootVolumeDto)),
};

/** Kubernetes' rules over labels and taints, as a 400 naming each field: the DTO checks shapes only. */
export function assertPoolSettings(pools: Array<{ pool: Pick<PoolSpec, 'role' | 'allowWorkerCapability' | 'labels' | 'taints' | 'rootVolume'>; field: string }>): void {
  const problems = pools.flatMap(({ pool, field }) => poolSettingsProblems(pool, field));
  if (problems.length > 0) throw new ApiError(400, problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);
}
