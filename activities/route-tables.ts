import {
  AssociateRouteTableCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  DeleteRouteTableCommand,
  DescribeRouteTablesCommand,
  DisassociateRouteTableCommand,
  EC2Client,
  ReplaceRouteCommand,
  ReplaceRouteTableAssociationCommand,
  RouteTable,
} from '@aws-sdk/client-ec2';
import { ApplicationFailure } from '@temporalio/common';
import type { Owner } from '../common/tags';
import { AwsDeps, withSession } from '../cloud/aws-session';
import { isAwsError, isNotFound } from '../cloud/aws-errors';
import { byId, clientToken, isOwned, ownedFilters, tagSpecifications } from './ownership';
import { EnsureRouteTableInput, Keyed, Route } from './types';
import { sentOnce } from '../cloud/aws-retry';

async function findRouteTables(ec2: EC2Client, { scope, key }: Keyed, vpcId?: string): Promise<RouteTable[]> {
  const filters = ownedFilters(scope.owner, key);
  if (vpcId) filters.push({ Name: 'vpc-id', Values: [vpcId] });
  const answer = await ec2.send(new DescribeRouteTablesCommand({ Filters: filters }));
  return byId((answer.RouteTables ?? []).filter((table) => isOwned(table.Tags, scope.owner, key)), (table) => table.RouteTableId);
}

function routeTarget(route: Route) {
  return route.natGatewayId ? { NatGatewayId: route.natGatewayId } : { GatewayId: route.gatewayId };
}

/** Creates or corrects each wanted route; routes we did not ask for (the VPC's local one) stay. */
async function ensureRoutes(ec2: EC2Client, table: RouteTable, routes: Route[]): Promise<void> {
  for (const route of routes) {
    const current = (table.Routes ?? []).find((r) => r.DestinationCidrBlock === route.destinationCidr);
    const target = routeTarget(route);
    const same =
      current &&
      current.State !== 'blackhole' &&
      (route.natGatewayId ? current.NatGatewayId === route.natGatewayId : current.GatewayId === route.gatewayId);
    if (same) continue;
    const request = { RouteTableId: table.RouteTableId, DestinationCidrBlock: route.destinationCidr, ...target };
    if (current) {
      await ec2.send(new ReplaceRouteCommand(request));
      continue;
    }
    try {
      await ec2.send(new CreateRouteCommand(request));
    } catch (error) {
      // Another attempt added it after our describe; make it point where we want.
      if (!isAwsError(error, 'RouteAlreadyExists')) throw error;
      await ec2.send(new ReplaceRouteCommand(request));
    }
  }
}

/** Associates each subnet, moving it from another table of the cluster (or the VPC's main one) when needed. */
async function ensureAssociations(ec2: EC2Client, owner: Owner, table: RouteTable, subnetIds: string[]): Promise<void> {
  const associated = new Set((table.Associations ?? []).map((a) => a.SubnetId).filter(Boolean));
  for (const subnetId of subnetIds) {
    if (associated.has(subnetId)) continue;
    try {
      await ec2.send(new AssociateRouteTableCommand({ RouteTableId: table.RouteTableId, SubnetId: subnetId }));
    } catch (error) {
      // The subnet has an association already: this table's (a resend after a lost answer),
      // or another's.
      if (!isAwsError(error, 'Resource.AlreadyAssociated')) throw error;
      await moveAssociation(ec2, owner, table.RouteTableId!, subnetId);
    }
  }
}

/**
 * Moves the subnet's association here from another of the cluster's tables or the VPC's main
 * one. A table that is neither is someone else's routing for the subnet: not ours to take.
 */
async function moveAssociation(ec2: EC2Client, owner: Owner, routeTableId: string, subnetId: string): Promise<void> {
  const answer = await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'association.subnet-id', Values: [subnetId] }] }));
  for (const other of answer.RouteTables ?? []) {
    const association = (other.Associations ?? []).find((a) => a.SubnetId === subnetId);
    if (!association || other.RouteTableId === routeTableId) continue;
    const main = (other.Associations ?? []).some((a) => a.Main);
    if (!main && !isOwned(other.Tags, owner)) {
      throw ApplicationFailure.nonRetryable(
        `${subnetId} is associated with route table ${other.RouteTableId}, which is not cluster ${owner.cluster}'s`,
        'SubnetAssociatedElsewhere',
      );
    }
    await ec2.send(new ReplaceRouteTableAssociationCommand({ AssociationId: association.RouteTableAssociationId, RouteTableId: routeTableId }));
  }
}

/** A route table (public: default route to the IGW; private, per AZ: to that AZ's NAT gateway). */
export function routeTableActivities(deps: AwsDeps) {
  return {
    async ensureRouteTable(input: EnsureRouteTableInput): Promise<{ routeTableId: string }> {
      return withSession(deps, input.scope, async ({ ec2 }) => {
        let [table] = await findRouteTables(ec2, input, input.vpcId);
        if (!table) {
          const created = await ec2.send(
            sentOnce(new CreateRouteTableCommand({
              VpcId: input.vpcId,
              ClientToken: clientToken('route-table', input.scope.owner.cluster, input.key, input.vpcId),
              TagSpecifications: tagSpecifications(['route-table'], input.scope.owner, input.key),
            })),
          );
          table = created.RouteTable!;
        }
        await ensureRoutes(ec2, table, input.routes);
        await ensureAssociations(ec2, input.scope.owner, table, input.subnetIds);
        return { routeTableId: table.RouteTableId! };
      });
    },

    async deleteRouteTable(input: Keyed): Promise<void> {
      await withSession(deps, input.scope, async ({ ec2 }) => {
        for (const table of await findRouteTables(ec2, input)) {
          for (const association of table.Associations ?? []) {
            if (association.Main || !association.RouteTableAssociationId) continue;
            try {
              await ec2.send(new DisassociateRouteTableCommand({ AssociationId: association.RouteTableAssociationId }));
            } catch (error) {
              if (!isNotFound(error)) throw error;
            }
          }
          try {
            await ec2.send(new DeleteRouteTableCommand({ RouteTableId: table.RouteTableId }));
          } catch (error) {
            if (!isNotFound(error)) throw error;
          }
        }
      });
    },
  };
}
