import { and, eq, gt, lt, sql } from 'drizzle-orm';
import { ApiError } from '../lib/errors.js';
import { rowsOf, type DbOrTx, type Tx } from './client.js';
import { idempotencyKeys } from './schema.js';

/**
 * The stored answers behind `Idempotency-Key`. An answer is inserted by the
 * transaction of the write it answers, just before COMMIT, so it exists exactly
 * when the write does: a retry after a connection lost around COMMIT replays it
 * if the write committed and runs again if it did not. While a first request
 * runs, its transaction holds an advisory lock on the key, which PostgreSQL
 * drops the moment that transaction ends (or its connection dies): a retry
 * meanwhile is 409, and a key whose first attempt failed is free at once.
 */

export const KEY_TTL_MS = 24 * 60 * 60 * 1000;

/** One request carrying an Idempotency-Key: who sent it, and a fingerprint of what it asks. */
export interface KeyedRequest {
  /** The API key id (or `anonymous`): keys are per client. */
  scope: string;
  key: string;
  method: string;
  path: string;
  requestHash: string;
}

/** What a retry is answered with. `body` is the serialised JSON the client was sent. */
/** A route's answer to a write: sent once the write has committed. */
export interface WriteAnswer<T = unknown> {
  status: number;
  headers?: Record<string, string>;
  body: T;
}

export interface StoredAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Thrown out of a write transaction (after its rollback) when another request with the key committed first. */
export class AnsweredBefore extends Error {
  constructor(readonly answer: StoredAnswer) {
    super('This Idempotency-Key was answered by an earlier request.');
  }
}

// The two-number form of the advisory lock has a key space of its own, apart from
// the one-number locks elsewhere; this first number marks ours within it.
const KEY_LOCK_SPACE = 4_242_003;

const sameKey = (request: KeyedRequest) => and(eq(idempotencyKeys.scope, request.scope), eq(idempotencyKeys.key, request.key));

/**
 * The answer stored for this key, if it is still kept. Another request's answer under
 * the same key is 422: a key names one request.
 */
export async function storedAnswer(db: DbOrTx, request: KeyedRequest): Promise<StoredAnswer | undefined> {
  const [row] = await db
    .select({
      request_hash: idempotencyKeys.request_hash,
      status: idempotencyKeys.response_status,
      headers: idempotencyKeys.response_headers,
      body: idempotencyKeys.response_body,
    })
    .from(idempotencyKeys)
    .where(and(sameKey(request), gt(idempotencyKeys.expires_at, new Date())));
  if (!row) return undefined;
  if (row.request_hash !== request.requestHash) {
    throw new ApiError('idempotency_key_reused', 'This Idempotency-Key was already used with a different request; use a new key for a new request.');
  }
  return { status: row.status, headers: row.headers, body: row.body };
}

/**
 * Makes the calling transaction the only one running this key. Another
 * transaction holding it is 409; a request that committed since the caller last
 * looked ends this one with AnsweredBefore. Looked up after the lock is held, so
 * a first request that commits just before cannot be missed.
 */
export async function holdKey(tx: Tx, request: KeyedRequest): Promise<void> {
  const lockName = `${request.scope}\n${request.key}`;
  const [lock] = rowsOf<{ held: boolean }>(await tx.execute(sql`select pg_try_advisory_xact_lock(${KEY_LOCK_SPACE}, hashtext(${lockName})) as held`));
  if (!lock.held) {
    throw new ApiError('idempotency_key_in_progress', 'The first request with this Idempotency-Key has not finished; retry shortly.');
  }
  const answer = await storedAnswer(tx, request);
  if (answer) throw new AnsweredBefore(answer);
}

/** Stores the answer in the caller's transaction (which holds the key): it commits or rolls back with the write. */
export async function storeAnswer(tx: Tx, request: KeyedRequest, answer: StoredAnswer): Promise<void> {
  const now = new Date();
  const row = {
    scope: request.scope,
    key: request.key,
    method: request.method,
    path: request.path,
    request_hash: request.requestHash,
    response_status: answer.status,
    response_headers: answer.headers,
    response_body: answer.body,
    created_at: now,
    expires_at: new Date(now.getTime() + KEY_TTL_MS),
  };
  // An expired row under the key (not yet swept) is replaced.
  await tx.insert(idempotencyKeys).values(row).onConflictDoUpdate({ target: [idempotencyKeys.scope, idempotencyKeys.key], set: row });
}

/** Forgets answers older than KEY_TTL_MS. */
export async function sweepExpiredAnswers(db: DbOrTx): Promise<void> {
  await db.delete(idempotencyKeys).where(lt(idempotencyKeys.expires_at, new Date()));
}
