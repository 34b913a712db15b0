import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, Length, Matches } from 'class-validator';
import { Optional } from '../common/validation';
import { PROJECT_NAME_PATTERN } from '../../common/projects';
import type { ProjectRole } from '../../store/store';

export const PROJECT_ROLES: ProjectRole[] = ['viewer', 'operator'];

export class CreateProjectDto {
  @ApiProperty({ example: 'team-a', description: 'a lower-case DNS label: a-z first, then a-z0-9-, at most 63, not ending in -' })
  @IsString()
  @Matches(PROJECT_NAME_PATTERN, { message: 'name must be a lower-case DNS label (a-z first, then a-z, 0-9, -; 1–63; not ending in -)' })
  name!: string;
}

export class ProjectView {
  @ApiProperty() name!: string;
  @ApiPropertyOptional({ description: 'absent for `default`, which exists without being created' }) createdAt?: string;
}

export class CreateProjectTokenDto {
  @ApiProperty({ enum: PROJECT_ROLES, description: 'operator: reads and changes in the project; viewer: reads (and dry runs) only' })
  @IsIn(PROJECT_ROLES, { message: `role must be one of ${PROJECT_ROLES.join(', ')}` })
  role!: ProjectRole;

  @ApiPropertyOptional({ example: 'CI pipeline' })
  @Optional()
  @IsString()
  @Length(0, 256, { message: 'description must be at most 256 characters' })
  description?: string;
}

export class ProjectTokenView {
  @ApiProperty() id!: string;
  @ApiProperty() project!: string;
  @ApiProperty({ enum: PROJECT_ROLES }) role!: ProjectRole;
  @ApiPropertyOptional() description?: string;
  @ApiProperty() createdAt!: string;
}

export class CreatedProjectTokenView extends ProjectTokenView {
  @ApiProperty({ description: 'the bearer token, shown this once: only its hash is stored' }) token!: string;
}
