import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';

/** PATCH /v1/clusters/:name/pools/:pool: a new size, a new instance type (rolling), or both. */
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
}
