/**
 * The inputs and outputs of every AWS activity. Serializable, and free of secrets: an
 * activity gets the account id and resolves the keys itself.
 */
import type { RootVolume } from '../common/cluster-spec';
import type { Owner } from '../common/tags';
import type { ApiEndpointKind, ApiEndpointRef } from '../common/api-endpoint';
import type { PreflightInput as CloudPreflightInput } from '../cloud/preflight';
import type { CostInput as CloudCostInput } from '../cloud/pricing';

/** Where an activity works and for whom. */
export interface Scope {
  accountId: string;
  region: string;
  owner: Owner;
}

/** A resource addressed by its logical key (`vpc`, `subnet/public/us-east-1a`, `node/workers/3`). */
export interface Keyed {
  scope: Scope;
  key: string;
}

export interface EnsureVpcInput extends Keyed {
  cidr: string;
}

export interface EnsureSubnetInput extends Keyed {
  vpcId: string;
  cidr: string;
  az: string;
  public: boolean;
}

export interface EnsureInternetGatewayInput extends Keyed {
  vpcId: string;
}

export interface EnsureNatGatewayInput extends Keyed {
  subnetId: string;
  allocationId: string;
}

export interface Route {
  destinationCidr: string;
  gatewayId?: string;
  natGatewayId?: string;
}

export interface EnsureRouteTableInput extends Keyed {
  vpcId: string;
  routes: Route[];
  subnetIds: string[];
}

export interface IngressRule {
  protocol: 'tcp' | 'udp' | 'icmp' | '-1';
  fromPort: number;
  toPort: number;
  cidrs?: string[];
  /** Group ids allowed as sources. */
  sourceGroupIds?: string[];
  description?: string;
}

export interface EnsureSecurityGroupInput extends Keyed {
  vpcId: string;
  description: string;
  ingress: IngressRule[];
}

export type { ApiEndpointKind, ApiEndpointRef } from '../common/api-endpoint';

export interface EnsureApiEndpointInput extends Keyed {
  /** Absent in calls scheduled before endpoints had kinds: a classic ELB. */
  kind?: ApiEndpointKind;
  subnetIds: string[];
  securityGroupIds: string[];
  /** TCP port the API server listens on, front and back (6443). */
  port: number;
}

export interface ApiEndpointInfo extends ApiEndpointRef {
  dnsName: string;
}

export interface EnsureInstanceInput extends Keyed {
  subnetId: string;
  instanceType: string;
  imageId: string;
  securityGroupIds: string[];
  keyName?: string;
  userData?: string;
  /** Spot: the maximum price in USD per hour. */
  spotMaxPrice?: string;
  /** Changes when a node is deliberately replaced, so the ClientToken differs from the old node's. */
  generation?: number;
  /** Name of the IAM instance profile the instance runs with (its role lets a node read the join secret). */
  iamInstanceProfile?: string;
  /** IMDSv2 hop limit (EC2 HttpPutResponseHopLimit); tokens are always required. Default 2. */
  metadataHopLimit?: number;
  /** The root volume, encrypted; absent: the image's own, as AWS makes it (pools from before it could be set). */
  rootVolume?: RootVolume;
  /**
   * The launch is asked for again (its first answer was lost, or EC2 does not list it yet):
   * EC2 may answer a repeated ClientToken with the first answer, so the instance's current
   * state is read by id before it is taken as live.
   */
  recheck?: boolean;
}

export interface InstanceInfo {
  instanceId: string;
  key: string;
  az: string;
  subnetId: string;
  instanceType: string;
  privateIp?: string;
  publicIp?: string;
  state: string;
  lifecycle: 'on-demand' | 'spot';
  /** Which launch of the key this is: 0 at create, the operation's number for later launches. */
  generation?: number;
}

export interface WaitInstanceReadyInput {
  scope: Scope;
  instanceId: string;
  /** When set, ready also means healthy behind this API endpoint. */
  endpoint?: ApiEndpointRef;
  /** Calls scheduled before endpoints had kinds: a classic ELB's name. */
  loadBalancerName?: string;
}

export interface ApiEndpointMembers {
  scope: Scope;
  endpoint?: ApiEndpointRef;
  /** Calls scheduled before endpoints had kinds: a classic ELB's name. */
  loadBalancerName?: string;
  instanceIds: string[];
}

/* The preflight's and the cost estimate's shapes are cloud/'s (the API's dry run reads them too); an activity's input carries the whole scope. */
export type { PreflightCheck, PreflightResult } from '../cloud/preflight';
export type { CostLine, CostEstimate } from '../cloud/pricing';
export type PreflightInput = Omit<CloudPreflightInput, 'scope'> & { scope: Scope };
export type CostInput = Omit<CloudCostInput, 'scope'> & { scope: Scope };

/** An activity about the whole cluster rather than one of its resources. */
export interface ClusterScoped {
  scope: Scope;
}

export interface WaitNatGatewayInput {
  scope: Scope;
  natGatewayId: string;
}

export interface ResolveImageInput {
  scope: Scope;
  /** AMI owner: an account id (Canonical is 099720109477) or an alias such as `amazon`. */
  owner: string;
  /** DescribeImages `name` filter, wildcards allowed. */
  namePattern: string;
}

export interface ImageInfo {
  imageId: string;
  name: string;
}

/** Where the kubeadm join credentials live; never their value. */
export interface JoinSecretInfo {
  /** The bootstrap token: every node reads it. */
  secretName: string;
  secretArn: string;
  /** The certificate key: control-plane nodes only. Absent in results recorded before it was split out. */
  controlPlaneSecretName?: string;
  controlPlaneSecretArn?: string;
}

export interface TerminateInstanceInput extends Keyed {
  /** Only this generation of the key (a replaced node's old instance); absent: every generation. */
  generation?: number;
}

export interface TerminatedInstances {
  terminated: string[];
}

/**
 * A read the spot watchers of one worker may share (activities/spot-reads.ts): an answer read
 * for another watcher at most this many milliseconds before serves this one too. Absent, the
 * read is this caller's own.
 */
export interface SharedRead {
  sharedWithinMs?: number;
}

export interface OnDemandPriceInput extends ClusterScoped, SharedRead {
  instanceType: string;
}

/** The cluster's instances. */
export interface ListClusterInstancesInput extends ClusterScoped {
  /**
   * Read together with the listings other clusters' spot watchers ask within a second, in one
   * DescribeInstances (cloud/poll-reads.ts, `clusterInstances`); absent, a read of its own.
   */
  batched?: boolean;
}

export interface SpotPricesInput extends ClusterScoped, SharedRead {
  instanceType: string;
  /** Only these AZs are answered; every AZ's when absent (a read shared by pools of other AZs). */
  azs?: string[];
}

/** A spot price point: USD per hour in an AZ, since `at` (ISO time). */
export type { SpotPrice } from '../cloud/spot-prices';
