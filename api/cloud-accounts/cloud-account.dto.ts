import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';
import { Optional } from '../common/validation';

export class CreateCloudAccountDto {
  @ApiProperty({ example: 'prod-us', description: '1–63 letters, digits, space, dot, dash or underscore; unique in the project' })
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}$/, {
    message: 'name must be 1–63 characters of letters, digits, space, dot, dash or underscore, starting with a letter or digit',
  })
  name!: string;

  @ApiProperty({ example: 'AKIAIOSFODNN7EXAMPLE' })
  @IsString()
  @Matches(/^[A-Z0-9]{16,128}$/, { message: 'accessKeyId must be 16–128 upper-case letters and digits (an AWS access key id)' })
  accessKeyId!: string;

  @ApiProperty({ description: 'stored encrypted; never returned', writeOnly: true })
  @IsString()
  @Length(16, 128, { message: 'secretAccessKey must be 16–128 characters' })
  secretAccessKey!: string;

  @ApiPropertyOptional({ description: 'for temporary credentials; stored encrypted; never returned', writeOnly: true })
  @Optional()
  @IsString()
  @Length(1, 8192, { message: 'sessionToken must be 1–8192 characters' })
  // It travels as the X-Amz-Security-Token header: anything else could not be sent to STS at all.
  @Matches(/^[\x21-\x7e]+$/, { message: 'sessionToken must be visible ASCII characters (an AWS session token)' })
  sessionToken?: string;
}

/**
 * New keys for an existing account (rotation): the same rules as at creation. The session
 * token is replaced too: left out, the account has none afterwards.
 */
export class RotateCloudAccountKeysDto extends OmitType(CreateCloudAccountDto, ['name'] as const) {}

export class CloudAccountView {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ example: 'AKIA************MPLE', description: 'masked' }) accessKeyId!: string;
  @ApiPropertyOptional({ description: 'the AWS account the keys belong to, as STS answered' }) awsAccountId?: string;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ type: [String], description: 'the clusters using the account (from the moment their create is accepted until their delete ends); it cannot be deleted meanwhile' })
  clusters!: string[];
}
