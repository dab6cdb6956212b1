import { createHash } from 'node:crypto';
import { actorOf } from '../resources/http.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AnsweredBefore, storedAnswer, sweepExpiredAnswers, type KeyedRequest, type StoredAnswer, type WriteAnswer } from '../db/idempotency.js';
import { ApiError } from '../lib/errors.js';
import { withWrite, type Write } from '../db/write.js';

/**
 * `Idempotency-Key` on POST (the IETF httpapi draft, as Stripe does it): a retry
 * with the same key and body replays the first answer without writing again.
 *
 * A route that writes sends its answer with `reply.sendAfterWrite`: the answer is
 * stored by the write's own transaction, before COMMIT (src/db/idempotency.ts).
 * So a write that committed always has its answer, even when the connection died
 * before the client heard it, and a write that rolled back (an error, a lost
 * connection before COMMIT) leaves no trace of the key: the retry runs again.
 * Answers are kept 24 hours, in the database, so they hold across restarts and
 * several API processes.
 */

export interface SendAfterWriteOptions<T> {
  /**
   * What is stored for a retry to be answered with, when it must differ from the
   * answer itself (say, without a secret that is shown once).
   */
  stored?: (answer: WriteAnswer<T>) => WriteAnswer;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when the request carries an Idempotency-Key that has no stored answer yet. */
    idempotency?: KeyedRequest;
  }
  interface FastifyReply {
    /**
     * Runs `write` as one write (db/write.ts `withWrite`) and sends the answer it returns once the
     * transaction has committed. With an Idempotency-Key, the answer is stored by
     * that same transaction; a request with the key that committed meanwhile is
     * replayed instead.
     */
    sendAfterWrite<T>(write: (w: Write) => Promise<WriteAnswer<T>>, options?: SendAfterWriteOptions<T>): Promise<FastifyReply>;
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

/**
 * Sends a stored answer. The body goes through the route's serialiser and hooks
 * again (so the ETag is made as the first time); the stored text came from that
 * serialiser, so the bytes are the same.
 */
function replay(reply: FastifyReply, answer: StoredAnswer): FastifyReply {
  reply.code(answer.status).headers(answer.headers).header('idempotent-replayed', 'true');
  return reply.send(answer.body === '' ? null : JSON.parse(answer.body));
}

/** The answer as the client is sent it: serialised by the route's schema for its status, so undeclared fields never reach storage. */
function toStored(reply: FastifyReply, answer: WriteAnswer): StoredAnswer {
  reply.code(answer.status);
  return { status: answer.status, headers: answer.headers ?? {}, body: answer.body === undefined || answer.body === null ? '' : String(reply.serialize(answer.body)) };
}

export default fp(
  async function idempotencyPlugin(app: FastifyInstance) {
    const db = app.db;

    const sweep = () => sweepExpiredAnswers(db).catch(() => {});
    const timer = setInterval(sweep, 60 * 60 * 1000);
    timer.unref();
    app.addHook('onReady', async () => void (await sweep()));
    app.addHook('onClose', async () => clearInterval(timer));

    // Only POST routes look the key up: other requests do not pay for it.
    app.addHook('onRoute', (route) => {
      if (![route.method].flat().includes('POST')) return;
      route.preHandler = [...[route.preHandler ?? []].flat(), replayStoredAnswer];
    });

    async function replayStoredAnswer(request: FastifyRequest, reply: FastifyReply) {
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
      const keyed: KeyedRequest = {
        scope: (request as { apiKeyId?: string }).apiKeyId ?? 'anonymous',
        key: header,
        method: request.method,
        path: request.url,
        requestHash: fingerprint(request),
      };
      // Most retries find the answer here, without opening a transaction.
      const stored = await storedAnswer(db, keyed);
      if (stored) return replay(reply, stored);
      request.idempotency = keyed;
    }

    app.decorateReply('sendAfterWrite', async function sendAfterWrite<T>(
      this: FastifyReply,
      write: (w: Write) => Promise<WriteAnswer<T>>,
      options: SendAfterWriteOptions<T> = {},
    ): Promise<FastifyReply> {
      const keyed = this.request.idempotency;
      let answer: WriteAnswer<T>;
      try {
        answer = await withWrite(
          db,
          actorOf(this.request),
          write,
          keyed && { request: keyed, answer: (result) => toStored(this, options.stored ? options.stored(result) : result) },
        );
      } catch (err) {
        if (err instanceof AnsweredBefore) return replay(this, err.answer);
        throw err;
      }
      this.code(answer.status);
      if (answer.headers) this.headers(answer.headers);
      return this.send(answer.body);
    });
  },
  { name: 'idempotency', dependencies: ['db'] },
);
