import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { Project } from '../auth/project.decorator';
import { CloudAccountsService } from './cloud-accounts.service';
import { CloudAccountView, CreateCloudAccountDto, RotateCloudAccountKeysDto } from './cloud-account.dto';

@ApiTags('cloud accounts')
@ApiBearerAuth()
@Controller('v1/cloud-accounts')
export class CloudAccountsController {
  constructor(private readonly accounts: CloudAccountsService) {}

  @Post()
  @ApiCreatedResponse({ type: CloudAccountView, description: 'verified with STS and stored encrypted' })
  @ApiBadRequestResponse({ description: 'a field breaks its rule, or STS rejected the keys (rule sts); `details` names the field and rule' })
  @ApiConflictResponse({ description: 'name taken' })
  @ApiBadGatewayResponse({ description: 'STS could not be reached to verify the keys; nothing changed' })
  async create(@Project() project: string, @Body() dto: CreateCloudAccountDto): Promise<CloudAccountView> {
    return this.accounts.create(project, dto);
  }

  @Get()
  @ApiOkResponse({ type: [CloudAccountView] })
  async list(@Project() project: string): Promise<CloudAccountView[]> {
    return this.accounts.list(project);
  }

  @Get(':id')
  @ApiOkResponse({ type: CloudAccountView })
  @ApiNotFoundResponse({ description: 'no cloud account with this id in the project' })
  async get(@Project() project: string, @Param('id') id: string): Promise<CloudAccountView> {
    return this.accounts.get(project, id);
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Rotate the keys',
    description:
      'Replaces the access key, secret and session token (left out: none) with new keys of the same AWS account, verified with STS first. ' +
      'Running clusters sign their next AWS call with the new keys; an operation that failed because AWS refused the old ones can then be run again.',
  })
  @ApiOkResponse({ type: CloudAccountView, description: 'the new keys are stored encrypted; the view shows the new key masked, never the secret' })
  @ApiBadRequestResponse({ description: 'a field breaks its rule, or STS rejected the keys; `details` names the field and rule' })
  @ApiNotFoundResponse({ description: 'no cloud account with this id' })
  @ApiUnprocessableEntityResponse({ description: 'the keys belong to another AWS account than the account’s (rule `same-aws-account`); the message names both' })
  @ApiBadGatewayResponse({ description: 'STS could not be reached to verify the keys; nothing changed' })
  async rotateKeys(@Project() project: string, @Param('id') id: string, @Body() dto: RotateCloudAccountKeysDto): Promise<CloudAccountView> {
    return this.accounts.rotateKeys(project, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'deleted, its sealed keys with it' })
  @ApiNotFoundResponse({ description: 'no cloud account with this id in the project' })
  @ApiConflictResponse({ description: 'a cluster uses the account (`details.clusters` names them)' })
  async delete(@Project() project: string, @Param('id') id: string): Promise<void> {
    await this.accounts.delete(project, id);
  }
}
