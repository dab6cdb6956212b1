import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { attributions, reviewEvidence, reviews } from '../../db/schema.js';
import type { Write } from '../../db/write.js';
import { refreshClaimsDerived } from '../claims/derived.js';
import { lockClaims } from '../lock-order.js';
import { dropEvidenceOfSource } from '../reviews/queries.js';

/**
 * The attributions (and, for a source, the review evidence) that use a source
 * or a claimant: whether there are any, and `?cascade=true` deletes of them.
 */

type Owner = { sourceId: string } | { claimantId: string };

const ownedBy = (owner: Owner) =>
  'sourceId' in owner ? eq(attributions.source_id, owner.sourceId) : eq(attributions.claimant_id, owner.claimantId);

/** Whether attributions (or, for a source, review evidence) still point at it. */
export async function isReferenced(tx: DbOrTx, owner: Owner): Promise<boolean> {
  const [a] = await tx.select({ id: attributions.id }).from(attributions).where(ownedBy(owner)).limit(1);
  if (a) return true;
  if ('sourceId' in owner) {
    const [e] = await tx.select({ id: reviewEvidence.review_id }).from(reviewEvidence).where(eq(reviewEvidence.source_id, owner.sourceId)).limit(1);
    return Boolean(e);
  }
  return false;
}

/** `?cascade=true`: deletes (with events) every attribution and evidence row using the owner. */
export async function deleteAttributionsOf(w: Write, owner: Owner): Promise<void> {
  const { tx } = w;
  await lockClaimsOf(tx, owner);
  const gone = await tx.delete(attributions).where(ownedBy(owner)).returning();
  for (const row of gone) {
    await w.record({ action: 'deleted', entityType: 'attribution', entityId: row.id, before: row });
  }
  await refreshClaimsDerived(w, gone.map((r) => r.claim_id));
  if ('sourceId' in owner) {
    const cited = await tx.select({ review_id: reviewEvidence.review_id }).from(reviewEvidence).where(eq(reviewEvidence.source_id, owner.sourceId));
    for (const reviewId of new Set(cited.map((e) => e.review_id))) {
      await dropEvidenceOfSource(w, reviewId, owner.sourceId);
    }
  }
}

/**
 * Locks (lock-order.ts) every claim a change of the owner touches: those of its
 * attributions and, for a source, those of the reviews citing it. The caller
 * holds the owner's own lock, so no attribution or evidence can join it meanwhile.
 */
export async function lockClaimsOf(tx: DbOrTx, owner: Owner): Promise<void> {
  const ofAttributions = await tx.selectDistinct({ id: attributions.claim_id }).from(attributions).where(ownedBy(owner));
  const ofReviews =
    'sourceId' in owner
      ? await tx
          .selectDistinct({ id: reviews.claim_id })
          .from(reviewEvidence)
          .innerJoin(reviews, eq(reviews.id, reviewEvidence.review_id))
          .where(eq(reviewEvidence.source_id, owner.sourceId))
      : [];
  await lockClaims(tx, [...ofAttributions, ...ofReviews].map((r) => r.id));
}
