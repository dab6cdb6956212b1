import rateLimit from '@fastify/rate-limit';
import { once } from 'node:events';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Redis } from 'ioredis';
import { ApiError } from '../lib/errors.js';

/**
 * Per-key rate limiting (OWASP API4): `limit` requests a minute for each API key,
 * counted in memory for one process or in Redis (REDIS_URL) so several processes
 * share one budget. Answers carry the IETF draft `RateLimit-*` headers; a 429
 * carries `Retry-After`. Requests without a key (health checks) count per client
 * address. If Redis is unreachable requests are let through rather than refused.
 * Routes registered before this plugin are not counted: the interactive docs and
 * the OpenAPI document (static answers).
 */
export default fp(
  async function rateLimitPlugin(app: FastifyInstance, opts: { limit: number; redisUrl?: string }) {
    const redis = opts.redisUrl
      ? new Redis(opts.redisUrl, { connectTimeout: 1_000, maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false })
      : undefined;
    redis?.on('error', (err) => app.log.warn({ err: err.message }, 'rate-limit store unreachable'));
    if (redis) {
      app.addHook('onClose', async () => void redis.disconnect());
      // Without an offline queue, requests before the connection is up would go uncounted.
      await Promise.race([once(redis, 'ready'), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
    }

    await app.register(rateLimit, {
      global: true,
      max: opts.limit,
      timeWindow: 60_000,
      redis,
      nameSpace: 'claimledger-rl:',
      skipOnError: true,
      enableDraftSpec: true,
      keyGenerator: (request) => (request.apiKeyId ? `key:${request.apiKeyId}` : `ip:${request.ip}`),
      errorResponseBuilder: (_request, context) =>
        new ApiError('rate_limited', `This key may make ${context.max} requests a minute; retry in ${context.after}.`),
    });
  },
  { name: 'rate-limit', dependencies: ['auth'] },
);
