import { createHash } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { noneMatch } from '../../lib/conditional.js';
import { NoQuery, problemResponses, ref } from '../../lib/schemas.js';
import { StatsCache, cacheKey } from './cache.js';
import { claimStats, statsOverview } from './queries.js';
import { ClaimStats, StatsClaimsQuery, StatsHeaders, StatsOverview } from './schemas.js';

const TAGS = ['stats'];

/**
 * Dashboards poll these. Answers may be reused for a few seconds without asking
 * (`max-age`), and after that revalidated: the ETag is a digest of the numbers,
 * so an unchanged answer costs a 304 and no body. `private`: they are read with
 * a key and must not sit in shared caches. On the server, counts are kept until
 * the database changes (cache.ts).
 */
const MAX_AGE_SECONDS = 10;

/** Tags of the answers the cache holds, so a repeated answer is not hashed again. */
const tags = new WeakMap<object, string>();

function cacheable<T extends object>(request: FastifyRequest, reply: FastifyReply, body: T): T | FastifyReply {
  // Weak: equal numbers, not byte-identical bodies, are what the tag promises.
  let tag = tags.get(body);
  if (!tag) {
    tag = `"${createHash('sha256').update(JSON.stringify(body)).digest('base64url').slice(0, 22)}"`;
    tags.set(body, tag);
  }
  reply.header('etag', `W/${tag}`).header('cache-control', `private, max-age=${MAX_AGE_SECONDS}`).header('vary', 'authorization');
  if (noneMatch(request.headers['if-none-match'], tag)) return reply.code(304).send();
  return body;
}

const statsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const cache = new StatsCache();

  app.get(
    '/stats/claims',
    {
      schema: {
        operationId: 'getClaimStats',
        tags: TAGS,
        summary: 'Count claims by verdict, textual rating, status, topic, claimant, publisher, language or time',
        description:
          'Takes every filter of `GET /v1/claims`. Time buckets (`day`, `week`, `month`) are in UTC; empty buckets between `from` and `to` (or between the first and last claim) are listed with count 0. ' +
          `Answers carry a weak \`ETag\` (\`If-None-Match\` gives 304 while the numbers are unchanged) and \`Cache-Control: private, max-age=${MAX_AGE_SECONDS}\`.`,
        querystring: StatsClaimsQuery,
        headers: StatsHeaders,
        response: { 200: ref(ClaimStats), 304: { type: 'null', description: 'The numbers are unchanged.' }, ...problemResponses(400) },
      },
    },
    async (request, reply) =>
      cacheable(request, reply, await cache.get(app.db, cacheKey('claims', request.query), () => claimStats(app.db, request.query))),
  );

  app.get(
    '/stats/overview',
    {
      schema: {
        operationId: 'getStatsOverview',
        tags: TAGS,
        summary: 'Totals per resource, claims by status and verdict, and the newest activity',
        description: `Cached like \`/v1/stats/claims\`: weak \`ETag\` and \`Cache-Control: private, max-age=${MAX_AGE_SECONDS}\`.`,
        querystring: NoQuery,
        headers: StatsHeaders,
        response: { 200: ref(StatsOverview), 304: { type: 'null', description: 'The numbers are unchanged.' }, ...problemResponses(400) },
      },
    },
    async (request, reply) => cacheable(request, reply, await cache.get(app.db, 'overview', () => statsOverview(app.db))),
  );
};

export default statsRoutes;
