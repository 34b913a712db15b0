import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsObject, IsString, Length, Matches, ValidateNested } from 'class-validator';
import { Optional } from '../common/validation';
import { PACK_LAYERS, packGrammarsText } from '../../common/pack-schemas';

export { PACK_LAYERS };

export class PackDto {
  @ApiProperty({ example: 'kubernetes' })
  @IsString()
  @Matches(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, { message: 'name must be a lower-case DNS label (letters, digits, dashes; 1–63)' })
  name!: string;

  @ApiProperty({ enum: PACK_LAYERS })
  @IsIn(PACK_LAYERS, { message: `layer must be one of ${PACK_LAYERS.join(', ')}` })
  layer!: (typeof PACK_LAYERS)[number];

  @ApiProperty({ example: '1.31.4', description: `in the pack's version grammar; values take only the pack's keys. Known packs: ${packGrammarsText()}` })
  @IsString()
  @Length(1, 64, { message: 'version must be 1–64 characters' })
  version!: string;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { podCIDR: '192.168.0.0/16' } })
  @IsObject({ message: 'values must be an object' })
  values!: Record<string, unknown>;
}

export class CreateClusterProfileDto {
  @ApiProperty({ example: 'k8s-1-31-calico' })
  @IsString()
  @Matches(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, { message: 'name must be a lower-case DNS label (letters, digits, dashes; 1–63)' })
  name!: string;

  @ApiPropertyOptional()
  @Optional()
  @IsString()
  @Length(0, 1024, { message: 'description must be at most 1024 characters' })
  description?: string;

  @ApiProperty({ type: [PackDto] })
  @IsArray({ message: 'packs must be an array' })
  @ArrayMinSize(1, { message: 'packs must hold at least one pack' })
  @ArrayMaxSize(50, { message: 'packs must hold at most 50 packs' })
  @ValidateNested({ each: true })
  @Type(() => PackDto)
  packs!: PackDto[];
}

export class ClusterProfileView {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiPropertyOptional() description?: string;
  @ApiProperty({ type: [PackDto] }) packs!: PackDto[];
  @ApiProperty({ description: 'built-in profiles cannot be deleted' }) builtIn!: boolean;
  @ApiProperty() createdAt!: string;
}
