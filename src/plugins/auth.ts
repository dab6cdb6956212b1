import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError } from '../lib/errors.js';
import { bearerSecret, grants, type Scope } from '../lib/keys.js';
import { findKeyBySecret, recordKeyUse, type KnownKey } from '../resources/keys/queries.js';

/**
 * API keys: `Authorization: Bearer <key>` on every route but the public ones.
 * GET/HEAD need `read`, other methods `write`, key management and metrics `admin`
 * (admin ⊇ write ⊇ read). Keys are looked up by the hash of the secret and kept
 * in a short cache, so authentication costs no query on the hot path; a revoke
 * made through this process takes effect at once, through another within
 * CACHE_TTL_MS. `last_used_at` is written in batches, not once per request.
 */

declare module 'fastify' {
  interface FastifyRequest {
    apiKeyId?: string;
  }
  interface FastifyContextConfig {
    /** Served without a key (docs, health, the dashboard page). */
    public?: boolean;
    /** Scope needed instead of the one the method implies. */
    scope?: Scope;
  }
  interface FastifyInstance {
    /** Forget cached keys, e.g. right after one is revoked. */
    forgetKeys(): void;
    /** Write the pending `last_used_at` times now (they are otherwise written once a minute). */
    flushKeyUse(): Promise<void>;
  }
}

const CACHE_TTL_MS = 5_000;
const CACHE_MAX = 10_000;
const USE_FLUSH_MS = 60_000;
const PUBLIC_PREFIXES = ['/docs', '/openapi.json', '/healthz', '/readyz'];

export const SECURITY_SCHEME = 'bearerAuth';

export function requiredScope(method: string, url: string, config: { public?: boolean; scope?: Scope }): Scope | undefined {
  if (config.public || PUBLIC_PREFIXES.some((p) => url === p || url.startsWith(`${p}/`))) return undefined;
  if (config.scope) return config.scope;
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS' ? 'read' : 'write';
}

export default fp(
  async function authPlugin(app: FastifyInstance) {
    const cache = new Map<string, { key: KnownKey | undefined; at: number }>();
    const lastUse = new Map<string, Date>();
    app.decorate('forgetKeys', () => cache.clear());

    const flush = () => recordKeyUse(app.db, lastUse).catch((err) => app.log.warn({ err }, 'could not record key use'));
    app.decorate('flushKeyUse', flush);
    const timer = setInterval(flush, USE_FLUSH_MS);
    timer.unref();
    app.addHook('onClose', async () => {
      clearInterval(timer);
      await flush();
    });

    // Publish each route's requirement in the OpenAPI document.
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      const scope = requiredScope(methods[0], route.url, route.config ?? {});
      if (!route.schema || (route.schema as { hide?: boolean }).hide) return;
      const schema = route.schema as Record<string, unknown>;
      if (!scope) {
        schema.security = [];
        return;
      }
      schema.security = [{ [SECURITY_SCHEME]: [] }];
      schema['x-required-scope'] = scope;
      schema.description = `${schema.description ? `${schema.description}\n\n` : ''}Needs an API key with scope \`${scope}\`${scope === 'admin' ? '' : ' (or a broader one)'}.`;
    });

    // Keyed by the Authorization header as presented: a hit costs one Map lookup, with
    // neither parsing nor hashing (a SHA-256 per request was a measurable share of a
    // get-by-id). The secrets live only in this process's memory, as they do in every
    // request that carried them; only known keys are cached, so unknown ones cannot fill it.
    const cached = (header: string) => {
      const hit = cache.get(header);
      return hit && Date.now() - hit.at < CACHE_TTL_MS ? hit : undefined;
    };
    async function load(header: string, secret: string): Promise<KnownKey | undefined> {
      const key = await findKeyBySecret(app.db, secret);
      if (cache.size >= CACHE_MAX) cache.clear();
      if (key) cache.set(header, { key, at: Date.now() });
      return key;
    }

    /** The 401/403 this key earns on a route needing `needed`; undefined (and its use recorded) when it may pass. */
    function refusal(request: FastifyRequest, key: KnownKey | undefined, needed: Scope): ApiError | undefined {
      if (!key || key.revoked || (key.expiresAt && key.expiresAt.getTime() <= Date.now())) {
        const why = !key ? 'is not known' : key.revoked ? 'has been revoked' : 'has expired';
        return new ApiError('unauthorized', `The API key ${why}.`, { token_presented: true });
      }
      if (!grants(key.scopes, needed)) {
        return new ApiError('forbidden', `This request needs a key with scope \`${needed}\`; this key has ${key.scopes.map((s) => `\`${s}\``).join(', ')}.`);
      }
      request.apiKeyId = key.id;
      lastUse.set(key.id, new Date());
      return undefined;
    }

    // A callback hook rather than an async one: a cached key is admitted without
    // a promise, and only a key not seen for CACHE_TTL_MS waits for the database.
    app.addHook('onRequest', (request, _reply, done) => {
      const url = request.routeOptions.url;
      if (!url) return done(); // no route matched: the 404 handler answers
      const needed = requiredScope(request.method, url, request.routeOptions.config ?? {});
      if (!needed) return done();
      const header = request.headers.authorization;
      const hit = header === undefined ? undefined : cached(header);
      if (hit) return done(refusal(request, hit.key, needed));
      const secret = bearerSecret(header);
      if (!header || !secret) {
        return done(
          new ApiError('unauthorized', header ? 'Send the key as `Authorization: Bearer <key>`.' : 'This endpoint needs an API key: `Authorization: Bearer <key>`.', {
            token_presented: Boolean(header),
          }),
        );
      }
      load(header, secret).then(
        (key) => done(refusal(request, key, needed)),
        (err: Error) => done(err),
      );
    });
  },
  { name: 'auth', dependencies: ['db'] },
);
