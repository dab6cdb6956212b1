import { sql } from 'drizzle-orm';
import type { Write } from '../../db/write.js';
import { rowsOf } from '../../db/client.js';

interface DerivedChange {
  id: string;
  old_attribution_count: number;
  old_first_seen_at: string | null;
  old_review_count: number;
  old_verdict: string | null;
  old_status: string;
  attribution_count: number;
  first_seen_at: string | null;
  review_count: number;
  verdict: string | null;
  status: string;
}

/**
 * Recomputes the derived fields of claims (`attribution_count`, `first_seen_at`,
 * `review_count`, `verdict`) from their rows, in the caller's transaction, so they
 * are right the moment the change commits. A claim whose derived fields change
 * gets a new version: its representation (and so its ETag) changed; a claim
 * created in the same transaction keeps version 1. Each change is logged as a
 * `claim.updated` event (unless `log: false`), so a claim's history shows its
 * verdict and counts moving.
 *
 * `first_seen_at` follows the contract literally: the earliest `said_at` of the
 * claim's attributions, else (when none has one) the earliest `published_at` of
 * their sources.
 */
export async function refreshClaimsDerived(w: Write,
  claimIds: string[],
  options: { newVersion?: boolean; reviewsChanged?: boolean; log?: boolean } = {},
): Promise<void> {
  const { tx } = w;
  // clock_timestamp(), not now(): in a long transaction (a bulk import) now() is its start, before the rows' created_at.
  const bump = options.newVersion === false ? sql`` : sql`, version = c.version + 1, updated_at = clock_timestamp()`;
  // After a review write the status follows the reviews: any review means `reviewed`;
  // losing the last one returns a `reviewed` claim to `unreviewed`. Other writes leave a
  // desk's `in_review` alone.
  const status = options.reviewsChanged
    ? sql`case when f.review_count > 0 then 'reviewed' when c.status = 'reviewed' then 'unreviewed' else c.status end`
    : sql`c.status`;
  const ids = [...new Set(claimIds)];
  if (ids.length === 0) return;
  const result = await tx.execute(sql`
    with fresh as (
      select c.id,
        c.attribution_count as old_attribution_count, c.first_seen_at as old_first_seen_at,
        c.review_count as old_review_count, c.verdict as old_verdict, c.status as old_status,
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
           verdict = f.verdict,
           status = ${status}
           ${bump}
      from fresh f
     where c.id = f.id
       and (c.attribution_count, c.first_seen_at, c.review_count, c.verdict, c.status)
           is distinct from (f.attribution_count, f.first_seen_at, f.review_count, f.verdict, ${status})
    returning c.id, f.old_attribution_count, f.old_first_seen_at, f.old_review_count, f.old_verdict, f.old_status,
              c.attribution_count, c.first_seen_at, c.review_count, c.verdict, c.status`);
  if (options.log === false) return;
  for (const row of rowsOf<DerivedChange>(result)) {
    const iso = (v: string | Date | null) => (v === null ? null : new Date(v).toISOString());
    await w.recordUpdate('claim',
      row.id,
      {
        attribution_count: row.old_attribution_count,
        first_seen_at: iso(row.old_first_seen_at),
        review_count: row.old_review_count,
        verdict: row.old_verdict,
        status: row.old_status,
      },
      {
        attribution_count: row.attribution_count,
        first_seen_at: iso(row.first_seen_at),
        review_count: row.review_count,
        verdict: row.verdict,
        status: row.status,
      },
    );
  }
}

/** After a source's `published_at` changes, the claims it appears in may see a new first_seen_at. */
export async function refreshClaimsOfSource(w: Write, sourceId: string): Promise<void> {
  const { tx } = w;
  const rows = await tx.execute<{ claim_id: string }>(
    sql`select distinct claim_id from attributions where source_id = ${sourceId}::uuid`,
  );
  await refreshClaimsDerived(w, rowsOf<{ claim_id: string }>(rows).map((r) => r.claim_id));
}

