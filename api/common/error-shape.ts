import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';

/** One problem with the request: which field, which rule, in words. */
export interface FieldProblem {
  field: string;
  rule: string;
  message: string;
}

/** The contract's error body: `{statusCode, error, message, details?}`. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: unknown;
}

/** Throwable with a contract-shaped body; the filter sends it as it is. */
export class ApiError extends HttpException {
  constructor(statusCode: number, message: string, details?: unknown) {
    const error = HTTP_REASONS[statusCode] ?? 'Error';
    super({ statusCode, error, message, ...(details === undefined ? {} : { details }) } satisfies ErrorBody, statusCode);
  }
}

const HTTP_REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  422: 'Unprocessable Entity',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** Sends every error in the contract's shape, whatever threw it. */
@Catch()
export class ContractErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const body = this.toBody(exception);
    response.status(body.statusCode).json(body);
  }

  private toBody(exception: unknown): ErrorBody {
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const raw = exception.getResponse();
      if (typeof raw === 'object' && raw !== null && 'statusCode' in raw && 'error' in raw && typeof (raw as ErrorBody).message === 'string') {
        return raw as ErrorBody;
      }
      const message =
        typeof raw === 'string' ? raw : Array.isArray((raw as { message?: unknown }).message) ? ((raw as { message: string[] }).message.join('; ')) : String((raw as { message?: unknown }).message ?? exception.message);
      return { statusCode: status, error: HTTP_REASONS[status] ?? 'Error', message };
    }
    const parserBody = bodyParserErrorBody(exception);
    if (parserBody) return parserBody;
    this.logger.error(exception instanceof Error ? exception.stack ?? exception.message : String(exception));
    return { statusCode: HttpStatus.INTERNAL_SERVER_ERROR, error: 'Internal Server Error', message: 'internal error; see the API log' };
  }
}

/** body-parser's errors carry a `type`: a malformed or oversized body is the client's fault. */
export function bodyParserErrorBody(error: unknown): ErrorBody | undefined {
  const type = (error as { type?: string } | null)?.type;
  if (type === 'entity.parse.failed') {
    return {
      statusCode: 400,
      error: 'Bad Request',
      message: 'body: the request body is not valid JSON',
      details: [{ field: 'body', rule: 'json', message: 'the request body is not valid JSON' }],
    };
  }
  if (type === 'entity.too.large') return { statusCode: 413, error: 'Payload Too Large', message: 'body: larger than 1 MB' };
  return undefined;
}
