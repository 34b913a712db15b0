/**
 * The ClusterSpec of docs/api.md#clusterspec as plain types: what the API accepts, what the entity
 * workflow keeps as desired state. No classes, no decorators: workflow code imports it.
 */
import type { ApiEndpointType } from './api-endpoint';

export type PoolRole = 'control-plane' | 'worker';

export type Capacity = { type: 'on-demand' } | { type: 'spot'; maxPricePercent: number };

/** A pool's capacity, on-demand when the spec leaves it out. */
export function capacityOf(pool: { capacity?: Capacity }): Capacity {
  return pool.capacity ?? { type: 'on-demand' };
}

/** Spot pools' nodes are launched by their bidding watcher, not by operations. */
export function isSpotPool(pool: { capacity?: Capacity }): boolean {
  return capacityOf(pool).type === 'spot';
}

export interface PoolSpec {
  name: string;
  role: PoolRole;
  size: number;
  instanceType: string;
  azs: string[];
  allowWorkerCapability?: boolean;
  capacity?: Capacity;
  /** IMDSv2 hop limit of the pool's instances (default DEFAULT_METADATA_HOP_LIMIT). */
  metadataHopLimit?: number;
  /** Kubernetes labels each node registers with (kubelet `--node-labels`). */
  labels?: Record<string, string>;
  /** Kubernetes taints each node registers with (kubeadm `nodeRegistration.taints`). */
  taints?: Taint[];
  /** The nodes' root volume; absent on pools created before it could be set (the image's own, as AWS makes it). */
  rootVolume?: RootVolume;
}

export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;
export type TaintEffect = (typeof TAINT_EFFECTS)[number];

export interface Taint {
  key: string;
  value?: string;
  effect: TaintEffect;
}

/** Root volume types a node may boot from: SSDs whose IOPS need no figure of their own (io1/io2 do; st1/sc1 cannot boot). */
export const ROOT_VOLUME_TYPES = ['gp3', 'gp2'] as const;
export type RootVolumeType = (typeof ROOT_VOLUME_TYPES)[number];

/** Always encrypted (with the account's default EBS key): a node's disk holds its kubelet credentials. */
export interface RootVolume {
  sizeGiB: number;
  type: RootVolumeType;
}

/** What a new pool gets when its spec names no root volume: eksctl's size and type, gp3 being the cheaper and faster SSD. */
export const DEFAULT_ROOT_VOLUME: RootVolume = { sizeGiB: 80, type: 'gp3' };

/** Below this, a Kubernetes node runs out of room for images; and it is well above the images' own snapshots (8 GiB), which AWS would otherwise refuse to shrink. */
export const MIN_ROOT_VOLUME_GIB = 20;
/** EBS's limit for gp2 and gp3. */
export const MAX_ROOT_VOLUME_GIB = 16384;

/** A dynamic placement's VPC when the spec names none: a /16 leaves room for 8 AZs' subnets. */
export const DEFAULT_VPC_CIDR = '10.0.0.0/16';

export interface DynamicPlacement {
  type: 'dynamic';
  vpcCidr: string;
}

export interface StaticSubnets {
  az: string;
  publicSubnetId: string;
  privateSubnetId: string;
}

export interface StaticPlacement {
  type: 'static';
  vpcId: string;
  subnets: StaticSubnets[];
}

export interface CloudSpec {
  accountId: string;
  region: string;
  sshKeyName?: string;
  placement: DynamicPlacement | StaticPlacement;
  /** CIDRs allowed to SSH into the bastion; default 0.0.0.0/0 as every quick start has it. */
  bastionSshCidrs?: string[];
  /**
   * What fronts the control plane's API servers. The API writes `{type: 'nlb'}` into a new
   * spec that names none; a stored spec without it (older clusters) runs a classic ELB
   * (common/api-endpoint.ts, `endpointKindOf`).
   */
  apiEndpoint?: { type: ApiEndpointType };
}

export interface ClusterSpec {
  name: string;
  description?: string;
  tags?: Record<string, string>;
  profile: { id: string; overrides?: Record<string, unknown> };
  cloud: CloudSpec;
  pools: PoolSpec[];
}

/** Two hops: node agents running in pods (CNI, CSI, cloud controller) still reach IMDSv2. */
export const DEFAULT_METADATA_HOP_LIMIT = 2;

export const CONTROL_PLANE_SIZES = [1, 3, 5] as const;

/** A cluster spans at most 8 AZs: the VPC is carved into 16 subnet blocks, a private and a public per AZ. */
export const MAX_AZS = 8;

export function controlPlanePool(spec: ClusterSpec): PoolSpec {
  const pool = spec.pools.find((p) => p.role === 'control-plane');
  if (!pool) throw new Error(`cluster ${spec.name} has no control-plane pool`);
  return pool;
}

/** Every AZ any pool uses, in a stable order: the AZs that get subnets. */
export function clusterAzs(spec: ClusterSpec): string[] {
  return [...new Set(spec.pools.flatMap((p) => p.azs))].sort();
}
