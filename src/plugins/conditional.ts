import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { etagFor, noneMatch } from '../lib/conditional.js';

/**
 * Every single-resource answer (a GET, or the result of a POST or PATCH) carries
 * a strong ETag built from the resource's `version`; a GET whose If-None-Match
 * holds that tag is answered 304 Not Modified without a body.
 */
export default fp(
  async function conditionalPlugin(app: FastifyInstance) {
    app.addHook('preSerialization', (request, reply, payload, done) => {
      const status = reply.statusCode;
      if (status !== 200 && status !== 201) return done(null, payload);
      const resource = payload as { id?: unknown; version?: unknown } | null;
      if (!resource || typeof resource !== 'object' || typeof resource.id !== 'string' || !Number.isInteger(resource.version)) {
        return done(null, payload);
      }
      const include = (request.query as { include?: string } | undefined)?.include;
      const etag = etagFor(resource.version as number, include ? payload : undefined);
      reply.header('etag', etag);
      if (request.method === 'GET' && noneMatch(request.headers['if-none-match'], etag)) reply.code(304);
      done(null, payload);
    });
  },
  { name: 'conditional' },
);
