import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { problemResponses } from '../lib/schemas.js';

/**
 * Prometheus text at /metrics (admin key): request counts and latency by route
 * and status, database pool use, and the process defaults (event-loop lag, memory,
 * CPU). One registry per app, so several apps in one process do not mix.
 */
export default fp(
  async function metricsPlugin(app: FastifyInstance) {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    if (app.hasDecorator('rateLimitMetrics')) for (const metric of app.rateLimitMetrics) registry.registerMetric(metric);
    const labelNames = ['method', 'route', 'status'] as const;
    const requests = new Counter({ name: 'http_requests_total', help: 'HTTP requests answered', labelNames, registers: [registry] });
    const duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time to answer HTTP requests',
      labelNames,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [registry],
    });
    const pool = app.database.pool;
    new Gauge({
      name: 'db_pool_connections',
      help: 'Database connections by state (PostgreSQL only)',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        if (!pool) return;
        this.set({ state: 'total' }, pool.totalCount);
        this.set({ state: 'idle' }, pool.idleCount);
        this.set({ state: 'in_use' }, pool.totalCount - pool.idleCount);
        this.set({ state: 'waiting' }, pool.waitingCount);
      },
    });

    // One pair of labelled series per method, route and status, looked up once: prom-client
    // otherwise hashes the label set on every observation.
    const series = new Map<string, { count: { inc(): void }; time: { observe(v: number): void } }>();
    app.addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url ?? 'unmatched';
      const key = `${request.method} ${reply.statusCode} ${route}`;
      let s = series.get(key);
      if (!s) {
        const labels = { method: request.method, route, status: String(reply.statusCode) };
        s = { count: requests.labels(labels), time: duration.labels(labels) };
        series.set(key, s);
      }
      s.count.inc();
      s.time.observe(reply.elapsedTime / 1000);
      done();
    });

    app.get(
      '/metrics',
      {
        config: { scope: 'admin' },
        schema: {
          operationId: 'getMetrics',
          tags: ['operations'],
          summary: 'Prometheus metrics',
          response: {
            200: { description: 'Prometheus text exposition format.', content: { 'text/plain': { schema: { type: 'string', maxLength: 10_000_000 } } } },
            ...problemResponses(401, 403),
          },
        },
      },
      async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()),
    );
  },
  { name: 'metrics', dependencies: ['db'] },
);
