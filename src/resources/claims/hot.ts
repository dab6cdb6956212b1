import { desc, eq, sql } from 'drizzle-orm';
import { PgTransaction } from 'drizzle-orm/pg-core';
import type { DbOrTx } from '../../db/client.js';
import { claimColumns, claims } from '../../db/schema.js';

/**
 * Prepared statements of the hottest reads: a claim by id, and the unfiltered list
 * newest first (first page and any later page). On this machine the query builder
 * costs about 40 % of the throughput of a bare `pg` handler (STACK-NOTES, "Hot paths
 * and drizzle"); a named prepared statement is built once per process, parsed and
 * planned once per connection, and only executed afterwards.
 *
 * They are bound to the root database object, so a transaction (whose queries must
 * run on its own connection) gets `undefined` and uses the builder.
 */

function build(db: DbOrTx) {
  return {
    byId: db
      .select(claimColumns)
      .from(claims)
      .where(eq(claims.id, sql.placeholder('id')))
      .prepare('claimledger_claim_by_id'),
    firstPage: db
      .select(claimColumns)
      .from(claims)
      .orderBy(desc(claims.created_at), desc(claims.id))
      .limit(sql.placeholder('limit'))
      .prepare('claimledger_claims_newest'),
    after: db
      .select(claimColumns)
      .from(claims)
      // A row comparison is one index condition on (created_at, id), unlike the equivalent OR.
      .where(sql`(${claims.created_at}, ${claims.id}) < (${sql.placeholder('created_at')}::timestamptz, ${sql.placeholder('id')}::uuid)`)
      .orderBy(desc(claims.created_at), desc(claims.id))
      .limit(sql.placeholder('limit'))
      .prepare('claimledger_claims_newest_after'),
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
