import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { AuthenticatedRequest } from './bearer-token.guard';

/** The project the request acts in: its token's, or the one the admin token chose (X-Clusterflow-Project). */
export const Project = createParamDecorator((_: unknown, context: ExecutionContext): string =>
  context.switchToHttp().getRequest<AuthenticatedRequest>().project,
);
