import { and, sql, type SQL } from 'drizzle-orm';
import { anyOf, type DbOrTx } from '../db/client.js';
import { claimants, claims, sources } from '../db/schema.js';
import { ApiError } from '../lib/errors.js';

/**
 * The one lock order of every write. A write that locks rows of several tables
 * takes them in this order, and rows of one table in id order, so two writes
 * may wait for each other but never in a circle (a deadlock, which PostgreSQL
 * breaks by failing one of them):
 *
 *   1. sources (FOR UPDATE to change or delete one; FOR SHARE to anchor in its
 *      text or cite it as evidence), then claimants (FOR UPDATE / FOR KEY SHARE);
 *   2. claims (FOR UPDATE: their derived fields are recomputed);
 *   3. attributions and reviews;
 *   4. the change log's lock, taken by withWrite (db/write.ts) just before commit.
 *
 * Row locks alone would let a source or claimant starve: PostgreSQL grants a
 * share lock on a row that is only share-locked at once, ahead of a writer
 * already waiting for it, so a steady stream of attribution writers kept a
 * cascade delete waiting until its statement timed out. Each source and
 * claimant therefore also has an advisory lock, taken first (shared by the
 * writes that only need it to stay, exclusive by those that change or delete
 * it): the lock manager queues those fairly, a shared request waits behind a
 * waiting exclusive one.
 *
 * A write that learns which parents it touches only from the row itself
 * (changing or deleting an attribution or a review) reads the row unlocked,
 * locks the parents, then locks the row and starts over if it changed
 * meanwhile (`lockAfterParents`). A cascade from a source or a claimant locks
 * every claim it will touch before it deletes anything.
 */

const present = (ids: readonly (string | null | undefined)[]) => [...new Set(ids.filter((id): id is string => Boolean(id)))].sort();

type Parent = typeof sources | typeof claimants | typeof claims;

/**
 * Advisory-lock key spaces (the two-integer form, apart from the one-bigint locks
 * used elsewhere): sources' and claimants' fair queues, and claimant names
 * (claimants/queries.ts: two writers never create the same person twice).
 */
export const GUARD = { sources: 1, claimants: 2, names: 3 } as const;

/**
 * Keys are folded into this many buckets per space. PostgreSQL keeps advisory
 * locks in a shared table of a few thousand entries (max_locks_per_transaction ×
 * connections), held until commit: a bulk import naming 20,000 sources would run
 * out of it. Bucketed, a write holds at most 1,024 per space; the price is that an
 * unrelated id sometimes shares a bucket (a delete then also waits for its writers).
 */
export const GUARD_BUCKETS = 1024;

/** The buckets of the keys `from` gives (a relation with a text column `key`: ids, names' keys), distinct and in order. */
export const guardBuckets = (from: SQL) => sql`select distinct hashtext(key) & ${GUARD_BUCKETS - 1} as k from ${from} order by k`;

/** `select fn(k)` over the ids' buckets, in order, so that two writers never wait for each other in a circle. */
const guardKeys = (space: keyof typeof GUARD, ids: string[], exclusive: boolean) => {
  const fn = exclusive ? sql`pg_advisory_xact_lock` : sql`pg_advisory_xact_lock_shared`;
  return sql`select ${fn}(${GUARD[space]}::int, k) from (${guardBuckets(sql`unnest(${sql.param(ids)}::text[]) as key`)}) as keys`;
};

async function guard(tx: DbOrTx, space: keyof typeof GUARD, ids: string[], exclusive: boolean) {
  if (ids.length === 0) return;
  await tx.execute(guardKeys(space, ids, exclusive));
}

async function lockRows(tx: DbOrTx, table: Parent, strength: 'update' | 'share' | 'key share', ids: readonly (string | null | undefined)[]) {
  const wanted = present(ids);
  if (wanted.length === 0) return new Set<string>();
  const rows = await tx.select({ id: table.id }).from(table).where(anyOf(table.id, wanted)).orderBy(table.id).for(strength);
  return new Set(rows.map((r) => r.id));
}

/**
 * The shared advisory locks of the ids, then their rows, in one round trip: the
 * advisory locks are a condition that does not depend on the row, which
 * PostgreSQL evaluates once, before it reads (and locks) any row.
 */
async function lockGuardedRows(tx: DbOrTx, table: typeof sources | typeof claimants, space: keyof typeof GUARD, strength: 'share' | 'key share', ids: readonly (string | null | undefined)[]) {
  const wanted = present(ids);
  if (wanted.length === 0) return new Set<string>();
  const guarded = sql`(select count(*) from (${guardKeys(space, wanted, false)}) as held) >= 0`;
  const rows = await tx.select({ id: table.id }).from(table).where(and(guarded, anyOf(table.id, wanted))).orderBy(table.id).for(strength);
  return new Set(rows.map((r) => r.id));
}

/** Share locks on sources (their text and existence hold until commit); returns the ids that exist. */
export const lockSources = (tx: DbOrTx, ids: readonly (string | null | undefined)[]) => lockGuardedRows(tx, sources, 'sources', 'share', ids);

/** Key-share locks on claimants (they cannot be deleted until commit); returns the ids that exist. */
export const lockClaimants = (tx: DbOrTx, ids: readonly (string | null | undefined)[]) => lockGuardedRows(tx, claimants, 'claimants', 'key share', ids);

/** Before a source or claimant is changed or deleted (then locked FOR UPDATE by the caller): its turn in the fair queue. */
export const awaitTurnToChange = (tx: DbOrTx, space: 'sources' | 'claimants', id: string) => guard(tx, space, [id], true);

/** Update locks on claims; returns the ids that exist. */
export const lockClaims = (tx: DbOrTx, ids: readonly (string | null | undefined)[]) => lockRows(tx, claims, 'update', ids);

const ATTEMPTS = 5;

/**
 * Locks a row whose parents must be locked first: reads it unlocked, lets
 * `lockParents` lock what it points at, then locks it and checks its version;
 * if it changed in between (it may now point elsewhere), starts over.
 */
export async function lockAfterParents<T extends { version: number }>(
  read: (forUpdate: boolean) => Promise<T>,
  lockParents: (row: T) => Promise<void>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const seen = await read(false);
    await lockParents(seen);
    const locked = await read(true);
    if (locked.version === seen.version) return locked;
    if (attempt === ATTEMPTS) throw new ApiError('conflict', 'A concurrent change got in the way; retry the request.');
  }
}
