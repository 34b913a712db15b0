import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { AuthenticatedRequest } from './bearer-token.guard';

/** The project the request's token belongs to. */
export const Project = createParamDecorator((_: unknown, context: ExecutionContext): string =>
  context.switchToHttp().getRequest<AuthenticatedRequest>().project,
);
