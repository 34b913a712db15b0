import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { Optional } from '../common/validation';
import { PoolSettingsFields, RootVolumeDto, TaintDto } from './pool-settings.dto';
import { API_ENDPOINT_TYPES, type ApiEndpointType, DEFAULT_API_ENDPOINT_TYPE } from '../../common/api-endpoint';
import { DEFAULT_VPC_CIDR } from '../../common/cluster-spec';
import { API_SERVER_PORT } from '../../workflows/plan';
import { AWS_TAGS_PER_RESOURCE, MAX_SPEC_TAGS, OWN_TAGS_PER_RESOURCE_MAX, TAG_KEY_MAX, TAG_VALUE_MAX } from '../../common/spec-rules';

const DNS_LABEL = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
const CIDR = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/;
const AZ = /^[a-z]{2}(-[a-z]+)+-\d[a-z]$/;
/** An AWS region name; `GET /v1/clusters?region=` is checked the same way. */
export const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
export const REGION_MESSAGE = 'must be an AWS region name, e.g. us-east-1';
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\d[a-z0-9-]*\.[a-z0-9]+$/;
const MAX_BASTION_SSH_CIDRS = 60;

export class CapacityDto {
  @ApiProperty({ enum: ['on-demand', 'spot'] })
  @IsIn(['on-demand', 'spot'], { message: 'type must be "on-demand" or "spot"' })
  type!: 'on-demand' | 'spot';

  @ApiPropertyOptional({ minimum: 1, maximum: 100, description: 'spot only: the maximum bid as a percentage of the on-demand price' })
  @ValidateIf((c: CapacityDto) => c.type === 'spot')
  @IsInt({ message: 'maxPricePercent must be a whole number' })
  @Min(1, { message: 'maxPricePercent must be between 1 and 100' })
  @Max(100, { message: 'maxPricePercent must be between 1 and 100' })
  maxPricePercent?: number;
}

export class PoolDto {
  @ApiProperty({ example: 'workers' })
  @IsString()
  @Matches(DNS_LABEL, { message: 'name must be a DNS label: lower-case letters, digits and dashes, starting with a letter, at most 63' })
  name!: string;

  @ApiProperty({ enum: ['control-plane', 'worker'] })
  @IsIn(['control-plane', 'worker'], { message: 'role must be "control-plane" or "worker"' })
  role!: 'control-plane' | 'worker';

  @ApiProperty({ example: 3 })
  @IsInt({ message: 'size must be a whole number' })
  @Min(0, { message: 'size must be at least 0' })
  @Max(100, { message: 'size must be at most 100' })
  size!: number;

  @ApiProperty({ example: 'm5.large' })
  @IsString()
  @Matches(INSTANCE_TYPE, { message: 'instanceType must look like an EC2 instance type, e.g. m5.large' })
  instanceType!: string;

  @ApiProperty({ example: ['us-east-1a', 'us-east-1b'] })
  @IsArray({ message: 'azs must be an array of availability zones' })
  @ArrayMinSize(1, { message: 'azs must name at least one availability zone' })
  @ArrayMaxSize(8, { message: 'azs may name at most 8 availability zones' })
  @Matches(AZ, { each: true, message: 'each of azs must be an availability zone name, e.g. us-east-1a' })
  azs!: string[];

  @ApiPropertyOptional({ description: 'control plane only: let workloads run on control-plane nodes (no taint)' })
  @Optional()
  @IsBoolean({ message: 'allowWorkerCapability must be true or false' })
  allowWorkerCapability?: boolean;

  @ApiPropertyOptional({ type: CapacityDto })
  @Optional()
  @ValidateNested()
  @Type(() => CapacityDto)
  capacity?: CapacityDto;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: 64,
    default: 2,
    description: 'hops an IMDSv2 token may travel (EC2 HttpPutResponseHopLimit); 2 lets node agents running in pods reach the metadata service, 1 keeps pods out of it',
  })
  @Optional()
  @IsInt({ message: 'metadataHopLimit must be a whole number' })
  @Min(1, { message: 'metadataHopLimit must be between 1 and 64' })
  @Max(64, { message: 'metadataHopLimit must be between 1 and 64' })
  metadataHopLimit?: number;

  @PoolSettingsFields.labels()
  labels?: Record<string, string>;

  @PoolSettingsFields.taints()
  taints?: TaintDto[];

  @PoolSettingsFields.rootVolume('the nodes’ root volume, always encrypted; new pools get 80 GiB gp3; changing it rolls the pool')
  rootVolume?: RootVolumeDto;
}

export class StaticSubnetsDto {
  @ApiProperty() @Matches(AZ, { message: 'az must be an availability zone name' }) az!: string;
  @ApiProperty() @Matches(/^subnet-[0-9a-f]{8,17}$/, { message: 'publicSubnetId must be a subnet id (subnet-…)' }) publicSubnetId!: string;
  @ApiProperty() @Matches(/^subnet-[0-9a-f]{8,17}$/, { message: 'privateSubnetId must be a subnet id (subnet-…)' }) privateSubnetId!: string;
}

export class PlacementDto {
  @ApiProperty({ enum: ['dynamic', 'static'] })
  @IsIn(['dynamic', 'static'], { message: 'type must be "dynamic" (Clusterflow builds the VPC) or "static" (an existing VPC)' })
  type!: 'dynamic' | 'static';

  @ApiPropertyOptional({ example: '10.0.0.0/16', default: DEFAULT_VPC_CIDR, description: `dynamic only; default ${DEFAULT_VPC_CIDR}, written into the stored spec` })
  @ValidateIf((p: PlacementDto) => p.type === 'dynamic' && p.vpcCidr !== undefined)
  @Matches(CIDR, { message: 'vpcCidr must be an IPv4 CIDR, e.g. 10.0.0.0/16' })
  vpcCidr?: string;

