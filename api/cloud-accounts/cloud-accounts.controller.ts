import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Project } from '../auth/project.decorator';
import { CloudAccountsService } from './cloud-accounts.service';
import { CloudAccountView, CreateCloudAccountDto } from './cloud-account.dto';

@ApiTags('cloud accounts')
@ApiBearerAuth()
@Controller('v1/cloud-accounts')
export class CloudAccountsController {
  constructor(private readonly accounts: CloudAccountsService) {}

  @Post()
  @ApiCreatedResponse({ type: CloudAccountView, description: 'verified with STS and stored encrypted' })
  @ApiConflictResponse({ description: 'name taken' })
  create(@Project() project: string, @Body() dto: CreateCloudAccountDto): Promise<CloudAccountView> {
    return this.accounts.create(project, dto);
  }

  @Get()
  @ApiOkResponse({ type: [CloudAccountView] })
  list(@Project() project: string): CloudAccountView[] {
    return this.accounts.list(project);
  }

  @Get(':id')
  @ApiOkResponse({ type: CloudAccountView })
  @ApiNotFoundResponse()
  get(@Project() project: string, @Param('id') id: string): CloudAccountView {
    return this.accounts.get(project, id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiConflictResponse({ description: 'a cluster uses the account' })
  delete(@Project() project: string, @Param('id') id: string): void {
    this.accounts.delete(project, id);
  }
}
