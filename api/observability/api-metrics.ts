import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/**
 * The API's Prometheus metrics, in a registry of its own (one per app: tests run several apps
 * in one process, and prom-client's global registry would add them up).
 */
export class ApiMetrics {
  readonly registry = new Registry();

  private readonly requests = new Counter({
    name: 'clusterflow_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  private readonly latency = new Histogram({
    name: 'clusterflow_http_request_duration_seconds',
    help: 'Time from a request arriving to its response being sent, by method and route pattern',
    labelNames: ['method', 'route'] as const,
    // From a cached read to an Update the entity takes seconds to accept.
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  private readonly operationsStarted = new Counter({
    name: 'clusterflow_operations_started_total',
    help: 'Operations the API started or had accepted (create, delete, day-2 changes, retries), by type; the worker counts them finished',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  requestAnswered(method: string, route: string, status: number, seconds: number): void {
    this.requests.inc({ method, route, status: String(status) });
    this.latency.observe({ method, route }, seconds);
  }

  operationStarted(type: string): void {
    this.operationsStarted.inc({ type });
  }
}
