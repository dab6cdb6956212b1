import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';

/**
 * Recomputes the derived fields of claims (`attribution_count`, `first_seen_at`,
 * `review_count`, `verdict`) from their rows, in the caller's transaction, so they
 * are right the moment the change commits. A claim whose derived fields change
 * gets a new version: its representation (and so its ETag) changed; a claim
 * created in the same transaction keeps version 1.
 *
 * `first_seen_at` follows the contract literally: the earliest `said_at` of the
 * claim's attributions, else (when none has one) the earliest `published_at` of
 * their sources.
 */
export async function refreshClaimsDerived(tx: DbOrTx, claimIds: string[], options: { newVersion?: boolean } = {}): Promise<void> {
  const bump = options.newVersion === false ? sql`` : sql`, version = c.version + 1, updated_at = now()`;
  const ids = [...new Set(claimIds)];
  if (ids.length === 0) return;
  await tx.execute(sql`
    with fresh as (
      select c.id,
        (select count(*)::int from attributions a where a.claim_id = c.id) as attribution_count,
        coalesce(
          (select min(a.said_at) from attributions a where a.claim_id = c.id),
          (select min(s.published_at) from attributions a join sources s on s.id = a.source_id where a.claim_id = c.id)
        ) as first_seen_at,
        (select count(*)::int from reviews r where r.claim_id = c.id) as review_count,
        (select r.verdict from reviews r where r.claim_id = c.id
           order by r.published_at desc nulls last, r.created_at desc, r.id desc limit 1) as verdict
      from claims c
      where c.id = any(${sql.param(ids)}::uuid[])
    )
    update claims c
       set attribution_count = f.attribution_count,
           first_seen_at = f.first_seen_at,
           review_count = f.review_count,
           verdict = f.verdict
           ${bump}
      from fresh f
     where c.id = f.id
       and (c.attribution_count, c.first_seen_at, c.review_count, c.verdict)
           is distinct from (f.attribution_count, f.first_seen_at, f.review_count, f.verdict)`);
}

/** After a source's `published_at` changes, the claims it appears in may see a new first_seen_at. */
export async function refreshClaimsOfSource(tx: DbOrTx, sourceId: string): Promise<void> {
  const rows = await tx.execute<{ claim_id: string }>(
    sql`select distinct claim_id from attributions where source_id = ${sourceId}::uuid`,
  );
  await refreshClaimsDerived(tx, rowsOf<{ claim_id: string }>(rows).map((r) => r.claim_id));
}

/** node-postgres returns `{rows}`, PGlite returns `{rows}` too; both behind one accessor. */
export function rowsOf<T>(result: unknown): T[] {
  return ((result as { rows?: T[] }).rows ?? (result as T[])) as T[];
}
