import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Observable, tap } from 'rxjs';
import type { ObservedRequest } from './http-logging';

/**
 * Puts the operation a request started (its answer's `operationId`: create, delete, day-2
 * changes, retries) on the request, for its access log line.
 */
@Injectable()
export class OperationIdInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<ObservedRequest>();
    return next.handle().pipe(
      tap((answer: unknown) => {
        const id = (answer as { operationId?: unknown } | null | undefined)?.operationId;
        if (typeof id === 'string') request.operationId = id;
      }),
    );
  }
}
