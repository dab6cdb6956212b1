import { isDeepStrictEqual } from 'node:util';
import { and, asc, eq, gt, ne, sql } from 'drizzle-orm';
import type { Db, DbOrTx, Tx } from '../../db/client.js';
import { holdKey, storeAnswer, type KeyedRequest, type StoredAnswer } from '../../db/idempotency.js';
import { events } from '../../db/schema.js';
import type { Actor } from '../../lib/actor.js';
import { newId } from '../../lib/ids.js';

export type EntityType = 'source' | 'claimant' | 'claim' | 'attribution' | 'review' | 'api_key';
export type Snapshot = Record<string, unknown>;

export type NewEvent = typeof events.$inferInsert;

/** Events of each open write transaction, written just before it commits. */
const pending = new WeakMap<object, NewEvent[]>();

// Any constant shared by every claimledger process.
const EVENT_LOG_LOCK = 4_242_002;

/** A write made for a request with an Idempotency-Key. */
export interface KeyedWrite<T> {
  request: KeyedRequest;
  /** The answer to the request, from what the write returned; stored before COMMIT. */
  answer(result: T): StoredAnswer;
}

/**
 * Runs `fn` in a transaction whose change-log events are appended at its end,
 * under a transaction-scoped lock held until commit. So events get their `seq`
 * in commit order: a feed reader that has seen seq N can never later find a
 * smaller seq committed by a slower transaction (gaps from concurrent
 * transactions that commit out of order cannot exist). Only the short tail —
 * the insert and the commit — is serialised, not the work before it.
 *
 * With `keyed`, the transaction first holds the request's Idempotency-Key (409
 * while another request holds it; AnsweredBefore if one already committed) and
 * stores the request's answer before COMMIT: the answer exists exactly when the
 * write does, whatever happens to the connection afterwards.
 */
export function writeTransaction<T>(db: Db, fn: (tx: Tx) => Promise<T>, keyed?: KeyedWrite<T>): Promise<T> {
  return db.transaction(async (tx) => {
    const buffered: NewEvent[] = [];
    pending.set(tx, buffered);
    if (keyed) await holdKey(tx, keyed.request);
    const result = await fn(tx);
    if (keyed) await storeAnswer(tx, keyed.request, keyed.answer(result));
    if (buffered.length > 0) {
      await lockEventLog(tx);
      // One statement may carry at most 65535 parameters: insert in slices.
      for (let i = 0; i < buffered.length; i += 1000) await tx.insert(events).values(buffered.slice(i, i + 1000));
    }
    return result;
  });
}

/** Takes the lock under which events are appended; held until the transaction ends. */
export async function lockEventLog(tx: DbOrTx): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${EVENT_LOG_LOCK})`);
}

/**
 * Moves the events buffered so far out of a writeTransaction's buffer. Bulk
 * imports stage them in the database to keep memory flat (and drop those of a
 * line rolled back to its savepoint); they append them under `lockEventLog`
 * at the end of the transaction, as writeTransaction does.
 */
export function takeBufferedEvents(tx: DbOrTx): NewEvent[] {
  const buffered = pending.get(tx);
  if (!buffered) throw new Error('takeBufferedEvents needs a transaction opened by writeTransaction()');
  return buffered.splice(0);
}

/**
 * Adds one entry to the change log of the caller's transaction: it commits or
 * rolls back with the change it describes.
 */
export async function recordEvent(
  tx: DbOrTx,
  actor: Actor,
  event: { action: 'created' | 'updated' | 'deleted'; entityType: EntityType; entityId: string; before?: Snapshot | null; after?: Snapshot | null },
): Promise<{ setAfter(snapshot: Snapshot): void }> {
  const buffered = pending.get(tx);
  if (!buffered) throw new Error('recordEvent needs a transaction opened by writeTransaction()');
  const entry: NewEvent = {
    id: newId(),
    type: `${event.entityType}.${event.action}`,
    entity_type: event.entityType,
    entity_id: event.entityId,
    key_id: actor.keyId,
    request_id: actor.requestId,
    before: event.before ? jsonSafe(event.before) : null,
    after: event.after ? jsonSafe(event.after) : null,
    occurred_at: new Date(),
  };
  buffered.push(entry);
  // Lets a creation whose derived fields settle later in the transaction log its final state.
  return { setAfter: (snapshot) => void (entry.after = jsonSafe(snapshot)) };
}

/**
 * Whether applying `changes` would alter `before`. Deep equality, not JSON text:
 * PostgreSQL returns jsonb objects with their keys reordered.
 */
export function hasChanges<T extends object>(before: T, changes: object): boolean {
  return Object.entries(changes).some(([k, v]) => !isDeepStrictEqual(before[k as keyof T], v));
}

/** The fields that differ, before and after; null when nothing changed. */
export function changedFields(before: Snapshot, after: Snapshot): { before: Snapshot; after: Snapshot } | null {
  const b: Snapshot = {};
  const a: Snapshot = {};
  for (const key of Object.keys(after)) {
    if (key === 'version' || key === 'updated_at') continue;
    if (!isDeepStrictEqual(before[key], after[key])) {
      b[key] = before[key] ?? null;
      a[key] = after[key] ?? null;
    }
  }
  return Object.keys(a).length ? { before: b, after: a } : null;
}

/** Dates become RFC 3339 strings, as clients see them in the API. */
function jsonSafe(snapshot: Snapshot): Snapshot {
  return JSON.parse(JSON.stringify(snapshot));
}

/** Records an update when something changed; returns whether it did. */
export async function recordUpdate(tx: DbOrTx, actor: Actor, entityType: EntityType, entityId: string, before: Snapshot, after: Snapshot) {
  const diff = changedFields(before, after);
  if (diff) await recordEvent(tx, actor, { action: 'updated', entityType, entityId, ...diff });
  return diff !== null;
}

/**
 * The change feed: events after `after`, ascending. Because events are numbered
 * in commit order (see writeTransaction), `seq > after` never skips one. API key
 * events are left out unless `withKeyEvents` (they are for admin keys only).
 */
export async function listEvents(
  db: Db,
  params: { after?: number; limit?: number; type?: string; entity_type?: EntityType; entity_id?: string; withKeyEvents?: boolean },
) {
  const after = params.after ?? 0;
  const rows = await db
    .select({
      seq: events.seq,
      id: events.id,
      type: events.type,
      entity_type: events.entity_type,
      entity_id: events.entity_id,
      key_id: events.key_id,
      request_id: events.request_id,
      occurred_at: events.occurred_at,
      before: events.before,
      after: events.after,
    })
    .from(events)
    .where(
      and(
        gt(events.seq, after),
        params.type ? eq(events.type, params.type) : undefined,
        params.entity_type ? eq(events.entity_type, params.entity_type) : undefined,
        params.entity_id ? eq(events.entity_id, params.entity_id) : undefined,
        params.withKeyEvents ? undefined : ne(events.entity_type, 'api_key'),
      ),
    )
    .orderBy(asc(events.seq))
    .limit(params.limit ?? 100);
  return { data: rows, next_after: rows.length ? rows[rows.length - 1].seq : after };
}

/** Whether the entity ever existed, i.e. has at least one event. */
export async function hasHistory(db: Db, entityType: EntityType, entityId: string): Promise<boolean> {
  const [row] = await db
    .select({ seq: events.seq })
    .from(events)
    .where(and(eq(events.entity_type, entityType), eq(events.entity_id, entityId)))
    .limit(1);
  return Boolean(row);
}
