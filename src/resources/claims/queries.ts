import { eq, getTableColumns, gt, gte, lt, sql, type SQL } from 'drizzle-orm';
import { insertMany, type RecordedEvent, type Write } from '../../db/write.js';
import { InputProblem, RowFailures, fieldPath, noSuch, takenIdFailure, type Created, type NewRow } from '../../lib/row-failures.js';
import { anyOf, type Db, type DbOrTx } from '../../db/client.js';
import { attributions, claimColumns, claimTerms, claimantColumns, claimants, claims, sources, type ClaimRow } from '../../db/schema.js';
import { canonicalLanguage, canonicalLanguageOf } from '../../domain/language.js';
import { assertIfMatch } from '../../lib/conditional.js';
import { notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { decodeCursor, encodeCursor, resolveSort, type SortField } from '../../db/pagination.js';
import { RANK_SORT, webSearch } from '../../db/search.js';
import { listPage, type ListSpec } from '../../db/list.js';
import { preparedClaimById, preparedClaimsAfter, preparedClaimsFirstPage } from './hot.js';
import { attributionsOfClaims, existingIds, planAttributions, writeAttributions } from '../attributions/queries.js';
import { hasChanges } from '../../lib/changes.js';
import { reviewsOfClaims } from '../reviews/queries.js';
import { refreshClaimsDerived } from './derived.js';
import type { ClaimCreateBody, ClaimListParams, ClaimPatchBody } from './schemas.js';
import { instant } from '../../lib/instants.js';

const sortFields: Record<string, SortField> = {
  created_at: { column: claims.created_at, cast: 'timestamptz', nullable: false },
  updated_at: { column: claims.updated_at, cast: 'timestamptz', nullable: false },
  first_seen_at: { column: claims.first_seen_at, cast: 'timestamptz', nullable: true },
  attribution_count: { column: claims.attribution_count, cast: 'integer', nullable: false },
};

/** The columns a create body gives a claim, shared by the single endpoint and bulk import. */
export function claimValues(body: ClaimCreateBody) {
  return {
    text: body.text,
    language: canonicalLanguageOf(body.language ?? null),
    topics: body.topics ?? [],
    status: body.status ?? 'unreviewed',
  };
}

/**
 * Creates many claims at once, each with its inline attributions, all or
 * nothing per claim: the attributions are checked (sources, claimants, quotes
 * anchored) before any claim is written, and a claim one of whose attributions
 * would be refused is not written. One INSERT for the claims, one for their
 * attributions; a claim's event is recorded once it is settled (derived fields
 * counted), before those of its attributions. The single endpoint calls this
 * with one row, extraction with its kept candidates, bulk import with a window
 * of lines.
 */
export async function createClaims(w: Write, rows: readonly NewRow<ClaimCreateBody>[]): Promise<Created<ClaimRow>> {
  const { tx } = w;
  const failures = new RowFailures();
  const ids = rows.map((r) => r.id ?? newId());
  // A taken id is found by the INSERT; a claim with attributions must know before they are checked.
  const taken = await existingIds(tx, claims, rows.flatMap((r) => (r.id && r.body.attributions?.length ? [r.id] : [])));
  rows.forEach((r, row) => r.id && taken.has(r.id) && failures.add(row, takenIdFailure('claim', r.id)));
  const inline = rows.flatMap((r, row) => (failures.has(row) ? [] : (r.body.attributions ?? []).map((body, i) => ({ row, i, claim_id: ids[row], body }))));
  const plan = inline.length ? await planAttributions(w, inline, { newClaims: true }) : undefined;
  for (const { row: k, field, ...failure } of plan?.failures.sorted() ?? []) {
    failures.add(inline[k].row, { ...failure, field: fieldPath(`attributions[${inline[k].i}]`, field) });
  }
  const now = new Date();
  const toInsert = rows.flatMap((r, row) =>
    failures.has(row) ? [] : [{ row, values: { id: ids[row], ...claimValues(r.body), created_at: now, updated_at: now, version: 1 } }],
  );
  const inserted = new Map((await insertMany<ClaimRow>(tx, claims, toInsert.map((r) => r.values), { skipTaken: rows.some((r) => r.id !== undefined), returning: claimColumns })).map((r) => [r.id, r]));
  for (const { row, values } of toInsert) if (!inserted.has(values.id)) failures.add(row, takenIdFailure('claim', values.id));
  let attributionEvents: RecordedEvent[] = [];
  const settled = new Map<string, ClaimRow>();
  if (plan) {
    // The attributions of claims that were not written are not written either.
    for (const [k, a] of inline.entries()) if (failures.has(a.row) && !plan.failures.has(k)) plan.failures.add(k, noSuch('claim_id', 'claim', a.claim_id));
    const { result, events } = await w.apart((inner) => writeAttributions(inner, plan, { newClaims: true }));
    // Inline attributions bring no id, so nothing checked above can fail them now.
    if (result.created.some((a, k) => !a && !failures.has(inline[k].row))) throw new Error('an inline attribution was not written after its checks passed');
    attributionEvents = events;
    const withInline = [...new Set(inline.filter((a) => !failures.has(a.row)).map((a) => a.claim_id))];
    await refreshClaimsDerived(w, withInline, { newVersion: false, log: false });
    if (withInline.length) for (const row of await tx.select(claimColumns).from(claims).where(anyOf(claims.id, withInline))) settled.set(row.id, row);
  }
  const created = rows.map((_, row) => (failures.has(row) ? undefined : (settled.get(ids[row]) ?? inserted.get(ids[row]))));
  for (const row of created) if (row) w.record({ action: 'created', entityType: 'claim', entityId: row.id, after: row });
  w.append(attributionEvents);
  return { created, failures: failures.sorted() };
}

export async function getClaim(db: DbOrTx, id: string, options: { forUpdate?: boolean } = {}): Promise<ClaimRow> {
  // The hot path (GET /v1/claims/{id}) runs a prepared statement; inside a transaction the builder.
  const prepared = options.forUpdate ? undefined : preparedClaimById(db);
  if (prepared) {
    const [row] = await prepared.execute({ id });
    if (!row) throw notFound('claim', id);
    return row;
  }
  const query = db.select(claimColumns).from(claims).where(eq(claims.id, id));
  const [row] = options.forUpdate ? await query.for('update') : await query;
  if (!row) throw notFound('claim', id);
  return row;
}

/**
 * `language=en` matches `en`, `en-GB` and `en-US`, `language=en-GB` only `en-GB` and
 * its subtags (`en-GB-oxendict`): a prefix ending on a subtag boundary, as tags are
 * stored canonical.
 */
function inLanguage(tag: string): SQL {
  const canonical = canonicalLanguage(tag);
  return sql`(${claims.language} = ${canonical} or starts_with(${claims.language}, ${`${canonical}-`}))`;
}

/** The WHERE conditions of the claim filters, shared by the list, the stats and the export. */
export function claimFilters(params: ClaimListParams): (SQL | undefined)[] {
  const attributedWith = (condition: SQL) =>
    sql`exists (select 1 from ${attributions} where ${attributions.claim_id} = ${claims.id} and ${condition})`;
  return [
    params.status ? eq(claims.status, params.status) : undefined,
    params.verdict ? eq(claims.verdict, params.verdict) : undefined,
    params.claimant_id ? attributedWith(eq(attributions.claimant_id, params.claimant_id)) : undefined,
    params.source_id ? attributedWith(eq(attributions.source_id, params.source_id)) : undefined,
    params.topic ? sql`${claims.topics} @> array[${params.topic}]::text[]` : undefined,
    params.language ? inLanguage(params.language) : undefined,
    params.seen_from ? gte(claims.first_seen_at, instant(params.seen_from)) : undefined,
    params.seen_to ? lt(claims.first_seen_at, instant(params.seen_to)) : undefined,
    params.has_review === undefined ? undefined : params.has_review ? gt(claims.review_count, 0) : eq(claims.review_count, 0),
    params.q !== undefined ? sql`${claims.search} @@ ${webSearch(params.q)}` : undefined,
  ];
}

const claimList: ListSpec<ClaimListParams> = {
  list: 'claims',
  table: claims,
  id: claims.id,
  columns: claimColumns,
  sortFields,
  filters: claimFilters,
  search: {
    document: sql`${claims.search}`,
    highlight: claims.text,
    terms: { table: sql`${claimTerms}`, term: sql`${claimTerms.term}`, weight: sql`${claimTerms.weight}`, doc: sql`${claimTerms.claim_id}` },
  },
};

/** `GET /v1/claims`: filtered and sorted, or searched (`q`) best first; the unfiltered newest-first list runs prepared statements. */
export async function listClaims(db: Db, params: ClaimListParams) {
  const sort = params.q === undefined && params.sort !== RANK_SORT ? resolveSort(params.sort ?? '-created_at', sortFields) : undefined;
  const hot = sort?.name === '-created_at' && !params.count && claimFilters(params).every((f) => f === undefined);
  const firstPage = hot ? preparedClaimsFirstPage(db) : undefined;
  const laterPage = hot ? preparedClaimsAfter(db) : undefined;
  if (sort && firstPage && laterPage) {
    const limit = params.limit ?? 50;
    const after = params.cursor ? decodeCursor(params.cursor, sort) : undefined;
    const rows = after
      ? await laterPage.execute({ created_at: String(after.v), id: after.id, limit: limit + 1 })
      : await firstPage.execute({ limit: limit + 1 });
    const data = rows.slice(0, limit);
    return { data, next_cursor: rows.length > limit ? encodeCursor(sort, data[data.length - 1]) : null };
  }
  return listPage<ClaimListParams, ClaimRow>(db, claimList, params);
}

/**
 * Full-text search, best first: `search @@ websearch_to_tsquery('english', q)` on the
 * GIN index, ranked by the weights of claim_terms (lib/search.ts: exact on every page).
 * Only the page's rows get a `highlight`: ts_headline re-parses the text, so it runs
 * after the limit.
 */

export async function updateClaim(w: Write, id: string, body: ClaimPatchBody, ifMatch?: string): Promise<ClaimRow> {
  const { tx } = w;
  const patch = body.language === undefined ? body : { ...body, language: canonicalLanguageOf(body.language) };
  const before = await getClaim(tx, id, { forUpdate: true });
  assertIfMatch(ifMatch, before.version);
  if (patch.status === 'unreviewed' && before.review_count > 0) {
    // A claim with reviews is reviewed (or back in review); `unreviewed` would contradict its verdict.
    throw new InputProblem({
      field: 'status',
      code: 'conflict',
      message: 'cannot be unreviewed while the claim has reviews',
      detail: 'This claim has reviews; it can be marked `in_review` but not `unreviewed`. Delete its reviews first.',
    });
  }
  const changed = hasChanges(before, patch);
  if (!changed) return before;
  const [after] = await tx
    .update(claims)
    .set({ ...patch, version: sql`${claims.version} + 1`, updated_at: new Date() })
    .where(eq(claims.id, id))
    .returning(claimColumns);
  await w.recordUpdate('claim', id, before, after);
  return after;
}

/** Deleting a claim deletes its attributions and reviews (ON DELETE CASCADE), each logged. */
export async function deleteClaim(w: Write, id: string, ifMatch?: string): Promise<void> {
  const { tx } = w;
  const before = await getClaim(tx, id, { forUpdate: true });
  assertIfMatch(ifMatch, before.version);
  const ownAttributions = await attributionsOfClaims(tx, [id]);
  const ownReviews = await reviewsOfClaims(tx, [id]);
  await tx.delete(claims).where(eq(claims.id, id));
  for (const a of ownAttributions) await w.record({ action: 'deleted', entityType: 'attribution', entityId: a.id, before: a });
  for (const r of ownReviews) await w.record({ action: 'deleted', entityType: 'review', entityId: r.id, before: r });
  await w.record({ action: 'deleted', entityType: 'claim', entityId: id, before });
}

export type ClaimInclude = 'attributions' | 'reviews' | 'claimants' | 'sources';

const { text: _sourceText, ...sourceSummaryColumns } = getTableColumns(sources);

/**
 * Embeds related rows into a page of claims with one query per relation,
 * whatever the number of claims (never one query per row).
 */
export async function embedInClaims(db: DbOrTx, rows: ClaimRow[], include: ClaimInclude[]) {
  const ids = rows.map((r) => r.id);
  const out = rows.map((r) => ({ ...r }) as ClaimRow & Record<string, unknown>);
  if (ids.length === 0 || include.length === 0) return out;
  const group = <T>(items: (T & { claim_id: string })[], strip = false) => {
    const byClaim = new Map<string, T[]>();
    for (const item of items) {
      const { claim_id, ...rest } = item;
      const list = byClaim.get(claim_id) ?? [];
      list.push((strip ? rest : item) as T);
      byClaim.set(claim_id, list);
    }
    return byClaim;
  };
  if (include.includes('attributions')) {
    const byClaim = group(await attributionsOfClaims(db, ids));
    for (const c of out) c.attributions = byClaim.get(c.id) ?? [];
  }
  if (include.includes('reviews')) {
    const byClaim = group(await reviewsOfClaims(db, ids));
    for (const c of out) c.reviews = byClaim.get(c.id) ?? [];
  }
  if (include.includes('claimants')) {
    const linked = await db
      .selectDistinct({ claim_id: attributions.claim_id, ...claimantColumns })
      .from(attributions)
      .innerJoin(claimants, eq(claimants.id, attributions.claimant_id))
      .where(anyOf(attributions.claim_id, ids))
      .orderBy(attributions.claim_id, claimants.name, claimants.id);
    const byClaim = group(linked, true);
    for (const c of out) c.claimants = byClaim.get(c.id) ?? [];
  }
  if (include.includes('sources')) {
    const linked = await db
      .selectDistinct({ claim_id: attributions.claim_id, ...sourceSummaryColumns })
      .from(attributions)
      .innerJoin(sources, eq(sources.id, attributions.source_id))
      .where(anyOf(attributions.claim_id, ids))
      .orderBy(attributions.claim_id, sources.id);
    const byClaim = group(linked, true);
    for (const c of out) c.sources = byClaim.get(c.id) ?? [];
  }
  return out;
}

