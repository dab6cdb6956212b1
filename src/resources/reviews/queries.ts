import { asc, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { reviewEvidence, reviews, type ReviewRow } from '../../db/schema.js';

export type ReviewWithEvidence = ReviewRow & { evidence: { source_id: string; stance: string; note: string | null }[] };

/** Embedding: the reviews of a page of claims (newest first) with their evidence, in two queries. */
export async function reviewsOfClaims(db: DbOrTx, claimIds: string[]): Promise<ReviewWithEvidence[]> {
  if (claimIds.length === 0) return [];
  const rows = await db.select().from(reviews).where(inArray(reviews.claim_id, claimIds)).orderBy(asc(reviews.created_at), asc(reviews.id));
  if (rows.length === 0) return [];
  const evidence = await db
    .select()
    .from(reviewEvidence)
    .where(inArray(reviewEvidence.review_id, rows.map((r) => r.id)))
    .orderBy(reviewEvidence.review_id, reviewEvidence.position);
  return rows.map((r) => ({
    ...r,
    evidence: evidence.filter((e) => e.review_id === r.id).map(({ source_id, stance, note }) => ({ source_id, stance, note })),
  }));
}
