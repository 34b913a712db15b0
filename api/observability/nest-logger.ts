import { LoggerService, LogLevel as NestLogLevel } from '@nestjs/common';
import type { Logger } from 'pino';
import type { LogLevel } from '../../common/logging';

/** Nest's level names as pino's: the lowest level asked for is the logger's level. */
const PINO_LEVEL: Record<NestLogLevel, LogLevel> = { verbose: 'trace', debug: 'debug', log: 'info', warn: 'warn', error: 'error', fatal: 'fatal' };
const ORDER: LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

export function pinoLevelOf(levels: NestLogLevel[]): LogLevel {
  const chosen = levels.map((l) => PINO_LEVEL[l]);
  return ORDER.find((l) => chosen.includes(l)) ?? 'fatal';
}

/**
 * Nest's own messages (and every `new Logger(context)` in the API) as JSON lines of the
 * API's pino logger. Nest passes the context last, and an error's stack before it.
 */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }

  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }

  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }

  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }

  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }

  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(level: LogLevel, message: unknown, rest: unknown[]): void {
    const context = rest.length > 0 && typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    const stack = level === 'error' && typeof rest[0] === 'string' ? rest[0] : undefined;
    const fields = { ...(context ? { context } : {}), ...(stack ? { stack } : {}) };
    if (message instanceof Error) this.logger[level]({ ...fields, err: message }, message.message);
    else if (typeof message === 'object' && message !== null) this.logger[level]({ ...fields, ...message });
    else this.logger[level](fields, String(message));
  }
}
