import { and, asc, count, eq, getTableColumns, gte, lt, sql, type SQL } from 'drizzle-orm';
import { insertMany, type Write } from '../../db/write.js';
import { anyOf, type Db, type DbOrTx } from '../../db/client.js';
import { attributions, claimants, claims, reviewEvidence, reviews, sources, type ReviewRow } from '../../db/schema.js';
import type { ClaimReviewInput } from '../../domain/claimreview.js';
import { canonicalLanguageOf } from '../../domain/language.js';
import { assertIfMatch } from '../../lib/conditional.js';
import { notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { InputProblem, RowFailures, noSuch, onlyRow, takenIdFailure, type Created, type NewRow } from '../../lib/row-failures.js';
import { paginate, resolveSort, type SortField } from '../../db/pagination.js';
import { refreshClaimsDerived } from '../claims/derived.js';
import { lockAfterParents, lockClaims, lockSources } from '../lock-order.js';
import { hasChanges } from '../../lib/changes.js';
import type { ReviewCreateBody, ReviewListParams, ReviewPatchBody } from './schemas.js';
import { instant } from '../../lib/instants.js';

type EvidenceItem = { source_id: string; stance: 'supports' | 'refutes' | 'context'; note?: string | null };
export type ReviewWithEvidence = ReviewRow & { evidence: { source_id: string; stance: EvidenceItem['stance']; note: string | null }[] };

const sortFields: Record<string, SortField> = {
  created_at: { column: reviews.created_at, cast: 'timestamptz', nullable: false },
  updated_at: { column: reviews.updated_at, cast: 'timestamptz', nullable: false },
  published_at: { column: reviews.published_at, cast: 'timestamptz', nullable: true },
};

/** Attaches evidence to reviews with one query, whatever their number. */
async function withEvidence(db: DbOrTx, rows: ReviewRow[]): Promise<ReviewWithEvidence[]> {
  if (rows.length === 0) return [];
  const evidence = await db
    .select()
    .from(reviewEvidence)
    .where(anyOf(reviewEvidence.review_id, rows.map((r) => r.id)))
    .orderBy(reviewEvidence.review_id, reviewEvidence.position);
  return rows.map((r) => ({
    ...r,
    evidence: evidence.filter((e) => e.review_id === r.id).map(({ source_id, stance, note }) => ({ source_id, stance, note })),
  }));
}

/** Embedding: the reviews of a page of claims (oldest first) with their evidence, in two queries. */
export async function reviewsOfClaims(db: DbOrTx, claimIds: string[]): Promise<ReviewWithEvidence[]> {
  if (claimIds.length === 0) return [];
  const rows = await db.select().from(reviews).where(anyOf(reviews.claim_id, claimIds)).orderBy(asc(reviews.created_at), asc(reviews.id));
  return withEvidence(db, rows);
}

/** What is wrong with a review's ratings, field by field. */
function ratingFailures(r: { rating_value: number | null; best_rating: number | null; worst_rating: number | null }): { field: string; message: string }[] {
  const failures: { field: string; message: string }[] = [];
  const { rating_value: value, best_rating: best, worst_rating: worst } = r;
  // Scales may run either way (1 = best on some), so check "between", not "<=".
  if (best !== null && worst !== null && best === worst) failures.push({ field: 'best_rating', message: 'must differ from worst_rating' });
  if (value !== null && best !== null && worst !== null && (value - worst) * (value - best) > 0) {
    failures.push({ field: 'rating_value', message: 'must lie between worst_rating and best_rating' });
  }
  return failures;
}

export function checkRatings(r: { rating_value: number | null; best_rating: number | null; worst_rating: number | null }) {
  const failures = ratingFailures(r);
  if (failures.length) throw new InputProblem(...failures.map((f) => ({ ...f, code: 'validation_failed' as const })));
}

const EVIDENCE_MISSING = 'Evidence cites sources that do not exist.';

/** Evidence must cite existing sources; refused with 422 naming each unknown one. */
async function writeEvidence(tx: DbOrTx, reviewId: string, items: EvidenceItem[]) {
  const ids = [...new Set(items.map((e) => e.source_id))];
  const found = ids.length
    ? new Set((await tx.select({ id: sources.id }).from(sources).where(anyOf(sources.id, ids)).for('share')).map((r) => r.id))
    : new Set<string>();
  const missing = items
    .map((e, i) => ({ e, i }))
    .filter(({ e }) => !found.has(e.source_id))
    .map(({ e, i }) => ({ ...noSuch(`evidence[${i}].source_id`, 'source', e.source_id), detail: EVIDENCE_MISSING }));
  if (missing.length) throw new InputProblem(...missing);
  await tx.delete(reviewEvidence).where(eq(reviewEvidence.review_id, reviewId));
  if (items.length) {
    await tx
      .insert(reviewEvidence)
      .values(items.map((e, position) => ({ review_id: reviewId, position, source_id: e.source_id, stance: e.stance, note: e.note ?? null })));
  }
}

/** The columns a create body gives a review; shared by the single endpoint and bulk import. */
export function reviewValues(body: ReviewCreateBody) {
  return {
    verdict: body.verdict,
    textual_rating: body.textual_rating ?? null,
    rating_value: body.rating_value ?? null,
    best_rating: body.best_rating ?? null,
    worst_rating: body.worst_rating ?? null,
    summary: body.summary ?? null,
    reviewer_name: body.reviewer_name ?? null,
    reviewer_url: body.reviewer_url ?? null,
    url: body.url ?? null,
    published_at: body.published_at ? instant(body.published_at) : null,
    language: canonicalLanguageOf(body.language ?? null),
  };
}

/** One review to create, of `claim_id`. */
export interface NewReview extends NewRow<ReviewCreateBody> {
  claim_id: string;
}

/**
 * Creates many reviews at once with their evidence: the cited sources and the
 * claims locked in the lock order (lock-order.ts), one INSERT for the reviews
 * and one for the evidence, a `review.created` event each (evidence included)
 * in input order, and the claims' verdicts and statuses refreshed once per
 * claim. The single endpoint calls this with one row, bulk import with a window
 * of lines.
 */
export async function createReviews(w: Write, rows: readonly NewReview[]): Promise<Created<ReviewWithEvidence>> {
  const { tx } = w;
  const failures = new RowFailures();
  const sourceIds = await lockSources(tx, rows.flatMap((r) => (r.body.evidence ?? []).map((e) => e.source_id)));
  const claimIds = await lockClaims(tx, rows.map((r) => r.claim_id));
  const now = new Date();
  const toInsert: { row: number; values: typeof reviews.$inferInsert & { id: string }; evidence: ReviewWithEvidence['evidence'] }[] = [];
  rows.forEach(({ id, claim_id, body }, row) => {
    if (!claimIds.has(claim_id)) return failures.add(row, noSuch('claim_id', 'claim', claim_id));
    const values = reviewValues(body);
    const wrong = ratingFailures(values);
    if (wrong.length) return wrong.forEach((f) => failures.add(row, { ...f, code: 'validation_failed' }));
    const evidence = (body.evidence ?? []).map((e) => ({ source_id: e.source_id, stance: e.stance, note: e.note ?? null }));
    evidence.forEach((e, i) => {
      if (!sourceIds.has(e.source_id)) failures.add(row, { ...noSuch(`evidence[${i}].source_id`, 'source', e.source_id), detail: EVIDENCE_MISSING });
    });
    if (failures.has(row)) return;
    toInsert.push({ row, values: { id: id ?? newId(), claim_id, ...values, created_at: now, updated_at: now, version: 1 }, evidence });
  });
  const inserted = new Map(
    (await insertMany<ReviewRow>(tx, reviews, toInsert.map((r) => r.values), { skipTaken: rows.some((r) => r.id !== undefined), returning: getTableColumns(reviews) })).map((r) => [r.id, r]),
  );
  const created: (ReviewWithEvidence | undefined)[] = rows.map(() => undefined);
  for (const { row, values, evidence } of toInsert) {
    const got = inserted.get(values.id);
    if (got) created[row] = { ...got, evidence };
    else failures.add(row, takenIdFailure('review', values.id));
  }
  const written = created.filter((r): r is ReviewWithEvidence => r !== undefined);
  await insertMany(
    tx,
    reviewEvidence,
    written.flatMap((r) => r.evidence.map((e, position) => ({ review_id: r.id, position, ...e }))),
  );
  for (const row of written) w.record({ action: 'created', entityType: 'review', entityId: row.id, after: row });
  await refreshClaimsDerived(w, written.map((r) => r.claim_id), { reviewsChanged: true });
  return { created, failures: failures.sorted() };
}

/** `POST /v1/claims/{id}/reviews`: the claim is the resource addressed, so an unknown one is 404. */
export async function createReview(w: Write, claimId: string, body: ReviewCreateBody): Promise<ReviewWithEvidence> {
  const result = await createReviews(w, [{ claim_id: claimId, body }]);
  if (result.failures.some((f) => f.field === 'claim_id')) throw notFound('claim', claimId);
  return onlyRow(result);
}

export async function getReview(db: DbOrTx, id: string, options: { forUpdate?: boolean } = {}): Promise<ReviewWithEvidence> {
  const query = db.select().from(reviews).where(eq(reviews.id, id));
  const [row] = options.forUpdate ? await query.for('update') : await query;
  if (!row) throw notFound('review', id);
  return (await withEvidence(db, [row]))[0];
}

/** The WHERE conditions of the review list filters, shared by the list and the export. */
export function reviewFilters(params: ReviewListParams): (SQL | undefined)[] {
  return [
    params.claim_id ? eq(reviews.claim_id, params.claim_id) : undefined,
    params.verdict ? eq(reviews.verdict, params.verdict) : undefined,
    params.reviewer_name ? eq(reviews.reviewer_name, params.reviewer_name) : undefined,
    params.published_from ? gte(reviews.published_at, instant(params.published_from)) : undefined,
    params.published_to ? lt(reviews.published_at, instant(params.published_to)) : undefined,
  ];
}

export async function listReviews(db: Db, params: ReviewListParams) {
  const filters = reviewFilters(params);
  const page = await paginate({
    filters,
    sort: resolveSort(params.sort ?? '-created_at', sortFields),
    id: reviews.id,
    cursor: params.cursor,
    limit: params.limit ?? 50,
    fetch: (where, order, limit) => db.select().from(reviews).where(where).orderBy(...order).limit(limit),
    count: params.count ? async (where) => (await db.select({ n: count() }).from(reviews).where(where))[0].n : undefined,
  });
  return { ...page, data: await withEvidence(db, page.data) };
}

export async function updateReview(w: Write, id: string, patch: ReviewPatchBody, ifMatch?: string): Promise<ReviewWithEvidence> {
  const { tx } = w;
  // The sources it will cite, its claim, then the review (lock-order.ts).
  const before = await lockAfterParents(
    (forUpdate) => getReview(tx, id, { forUpdate }),
    async (seen) => {
      await lockSources(tx, (patch.evidence ?? []).map((e) => e.source_id));
      await lockClaims(tx, [seen.claim_id]);
    },
  );
  assertIfMatch(ifMatch, before.version);
  const { evidence, published_at, ...fields } = patch;
  const next = {
    ...fields,
    ...(fields.language !== undefined ? { language: canonicalLanguageOf(fields.language) } : {}),
    ...(published_at !== undefined ? { published_at: published_at ? new Date(published_at) : null } : {}),
  };
  checkRatings({ ...before, ...next });
  const changedFields = hasChanges(before, next);
  const evidenceChanged =
    evidence !== undefined &&
    hasChanges(before, { evidence: evidence.map((e) => ({ source_id: e.source_id, stance: e.stance, note: e.note ?? null })) });
  if (!changedFields && !evidenceChanged) return before;
  await tx
    .update(reviews)
    .set({ ...next, version: sql`${reviews.version} + 1`, updated_at: new Date() })
    .where(eq(reviews.id, id));
  if (evidenceChanged) await writeEvidence(tx, id, evidence);
  const after = await getReview(tx, id);
  await w.recordUpdate('review', id, before, after);
  await refreshClaimsDerived(w, [before.claim_id], { reviewsChanged: true });
  return after;
}

/** `?cascade=true` on a source: its evidence rows leave the review, which gets a new version and an event. */
export async function dropEvidenceOfSource(w: Write, reviewId: string, sourceId: string): Promise<void> {
  const { tx } = w;
  const before = await getReview(tx, reviewId, { forUpdate: true });
  await writeEvidence(
    tx,
    reviewId,
    before.evidence.filter((e) => e.source_id !== sourceId),
  );
  await tx.update(reviews).set({ version: sql`${reviews.version} + 1`, updated_at: new Date() }).where(eq(reviews.id, reviewId));
  await w.recordUpdate('review', reviewId, before, await getReview(tx, reviewId));
}

export async function deleteReview(w: Write, id: string, ifMatch?: string): Promise<void> {
  const { tx } = w;
  // Its claim, then the review (lock-order.ts).
  const before = await lockAfterParents(
    (forUpdate) => getReview(tx, id, { forUpdate }),
    async (seen) => void (await lockClaims(tx, [seen.claim_id])),
  );
  assertIfMatch(ifMatch, before.version);
  await tx.delete(reviews).where(and(eq(reviews.id, id)));
  await w.record({ action: 'deleted', entityType: 'review', entityId: id, before });
  await refreshClaimsDerived(w, [before.claim_id], { reviewsChanged: true });
}

/**
 * Everything a ClaimReview needs for the given reviews, of one claim or of many, in
 * two queries whatever their number: the claims, and their attributions with sources
 * and claimants. One input per review, in the order given. `claimIds` (default: the
 * reviews' claims) must all exist: a missing one is a 404.
 */
export async function claimReviewInputs(
  db: DbOrTx,
  reviewRows: ReviewRow[],
  claimIds: string[] = [...new Set(reviewRows.map((r) => r.claim_id))],
): Promise<ClaimReviewInput[]> {
  if (claimIds.length === 0) return [];
  const claimRows = new Map((await db.select().from(claims).where(anyOf(claims.id, claimIds))).map((c) => [c.id, c]));
  const missing = claimIds.find((id) => !claimRows.has(id));
  if (missing) throw notFound('claim', missing);
  const linked = await db
    .select({
      claim_id: attributions.claim_id,
      stance: attributions.stance,
      said_at: attributions.said_at,
      claimant_label: attributions.claimant_label,
      claimant_name: claimants.name,
      claimant_kind: claimants.kind,
      wikidata_id: claimants.wikidata_id,
      claimant_url: claimants.url,
      source_id: sources.id,
      source_url: sources.url,
      title: sources.title,
      publisher: sources.publisher,
      published_at: sources.published_at,
    })
    .from(attributions)
    .innerJoin(sources, eq(sources.id, attributions.source_id))
    .leftJoin(claimants, eq(claimants.id, attributions.claimant_id))
    .where(anyOf(attributions.claim_id, claimIds))
    .orderBy(attributions.created_at, attributions.id);
  const linkedByClaim = new Map<string, typeof linked>();
  for (const l of linked) linkedByClaim.set(l.claim_id, [...(linkedByClaim.get(l.claim_id) ?? []), l]);
  const perClaim = new Map<string, Pick<ClaimReviewInput, 'authors' | 'appearances'>>();
  for (const claimId of claimIds) {
    const links = linkedByClaim.get(claimId) ?? [];
    // The Claim's authors are those who assert it: denying, questioning or reporting it is not authorship.
    const authorsByName = new Map<string, ClaimReviewInput['authors'][number]>();
    for (const l of links.filter((a) => a.stance === 'asserts')) {
      const name = l.claimant_name ?? l.claimant_label;
      if (name && !authorsByName.has(name)) {
        authorsByName.set(name, { name, kind: l.claimant_kind, wikidata_id: l.wikidata_id, url: l.claimant_url });
      }
    }
    const appearancesBySource = new Map<string, ClaimReviewInput['appearances'][number]>();
    for (const l of links) {
      const seen = appearancesBySource.get(l.source_id);
      const seenAt = l.said_at ?? l.published_at;
      if (!seen) {
        appearancesBySource.set(l.source_id, { url: l.source_url, title: l.title, publisher: l.publisher, published_at: l.published_at, seen_at: seenAt });
      } else if (seenAt && (!seen.seen_at || seenAt < seen.seen_at)) {
        seen.seen_at = seenAt;
      }
    }
    perClaim.set(claimId, { authors: [...authorsByName.values()], appearances: [...appearancesBySource.values()] });
  }
  return reviewRows.map((review) => {
    const { authors, appearances } = perClaim.get(review.claim_id)!;
    return { claim: claimRows.get(review.claim_id)!, review, authors: [...authors], appearances: appearances.map((a) => ({ ...a })) };
  });
}

export async function reviewsOfClaim(db: DbOrTx, claimId: string): Promise<ReviewRow[]> {
  return db.select().from(reviews).where(eq(reviews.claim_id, claimId)).orderBy(asc(reviews.created_at), asc(reviews.id));
}
