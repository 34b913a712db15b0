import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { ApiMetrics } from './api-metrics';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/**
 * An incoming X-Request-Id we keep: a proxy's or client's id, so one request is followed
 * across systems. Anything else (too long, spaces, quotes: text a log reader could be fooled
 * by) is replaced by a fresh one.
 */
const WELL_FORMED_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** What the access log and the metrics call a request whose path matched no route. */
export const UNMATCHED_ROUTE = '(unmatched)';

/** The fields of the access line that handlers fill in while they answer. */
export interface ObservedRequest {
  id?: unknown;
  /** The operation a change started (its answer's `operationId`): see OperationIdInterceptor. */
  operationId?: string;
  /** Set by the bearer guard once it knows where the request acts. */
  project?: string;
}

export function requestIdFor(incoming: string | string[] | undefined): string {
  return typeof incoming === 'string' && WELL_FORMED_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/**
 * The route pattern Express matched (`/v1/clusters/:name`), never the raw path: a label or log
 * field per cluster name would be unbounded. Express's own mounts (the OpenAPI UI under /docs)
 * are named by their mount point.
 */
export function routeOf(req: Request): string {
  const pattern = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof pattern === 'string') return `${req.baseUrl}${pattern}`;
  return req.baseUrl || UNMATCHED_ROUTE;
}

/** The operation routes name their operation `:id` (`/v1/clusters/:name/operations/:id/cancel`). */
const OPERATION_ROUTE = /^\/v1\/clusters\/:name\/operations\/:id(\/|$)/;

/** The access line's fields besides the request id, which the request's logger carries. */
function accessRecord(req: Request & ObservedRequest, res: Response, durationMs: number) {
  const params = (req.params ?? {}) as Record<string, string | undefined>;
  const route = routeOf(req);
  const operationId = req.operationId ?? (OPERATION_ROUTE.test(route) ? params.id : undefined);
  // Only cluster routes call their parameter `:name`.
  const cluster = route.startsWith('/v1/clusters/:name') ? params.name : undefined;
  return {
    method: req.method,
    route,
    status: res.statusCode,
    durationMs,
    ...(req.project ? { project: req.project } : {}),
    ...(cluster ? { cluster } : {}),
    ...(operationId ? { operationId } : {}),
  };
}

/**
 * The API's access log and HTTP metrics, in one place that sees every request, routed or not:
 * one line per request (method, route pattern, status, duration, request id, and project,
 * cluster and operation when the request names them) and the request counters. Bodies and
 * headers are never logged; `req.log` is a logger bound to the request id for handlers.
 */
export function httpObservability(logger: Logger, metrics: ApiMetrics) {
  const observe = (req: IncomingMessage, res: ServerResponse, durationMs: number) => {
    const record = accessRecord(req as Request & ObservedRequest, res as Response, durationMs);
    metrics.requestAnswered(record.method, record.route, record.status, durationMs / 1000);
    return record;
  };
  return pinoHttp({
    logger,
    // The request's logger and its access line carry the request id, never the request
    // itself: headers hold the token, and bodies keys.
    quietReqLogger: true,
    quietResLogger: true,
    genReqId: (req, res) => {
      const id = requestIdFor(req.headers['x-request-id']);
      res.setHeader(REQUEST_ID_HEADER, id);
      return id;
    },
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    customSuccessObject: (req, res, val: { responseTime: number }) => observe(req, res, val.responseTime),
    customErrorObject: (req, res, _error, val: { responseTime: number }) => observe(req, res, val.responseTime),
    customSuccessMessage: (req, res) => `${req.method} ${routeOf(req as Request)} ${res.statusCode}`,
    customErrorMessage: (req, res) => `${req.method} ${routeOf(req as Request)} ${res.statusCode}`,
  });
}
