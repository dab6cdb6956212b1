import { desc, eq, sql } from 'drizzle-orm';
import { PgTransaction } from 'drizzle-orm/pg-core';
import pg from 'pg';
import type { DbOrTx } from '../../db/client.js';
import { claimColumns, claims, type ClaimRow } from '../../db/schema.js';

/**
 * The hottest reads — a claim by id, and the unfiltered list newest first (first page
 * and any later page) — as named prepared statements. On this machine the query builder
 * costs about 40 % of the throughput of a bare `pg` handler (STACK-NOTES, "Hot paths and
 * drizzle"): these statements are built once per process, parsed and planned once per
 * connection, and executed straight on the `pg` pool (whose type parsing already gives
 * the row shape the builder would). On the embedded database they run through drizzle's
 * own prepared statements.
 *
 * They are bound to the root database object: a transaction (whose queries must run on
 * its own connection) gets `undefined` and uses the builder.
 */

interface Statement<P extends unknown[]> {
  execute(...params: P): Promise<ClaimRow[]>;
}

const builders = (db: DbOrTx) => ({
  byId: db.select(claimColumns).from(claims).where(eq(claims.id, sql.placeholder('id'))),
  firstPage: db.select(claimColumns).from(claims).orderBy(desc(claims.created_at), desc(claims.id)).limit(sql.placeholder('limit')),
  after: db
    .select(claimColumns)
    .from(claims)
    // A row comparison is one index condition on (created_at, id), unlike the equivalent OR.
    .where(sql`(${claims.created_at}, ${claims.id}) < (${sql.placeholder('created_at')}::timestamptz, ${sql.placeholder('id')}::uuid)`)
    .orderBy(desc(claims.created_at), desc(claims.id))
    .limit(sql.placeholder('limit')),
});

function build(db: DbOrTx) {
  const b = builders(db);
  const pool = (db as unknown as { $client?: unknown }).$client;
  if (pool instanceof pg.Pool) {
    const raw = <P extends unknown[]>(name: string, text: string): Statement<P> => ({
      execute: async (...values: P) => (await pool.query<ClaimRow>({ name, text, values })).rows,
    });
    return {
      byId: raw<[string]>('claimledger_claim_by_id', b.byId.toSQL().sql),
      firstPage: raw<[number]>('claimledger_claims_newest', b.firstPage.toSQL().sql),
      after: raw<[string, string, number]>('claimledger_claims_newest_after', b.after.toSQL().sql),
    };
  }
  const byId = b.byId.prepare('claimledger_claim_by_id');
  const firstPage = b.firstPage.prepare('claimledger_claims_newest');
  const after = b.after.prepare('claimledger_claims_newest_after');
  return {
    byId: { execute: (id: string) => byId.execute({ id }) } as Statement<[string]>,
    firstPage: { execute: (limit: number) => firstPage.execute({ limit }) } as Statement<[number]>,
    after: { execute: (createdAt: string, id: string, limit: number) => after.execute({ created_at: createdAt, id, limit }) } as Statement<[string, string, number]>,
  };
}

const cache = new WeakMap<object, ReturnType<typeof build>>();

function statements(db: DbOrTx) {
  if (db instanceof PgTransaction) return undefined;
  let found = cache.get(db);
  if (!found) {
    found = build(db);
    cache.set(db, found);
  }
  return found;
}

export const preparedClaimById = (db: DbOrTx) => statements(db)?.byId;
export const preparedClaimsFirstPage = (db: DbOrTx) => statements(db)?.firstPage;
export const preparedClaimsAfter = (db: DbOrTx) => statements(db)?.after;
