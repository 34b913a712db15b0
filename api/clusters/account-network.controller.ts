import { Controller, Get, Inject, Param } from '@nestjs/common';
import { ApiBadGatewayResponse, ApiBadRequestResponse, ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { Project } from '../auth/project.decorator';
import { awsReadFailure, EC2_RATE_SPENT } from '../common/aws-read-failure';
import { ApiError } from '../common/error-shape';
import { STORE } from '../common/tokens';
import { Store } from '../../store/store';
import { AccountNetwork, CloudReadsService } from './cloud-reads.service';
import { REGION, REGION_MESSAGE } from './cluster-spec.dto';

/** What a new cluster could be placed in: the console's wizard picks AZs, a key pair and, for static placement, the VPC and subnets from it. */
@ApiTags('cloud accounts')
@ApiBearerAuth()
@Controller('v1/cloud-accounts/:id/regions/:region/network')
export class AccountNetworkController {
  constructor(
    private readonly cloud: CloudReadsService,
    @Inject(STORE) private readonly store: Store,
  ) {}

  @Get()
  @ApiOperation({ summary: 'AZs, VPCs, subnets and key pairs of the account in a region (read with its keys)' })
  @ApiOkResponse({ description: '{region, availabilityZones, vpcs: [{vpcId, cidrBlock, name?, isDefault}], subnets: [{subnetId, vpcId, availabilityZone, cidrBlock, name?, public}], keyPairs}' })
  @ApiBadRequestResponse({ description: '`region` is not a region name (rule `matches`)' })
  @ApiNotFoundResponse({ description: 'no cloud account with this id in the project' })
  @ApiBadGatewayResponse({ description: 'AWS could not be reached, or refused the keys' })
  @ApiServiceUnavailableResponse({ description: EC2_RATE_SPENT })
  async get(@Project() project: string, @Param('id') id: string, @Param('region') region: string): Promise<AccountNetwork> {
    if (!REGION.test(region)) throw new ApiError(400, `region: region ${REGION_MESSAGE}`, [{ field: 'region', rule: 'matches', message: `region ${REGION_MESSAGE}` }]);
    if (!(await this.store.getCloudAccount(project, id))) throw new ApiError(404, `cloud account ${id} not found`);
    return this.cloud.accountNetwork(project, id, region).catch((error: Error) => {
      throw awsReadFailure(`could not read the account's network in ${region} from AWS`, region, error);
    });
  }
}