  @ApiPropertyOptional({ description: 'static only' })
  @ValidateIf((p: PlacementDto) => p.type === 'static')
  @Matches(/^vpc-[0-9a-f]{8,17}$/, { message: 'vpcId must be a VPC id (vpc-…)' })
  vpcId?: string;

  @ApiPropertyOptional({ type: [StaticSubnetsDto], description: 'static only: per AZ a public and a private subnet' })
  @ValidateIf((p: PlacementDto) => p.type === 'static')
  @IsArray({ message: 'subnets must be an array' })
  @ArrayMinSize(1, { message: 'subnets must name at least one AZ' })
  @ValidateNested({ each: true })
  @Type(() => StaticSubnetsDto)
  subnets?: StaticSubnetsDto[];
}

export class ApiEndpointDto {
  @ApiProperty({ enum: [...API_ENDPOINT_TYPES], description: 'nlb: a network load balancer (the default for new clusters); classic: a classic ELB' })
  @IsIn([...API_ENDPOINT_TYPES], { message: 'type must be "nlb" (a network load balancer) or "classic" (a classic ELB)' })
  type!: ApiEndpointType;
}

export class CloudDto {
  @ApiProperty() @IsString({ message: 'accountId must be a cloud account id' }) @Length(1, 64) accountId!: string;

  @ApiProperty({ example: 'us-east-1' })
  @Matches(REGION, { message: `region ${REGION_MESSAGE}` })
  region!: string;

  @ApiPropertyOptional() @Optional() @IsString() @Length(1, 255) sshKeyName?: string;

  @ApiProperty({ type: PlacementDto })
  @IsObject({ message: 'placement is required, as an object' })
  @ValidateNested()
  @Type(() => PlacementDto)
  placement!: PlacementDto;

  @ApiPropertyOptional({
    example: ['203.0.113.0/24'],
    maxItems: MAX_BASTION_SSH_CIDRS,
    description: 'who may SSH to the bastion (default anywhere): IPv4 networks, host bits zero (a single address is a.b.c.d/32)',
  })
  @Optional()
  @IsArray({ message: 'bastionSshCidrs must be an array of IPv4 CIDRs' })
  // One inbound rule per CIDR on the bastion's security group, whose default quota is 60.
  @ArrayMaxSize(MAX_BASTION_SSH_CIDRS, { message: `bastionSshCidrs may name at most ${MAX_BASTION_SSH_CIDRS} CIDRs: AWS allows ${MAX_BASTION_SSH_CIDRS} inbound rules per security group` })
  @Matches(CIDR, { each: true, message: 'each of bastionSshCidrs must be an IPv4 CIDR, e.g. 203.0.113.0/24' })
  bastionSshCidrs?: string[];

  @ApiPropertyOptional({
    type: ApiEndpointDto,
    description: `what fronts the Kubernetes API (TCP ${API_SERVER_PORT}); default {"type": "${DEFAULT_API_ENDPOINT_TYPE}"}, written into the stored spec`,
  })
  @Optional()
  @IsObject({ message: 'apiEndpoint must be an object, e.g. {"type": "nlb"}' })
  @ValidateNested()
  @Type(() => ApiEndpointDto)
  apiEndpoint?: ApiEndpointDto;
}

export class ProfileRefDto {
  @ApiProperty({ example: 'aws-default' }) @IsString() @Length(1, 64) id!: string;

  @ApiPropertyOptional({ example: { kubernetes: { podCIDR: '192.168.0.0/16' } }, description: 'per pack name, values merged into that pack' })
  @Optional()
  @IsObject({ message: 'overrides must be an object keyed by pack name' })
  overrides?: Record<string, unknown>;
}

export class ClusterSpecDto {
  @ApiProperty({ example: 'demo' })
  @IsString()
  @Matches(DNS_LABEL, { message: 'name must be a DNS label: lower-case letters, digits and dashes, starting with a letter, at most 63' })
  name!: string;

  @ApiPropertyOptional() @Optional() @IsString() @MaxLength(1024) description?: string;

  @ApiPropertyOptional({
    example: { team: 'infra' },
    description:
      `put on every AWS resource of the cluster; at most ${MAX_SPEC_TAGS} (AWS allows ${AWS_TAGS_PER_RESOURCE} per resource, Clusterflow uses up to ${OWN_TAGS_PER_RESOURCE_MAX}); ` +
      `keys 1–${TAG_KEY_MAX} and values 0–${TAG_VALUE_MAX} characters of letters, digits, spaces and _ . : / = + - @, without leading or trailing spaces; ` +
      'no key or value starting with aws:, no keys Name, clusterflow.io/… or kubernetes.io/… (Clusterflow sets those), no two keys differing only in case',
  })
  @Optional()
  @IsObject({ message: 'tags must be an object of string values' })
  tags?: Record<string, string>;

  @ApiProperty({ type: ProfileRefDto })
  @IsObject({ message: 'profile is required, as an object' })
  @ValidateNested()
  @Type(() => ProfileRefDto)
  profile!: ProfileRefDto;

  @ApiProperty({ type: CloudDto })
  @IsObject({ message: 'cloud is required, as an object' })
  @ValidateNested()
  @Type(() => CloudDto)
  cloud!: CloudDto;

  @ApiProperty({ type: [PoolDto] })
  @IsArray({ message: 'pools must be an array' })
  @ArrayMinSize(1, { message: 'pools must hold at least the control-plane pool' })
  @ArrayMaxSize(20, { message: 'pools may hold at most 20 pools' })
  @ValidateNested({ each: true })
  @Type(() => PoolDto)
  pools!: PoolDto[];
}
