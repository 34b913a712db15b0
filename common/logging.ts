import pino, { DestinationStream, Level, Logger } from 'pino';

/**
 * The JSON logger of the API and the worker (one object per line on stdout). Processes only:
 * workflow code logs through the SDK, whose runtime logger is this one in the worker.
 */

/**
 * Fields that must never reach a log, wherever a careless caller puts them: request headers
 * that carry a credential, and the names our bodies and inputs give keys and tokens. A
 * redacted value reads "[redacted]", so a log still says that something was there.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'authorization',
  'cookie',
  'secretAccessKey',
  'sessionToken',
  'token',
  'apiToken',
  'password',
  // The store's settings: the URL may carry the PostgreSQL password.
  'storePassword',
  'storeUrl',
  '*.authorization',
  '*.cookie',
  '*.secretAccessKey',
  '*.sessionToken',
  '*.token',
  '*.apiToken',
  '*.password',
  '*.storePassword',
  '*.storeUrl',
  '*.*.secretAccessKey',
  '*.*.sessionToken',
  '*.*.token',
];

export type LogLevel = Level;

export function createLogger(component: 'api' | 'worker', options: { level?: LogLevel; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { component },
      timestamp: pino.stdTimeFunctions.isoTime,
      // "level":"info" rather than 30: readable without pino's tools, and what log shippers expect.
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    options.destination ?? pino.destination({ fd: 1, sync: true }),
  );
}
