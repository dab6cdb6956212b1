import cors from '@fastify/cors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import helmet from 'helmet';

/**
 * Response headers every answer carries, and CORS only for the origins an operator
 * lists in CLAIMLEDGER_CORS_ORIGINS.
 *
 * Two sets of security headers. The HTML pages (/docs and /dashboard) get helmet's
 * full set: its default Content-Security-Policy lets /docs load its own scripts and
 * styles, and the dashboard replaces it with a stricter one of its own. Every other
 * answer is data (JSON, NDJSON, CSV), for which the OWASP REST Security Cheat Sheet's
 * headers are the ones that matter — nothing may run or be framed (`default-src
 * 'none'; frame-ancestors 'none'`, X-Frame-Options), no content sniffing, HTTPS only —
 * with two of helmet's kept: no referrer, no cross-origin embedding (CORP; CORS
 * requests from listed origins are not affected). Cache-Control is left to each
 * route (ETags and stats caching rely on it). That is half as many header bytes on
 * every answer, and the headers are a constant list rather than helmet's middleware.
 *
 * The request id goes on every answer too (it is also in logs and in problem+json).
 */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};
const apiHeaders = Object.entries(API_SECURITY_HEADERS);

/** The request id and the data answers' security headers; also for answers made before any route ran (a malformed URL). */
export function secureDataReply(request: FastifyRequest, reply: FastifyReply) {
  reply.header('x-request-id', request.id);
  for (const [name, value] of apiHeaders) reply.header(name, value);
}

/** Routes that answer HTML pages rather than data. */
const PAGE_PREFIXES = ['/docs', '/dashboard'];
export const isPage = (url: string | undefined) => url !== undefined && PAGE_PREFIXES.some((p) => url === p || url.startsWith(`${p}/`));

export default fp(
  async function securityPlugin(app: FastifyInstance, opts: { corsOrigins?: string }) {
    // Built once: helmet's Fastify wrapper builds the middleware again for every request.
    // Without `upgrade-insecure-requests`: a deployment served over plain HTTP (compose,
    // staging without TLS) would otherwise have the browser fetch every asset of /docs over
    // https and show a blank page. HSTS still upgrades browsers once TLS is in front.
    const pageHeaders = helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } });

    app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done) => {
      if (!isPage(request.routeOptions.url)) {
        secureDataReply(request, reply);
        return done();
      }
      reply.header('x-request-id', request.id);
      pageHeaders(request.raw, reply.raw, () => done());
    });

    const origins = opts.corsOrigins
      ?.split(',')
      .map((o) => o.trim())
      .filter(Boolean);
    if (origins?.length) {
      await app.register(cors, {
        origin: origins,
        methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
        allowedHeaders: ['authorization', 'content-type', 'if-match', 'if-none-match', 'idempotency-key'],
        exposedHeaders: ['etag', 'link', 'location', 'idempotent-replayed', 'retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'x-request-id'],
        maxAge: 600,
      });
    }
  },
  { name: 'security' },
);
