import type { LogLevel as SdkLogLevel, LogMetadata, Logger as SdkLogger } from '@temporalio/common';
import type { Logger } from 'pino';
import { workflowIdParts } from '../common/workflow-ids';

const LEVELS: Record<SdkLogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };

/**
 * The Temporal runtime's logger as JSON lines of the worker's pino logger: the SDK's own
 * messages, Rust core's (forwarded), and the workflow and activity context loggers. The SDK's
 * metadata (workflowId, workflowType, activityType, attempt, …) is kept, and the cluster and
 * operation the workflow id names are added. The task token is dropped: it lets whoever holds
 * it complete the activity.
 */
export class PinoSdkLogger implements SdkLogger {
  constructor(private readonly logger: Logger) {}

  log(level: SdkLogLevel, message: string, meta: LogMetadata = {}): void {
    const { error, ...rest } = meta as Record<string, unknown>;
    delete rest.taskToken;
    const workflowId = typeof rest.workflowId === 'string' ? rest.workflowId : undefined;
    // `err`: pino's error serializer keeps the message, type and stack of what the SDK passed.
    const fields = { ...rest, ...(workflowId ? workflowIdParts(workflowId) : {}), ...(error !== undefined ? { err: error } : {}) };
    this.logger[LEVELS[level] ?? 'info'](fields, message);
  }

  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }

  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }

  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }

  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }

  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}
