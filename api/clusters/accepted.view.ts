import { ApiProperty } from '@nestjs/swagger';

/** The answer of a request that started an operation (202): what to follow it with. */
export class OperationAcceptedView {
  @ApiProperty({ example: 'op-2-scale', pattern: '^op-[0-9]+-[a-z-]+$', description: 'GET /v1/clusters/{name}/operations/{id} reads it' })
  operationId!: string;
}

/** The answer of a cluster create (202). */
export class ClusterAcceptedView extends OperationAcceptedView {
  @ApiProperty({ example: 'demo' })
  name!: string;
}
