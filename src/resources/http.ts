import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../lib/actor.js';

/** What routes share of HTTP: who is asking, and the link to the next page. */

/** The request's actor, as the change log records it. */
export const actorOf = (request: FastifyRequest): Actor => ({
  keyId: (request as { apiKeyId?: string }).apiKeyId ?? null,
  requestId: String(request.id),
});

/**
 * Adds the RFC 8288 `Link: <…>; rel="next"` header for a page that has a successor.
 * The target is a relative reference (path and query): the client resolves it against
 * the URL it called, and nothing of the client-sent Host header is echoed.
 */
export function linkNext(request: FastifyRequest, reply: FastifyReply, nextCursor: string | null) {
  if (!nextCursor) return;
  const url = new URL(request.url, 'http://claimledger.invalid');
  url.searchParams.set('cursor', nextCursor);
  reply.header('link', `<${url.pathname}${url.search}>; rel="next"`);
}
