import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';

/** POST /v1/clusters/:name/upgrade: the Kubernetes version every node is rolled to. */
export class UpgradeClusterDto {
  @ApiProperty({ example: '1.32.2', description: 'x.y.z; never lower, at most one minor version above the cluster’s' })
  @IsString({ message: 'kubernetesVersion must be a string' })
  @Matches(/^\d+\.\d+\.\d+$/, { message: 'kubernetesVersion must be a version x.y.z, e.g. 1.32.2' })
  kubernetesVersion!: string;
}
