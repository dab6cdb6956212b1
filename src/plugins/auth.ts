import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Redis } from 'ioredis';
import { ApiError } from '../lib/errors.js';
import { bearerSecret, grants, type Scope } from '../lib/keys.js';
import { listenForKeyChanges, type Revocation } from '../resources/keys/changes.js';
import { findKeyBySecret, recordKeyUse, type KnownKey } from '../resources/keys/queries.js';
import { FailedAuthCounter } from './auth-failures.js';

/**
 * API keys: `Authorization: Bearer <key>` on every route but the public ones.
 * GET/HEAD need `read`, other methods `write`, key management and metrics `admin`
 * (admin ⊇ write ⊇ read). Keys are looked up by the hash of the secret and kept
 * in a short cache, so authentication costs no query on the hot path.
 *
 * The cache is trusted only while this process hears of every key change
 * (resources/keys/changes.ts): a revocation drops the key here before the revoker
 * answers, wherever it was made. While that connection is down every request looks
 * its key up. `last_used_at` is written in batches, not once per request.
 *
 * Failed authentications (a key presented that is unknown, revoked, expired or
 * malformed) are counted per client address: past CLAIMLEDGER_AUTH_FAILURE_LIMIT a
 * minute, the address gets 429 instead of a lookup until the minute ends.
 */

declare module 'fastify' {
  interface FastifyRequest {
    apiKeyId?: string;
    /** The scopes of the key that authenticated the request. */
    apiKeyScopes?: readonly Scope[];
  }
  interface FastifyContextConfig {
    /** Served without a key (docs, health, the dashboard page). */
    public?: boolean;
    /** Scope needed instead of the one the method implies. */
    scope?: Scope;
  }
  interface FastifyInstance {
    /** Forget cached keys, e.g. after keys were changed outside the API. */
    forgetKeys(): void;
    /** After a revocation committed: drops the key here, then waits until every other API process has. */
    enforceRevocation(revocation: Revocation): Promise<void>;
    /** Write the pending `last_used_at` times now (they are otherwise written once a minute). */
    flushKeyUse(): Promise<void>;
  }
}

const CACHE_TTL_MS = 5_000;
const CACHE_MAX = 10_000;
/** Unknown keys are remembered as briefly as known ones; a key created meanwhile clears them. */
const UNKNOWN_TTL_MS = 5_000;
const UNKNOWN_MAX = 10_000;
const USE_FLUSH_MS = 60_000;
/** A Redis that does not answer within this does not hold the request: the failure is counted here. */
const REDIS_TIMEOUT_MS = 50;
const PUBLIC_PREFIXES = ['/docs', '/openapi.json', '/healthz', '/readyz'];

export const SECURITY_SCHEME = 'bearerAuth';

export function requiredScope(method: string, url: string, config: { public?: boolean; scope?: Scope }): Scope | undefined {
  if (config.public || PUBLIC_PREFIXES.some((p) => url === p || url.startsWith(`${p}/`))) return undefined;
  if (config.scope) return config.scope;
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS' ? 'read' : 'write';
}

export interface AuthOptions {
  /** Failed authentications a minute per client address before it gets 429. */
  failureLimit: number;
  /** Shares the failure counts of every process (as the rate limiter does). */
  redisUrl?: string;
}

