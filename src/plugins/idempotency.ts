import { createHash } from 'node:crypto';
import { and, eq, lt } from 'drizzle-orm';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { idempotencyKeys } from '../db/schema.js';
import { ApiError } from '../lib/errors.js';

/**
 * `Idempotency-Key` on POST (the IETF httpapi draft, as Stripe does it): the first
 * request with a key runs and its response is stored in the database (so it holds
 * across restarts and several API processes); a retry with the same key and body
 * replays that response without writing again. Keys live 24 hours.
 *
 * The stored response is written after the request's own transaction commits. A
 * process that dies between the two leaves the key `running`; after
 * RUNNING_TIMEOUT_MS a retry may take it over and run again.
 */

export const KEY_TTL_MS = 24 * 60 * 60 * 1000;
const RUNNING_TIMEOUT_MS = 60_000;
const REPLAYED_HEADERS = ['content-type', 'location', 'etag'];

declare module 'fastify' {
  interface FastifyRequest {
    idempotency?: { scope: string; key: string };
  }
  interface FastifyContextConfig {
    /** What a route stores for replays, when not its whole answer (one shown once, such as a secret). */
    idempotentReplay?: (body: string) => string;
  }
}

/** JSON with sorted keys, so `{"a":1,"b":2}` and `{"b":2,"a":1}` count as the same body. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const fingerprint = (request: FastifyRequest) =>
  createHash('sha256').update(`${request.method} ${request.url}\n${canonical(request.body)}`).digest('hex');

export default fp(
  async function idempotencyPlugin(app: FastifyInstance) {
    const db = app.db;

    const sweep = () => db.delete(idempotencyKeys).where(lt(idempotencyKeys.expires_at, new Date())).catch(() => {});
    const timer = setInterval(sweep, 60 * 60 * 1000);
    timer.unref();
    app.addHook('onReady', async () => void (await sweep()));
    app.addHook('onClose', async () => clearInterval(timer));

    // Only POST routes carry the two hooks: other requests do not pay for them.
    app.addHook('onRoute', (route) => {
      if (![route.method].flat().includes('POST')) return;
      route.preHandler = [...[route.preHandler ?? []].flat(), claimKey];
      route.onSend = [...[route.onSend ?? []].flat(), storeResponse];
    });

    async function claimKey(request: FastifyRequest, reply: FastifyReply) {
      const header = request.headers['idempotency-key'];
      if (request.method !== 'POST' || typeof header !== 'string') return;
      const body = request.body;
      const parsedJson = body === undefined || body === null || typeof body !== 'object' || Array.isArray(body) || Object.getPrototypeOf(body) === Object.prototype;
      if (!parsedJson) {
        // A streamed body (NDJSON import) cannot be fingerprinted before it runs.
        throw new ApiError('validation_failed', 'Idempotency-Key is not supported on streamed (NDJSON) bodies; give each line an `id` to make an import safe to retry.', {
          errors: [{ path: 'headers.idempotency-key', message: 'is not supported on this endpoint' }],
        });
      }
      const scope = (request as { apiKeyId?: string }).apiKeyId ?? 'anonymous';
      const hash = fingerprint(request);
      const where = and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, header));

      for (let attempt = 0; attempt < 3; attempt++) {
        const now = new Date();
        const [claimed] = await db
          .insert(idempotencyKeys)
          .values({ scope, key: header, method: request.method, path: request.url, request_hash: hash, created_at: now, expires_at: new Date(now.getTime() + KEY_TTL_MS) })
          .onConflictDoNothing()
          .returning({ key: idempotencyKeys.key });
        if (claimed) {
          request.idempotency = { scope, key: header };
          return;
        }
        const [stored] = await db.select().from(idempotencyKeys).where(where);
        if (!stored) continue; // expired and swept meanwhile: claim it again
        if (stored.expires_at < now) {
          await db.delete(idempotencyKeys).where(and(where, eq(idempotencyKeys.created_at, stored.created_at)));
          continue;
        }
        if (stored.request_hash !== hash) {
          throw new ApiError('idempotency_key_reused', 'This Idempotency-Key was already used with a different request; use a new key for a new request.');
        }
        if (stored.state === 'running') {
          if (now.getTime() - stored.created_at.getTime() < RUNNING_TIMEOUT_MS) {
            throw new ApiError('idempotency_key_in_progress', 'The first request with this Idempotency-Key has not finished; retry shortly.');
          }
          // Its process died before storing a response: take the key over.
          const [taken] = await db
            .update(idempotencyKeys)
            .set({ created_at: now })
            .where(and(where, eq(idempotencyKeys.state, 'running'), eq(idempotencyKeys.created_at, stored.created_at)))
            .returning({ key: idempotencyKeys.key });
          if (taken) {
            request.idempotency = { scope, key: header };
            return;
          }
          continue;
        }
        for (const [name, value] of Object.entries(stored.response_headers ?? {})) reply.header(name, value);
        reply.header('idempotent-replayed', 'true');
        return reply.code(stored.response_status!).send(stored.response_body ?? '');
      }
      throw new ApiError('idempotency_key_in_progress', 'The Idempotency-Key is being used concurrently; retry shortly.');
    }

    async function storeResponse(request: FastifyRequest, reply: FastifyReply, payload: unknown) {
      const held = request.idempotency;
      if (!held) return payload;
      request.idempotency = undefined;
      const where = and(eq(idempotencyKeys.scope, held.scope), eq(idempotencyKeys.key, held.key));
      if (reply.statusCode >= 500) {
        // Nothing was written (the transaction rolled back): let a retry run afresh.
        await db.delete(idempotencyKeys).where(where).catch(() => {});
        return payload;
      }
      const headers: Record<string, string> = {};
      for (const name of REPLAYED_HEADERS) {
        const value = reply.getHeader(name);
        if (value !== undefined) headers[name] = String(value);
      }
      const body = typeof payload === 'string' ? payload : payload === null || payload === undefined ? '' : String(payload);
      const replay = reply.statusCode < 300 ? request.routeOptions.config.idempotentReplay : undefined;
      await db
        .update(idempotencyKeys)
        .set({
          state: 'done',
          response_status: reply.statusCode,
          response_headers: headers,
          response_body: replay ? replay(body) : body,
        })
        .where(where);
      return payload;
    }
  },
  { name: 'idempotency', dependencies: ['db'] },
);

