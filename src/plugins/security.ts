import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * Response headers every answer carries: helmet's security headers (its default
 * Content-Security-Policy lets the /docs page load its own scripts and styles),
 * the request id (also in logs and in problem+json), and CORS only for the
 * origins an operator lists in CLAIMLEDGER_CORS_ORIGINS.
 */
export default fp(
  async function securityPlugin(app: FastifyInstance, opts: { corsOrigins?: string }) {
    await app.register(helmet, { global: true });
    const origins = opts.corsOrigins
      ?.split(',')
      .map((o) => o.trim())
      .filter(Boolean);
    if (origins?.length) {
      await app.register(cors, {
        origin: origins,
        methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
        allowedHeaders: ['authorization', 'content-type', 'if-match', 'if-none-match', 'idempotency-key'],
        exposedHeaders: ['etag', 'link', 'location', 'retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'x-request-id'],
        maxAge: 600,
      });
    }
    app.addHook('onSend', async (request, reply, payload) => {
      reply.header('x-request-id', request.id);
      return payload;
    });
  },
  { name: 'security' },
);