export default fp(
  async function authPlugin(app: FastifyInstance, opts: AuthOptions) {
    // Keyed by the Authorization header as presented: a hit costs one Map lookup, with
    // neither parsing nor hashing (a SHA-256 per request was a measurable share of a
    // get-by-id). The secrets live only in this process's memory, as they do in every
    // request that carried them.
    const known = new Map<string, { key: KnownKey; at: number }>();
    const unknown = new Map<string, number>();
    // Bumped by changes: a lookup that started before one must not cache what it read.
    // Revocations make found keys stale, creations make unknown ones stale.
    const generation = { revoked: 0, created: 0 };
    const forgetAll = () => {
      known.clear();
      unknown.clear();
      generation.revoked++;
      generation.created++;
    };
    const forgetKey = (id: string) => {
      for (const [header, entry] of known) if (entry.key.id === id) known.delete(header);
      generation.revoked++;
    };

    let wasLost = false;
    const listener = await listenForKeyChanges(app.database, {
      changed(change) {
        if (change.op === 'revoked') forgetKey(change.key_id);
        else {
          unknown.clear();
          generation.created++;
        }
      },
      resumed() {
        forgetAll();
        if (wasLost) app.log.info('key changes reach this process again');
        wasLost = false;
      },
      lost(err) {
        forgetAll();
        wasLost = true;
        app.log.warn({ message: err?.message }, 'lost the connection that carries key revocations: every request looks its key up until it is back');
      },
    });
    const trusted = (at: number, ttl: number) => listener.live && Date.now() - at < ttl;

    app.decorate('forgetKeys', forgetAll);
    app.decorate('enforceRevocation', async (revocation: Revocation) => {
      forgetKey(revocation.keyId);
      const unconfirmed = await listener.confirmRevocation(revocation);
      if (unconfirmed > 0) {
        app.log.warn(
          { key_id: revocation.keyId, unconfirmed },
          `${unconfirmed} API process(es) did not confirm the revocation in time; they refuse the key when they next read their notifications, within ${CACHE_TTL_MS / 1000} s at most`,
        );
      }
    });

    const redis = opts.redisUrl
      ? new Redis(opts.redisUrl, { connectTimeout: 1_000, commandTimeout: REDIS_TIMEOUT_MS, maxRetriesPerRequest: 1, enableOfflineQueue: false })
      : undefined;
    let redisWarnedAt = 0;
    redis?.on('error', () => {}); // reported once a minute below, when a count falls back
    const failures = new FailedAuthCounter(opts.failureLimit, redis, (err) => {
      if (Date.now() - redisWarnedAt < 60_000) return;
      redisWarnedAt = Date.now();
      app.log.warn({ message: err.message }, 'failed authentications are counted per process: Redis did not answer');
    });

    const lastUse = new Map<string, Date>();
    const flush = () => recordKeyUse(app.db, lastUse).catch((err) => app.log.warn({ err }, 'could not record key use'));
    app.decorate('flushKeyUse', flush);
    const timer = setInterval(flush, USE_FLUSH_MS);
    timer.unref();
    app.addHook('onClose', async () => {
      clearInterval(timer);
      await flush();
      await listener.close();
      redis?.disconnect();
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

    function remember(header: string, key: KnownKey | undefined, startedAt: typeof generation) {
      if (!listener.live) return;
      if (key) {
        if (generation.revoked !== startedAt.revoked) return;
        if (known.size >= CACHE_MAX) known.clear();
        known.set(header, { key, at: Date.now() });
      } else {
        if (generation.created !== startedAt.created) return;
        // Oldest first: a flood of random keys cycles through this map instead of growing it.
        if (unknown.size >= UNKNOWN_MAX) unknown.delete(unknown.keys().next().value!);
        unknown.set(header, Date.now());
      }
    }

    /** Why this key may not make the request (undefined: it may, and its use is recorded). */
    function refusal(request: FastifyRequest, key: KnownKey | undefined, needed: Scope): ApiError | undefined {
      if (!key || key.revoked || (key.expiresAt && key.expiresAt.getTime() <= Date.now())) {
        const why = !key ? 'is not known' : key.revoked ? 'has been revoked' : 'has expired';
        return new ApiError('unauthorized', `The API key ${why}.`, { token_presented: true });
      }
      if (!grants(key.scopes, needed)) {
        return new ApiError('forbidden', `This request needs a key with scope \`${needed}\`; this key has ${key.scopes.map((s) => `\`${s}\``).join(', ')}.`);
      }
      request.apiKeyId = key.id;
      request.apiKeyScopes = key.scopes;
      lastUse.set(key.id, new Date());
      return undefined;
    }

    // A callback hook rather than an async one: a cached key is admitted without
    // a promise, and only a key not seen for CACHE_TTL_MS waits for the database.
    app.addHook('onRequest', (request, reply, done) => {
      const url = request.routeOptions.url;
      if (!url) return done(); // no route matched: the 404 handler answers
      const needed = requiredScope(request.method, url, request.routeOptions.config ?? {});
      if (!needed) return done();
      const header = request.headers.authorization;
      if (header === undefined) {
        return done(new ApiError('unauthorized', 'This endpoint needs an API key: `Authorization: Bearer <key>`.', { token_presented: false }));
      }
      /** Answers; a failed authentication is counted first, so that the next attempt sees it. */
      const finish = (error: ApiError | undefined) => {
        if (error?.status !== 401) return done(error);
        failures.record(request.ip).then(
          () => done(error),
          () => done(error),
        );
      };
      const lookUp = () => {
        const secret = bearerSecret(header);
        if (!secret) return finish(new ApiError('unauthorized', 'Send the key as `Authorization: Bearer <key>`.', { token_presented: true }));
        const unknownAt = unknown.get(header);
        if (unknownAt !== undefined && trusted(unknownAt, UNKNOWN_TTL_MS)) return finish(refusal(request, undefined, needed));
        const startedAt = { ...generation };
        findKeyBySecret(app.db, secret).then(
          (key) => {
            remember(header, key, startedAt);
            finish(refusal(request, key, needed));
          },
          (err: Error) => done(err),
        );
      };

      const hit = known.get(header);
      if (hit && trusted(hit.at, CACHE_TTL_MS)) return finish(refusal(request, hit.key, needed));
      // A key seen valid before may be looked up again; anything else from a blocked address may not.
      if (hit) return lookUp();
      failures.retryAfterMs(request.ip).then((blockedMs) => {
        if (blockedMs === 0) return lookUp();
        const seconds = Math.ceil(blockedMs / 1000);
        reply.header('retry-after', String(seconds));
        done(new ApiError('rate_limited', `Too many failed authentications from this address (${failures.limit} a minute); retry in ${seconds} s.`));
      }, done);
    });
  },
  { name: 'auth', dependencies: ['db'] },
);
