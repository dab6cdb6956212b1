import { desc, eq, sql } from 'drizzle-orm';
import { namedStatement } from '../../db/named.js';
import { claimColumns, claims, type ClaimRow } from '../../db/schema.js';

/**
 * The hottest reads — a claim by id, and the unfiltered list newest first (first page
 * and any later page) — as named prepared statements (db/named.ts): built once per
 * process, parsed and planned once per connection.
 */

export const preparedClaimById = namedStatement<{ id: string }, ClaimRow>('claimledger_claim_by_id', (db) =>
  db.select(claimColumns).from(claims).where(eq(claims.id, sql.placeholder('id'))),
);

export const preparedClaimsFirstPage = namedStatement<{ limit: number }, ClaimRow>('claimledger_claims_newest', (db) =>
  db.select(claimColumns).from(claims).orderBy(desc(claims.created_at), desc(claims.id)).limit(sql.placeholder('limit')),
);

export const preparedClaimsAfter = namedStatement<{ created_at: string; id: string; limit: number }, ClaimRow>('claimledger_claims_newest_after', (db) =>
  db
    .select(claimColumns)
    .from(claims)
    // A row comparison is one index condition on (created_at, id), unlike the equivalent OR.
    .where(sql`(${claims.created_at}, ${claims.id}) < (${sql.placeholder('created_at')}::timestamptz, ${sql.placeholder('id')}::uuid)`)
    .orderBy(desc(claims.created_at), desc(claims.id))
    .limit(sql.placeholder('limit')),
);
