import { and, eq, getTableColumns, isNotNull, sql, type SQL } from 'drizzle-orm';
import { insertMany, type Write } from '../../db/write.js';
import { anyOf, type Db, type DbOrTx } from '../../db/client.js';
import { attributions, claimColumns, claimantColumns, claimants, claims, searchExpressions, sources, type AttributionRow } from '../../db/schema.js';
import { attributionTerms } from '../../db/schema.js';
import { anchorQuotation, type QuotationAnchor, type QuotationMiss } from '../../domain/anchor.js';
import { assertIfMatch } from '../../lib/conditional.js';
import { notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { InputProblem, RowFailures, noSuch, takenIdFailure, type Created, type RowFailure } from '../../lib/row-failures.js';
import { type SortField } from '../../db/pagination.js';
import { listPage, type ListSpec } from '../../db/list.js';
import { webSearch } from '../../db/search.js';
import { hasChanges } from '../../lib/changes.js';
import { refreshClaimsDerived } from '../claims/derived.js';
import { resolveClaimantByName, resolveClaimantNames, type ClaimantResolution } from '../claimants/queries.js';
import { lockAfterParents, lockClaimants, lockClaims, lockSources } from '../lock-order.js';
import type { AttributionInlineBody, AttributionListParams, AttributionPatchBody } from './schemas.js';
import { instant } from '../../lib/instants.js';

const sortFields: Record<string, SortField> = {
  created_at: { column: attributions.created_at, cast: 'timestamptz', nullable: false },
  updated_at: { column: attributions.updated_at, cast: 'timestamptz', nullable: false },
  said_at: { column: attributions.said_at, cast: 'timestamptz', nullable: true },
};

const fieldError = (field: string, message: string, code: 'validation_failed' | 'unprocessable' = 'unprocessable') => new InputProblem({ field, code, message });

/**
 * Reads the source's text under a share lock: a concurrent change of that text
 * waits for this transaction, and then sees the attribution anchored in it.
 */
async function sourceTextForAnchoring(tx: DbOrTx, sourceId: string): Promise<string | null> {
  const [row] = await tx.select({ text: sources.text }).from(sources).where(eq(sources.id, sourceId)).for('share');
  if (!row) throw new InputProblem(noSuch('source_id', 'source', sourceId));
  return row.text;
}

const QUOTE_NOT_FOUND =
  'The quote does not appear in the source text (even forgiving whitespace, quote styles, dashes and case, and reading elisions and bracketed insertions).';

/** What the 422 says of a quote that is not in the source: which part, and why. */
export function quoteMissMessage(miss: QuotationMiss): string {
  const part = miss.marked ? `part ${miss.part} of ${miss.parts} (${JSON.stringify(miss.text)}) ` : '';
  if (miss.reason === 'no_words') return 'has no words to find outside its elisions and bracketed insertions';
  if (miss.reason === 'too_far') {
    return `${part}is not in the source text within ${miss.maxGap} characters after part ${miss.part - 1} (parts must appear in order)`;
  }
  return `${part}is not in the source text`;
}

/**
 * Anchors a quote in a source text: the selector of its whole span and its
 * parts, or null when the source has no text. A quote that is not in the text
 * throws 422 quote_not_in_source naming the part that was not found.
 */
export function anchorOrRefuse(text: string | null, quote: string | null | undefined) {
  if (!quote || text === null) return { selector: null, parts: null, anchored: false };
  const found = anchorQuotation(text, quote);
  if ('miss' in found) throw new InputProblem({ field: 'quote', code: 'quote_not_in_source', message: quoteMissMessage(found.miss), detail: QUOTE_NOT_FOUND });
  return { ...found.anchor, anchored: true };
}

async function resolveWho(w: Write,
  body: { claimant_id?: string | null; claimant_name?: string; claimant_label?: string | null },
): Promise<{ claimant_id: string | null; claimant_label: string | null; resolution?: ClaimantResolution }> {
  const { tx } = w;
  if (body.claimant_id && body.claimant_name) {
    throw fieldError('claimant_name', 'cannot be given together with claimant_id', 'validation_failed');
  }
  let claimantId = body.claimant_id ?? null;
  let resolution: ClaimantResolution | undefined;
  if (body.claimant_name) {
    resolution = await resolveClaimantByName(w, body.claimant_name);
    claimantId = resolution.claimant_id;
  }
  // Held until commit, so the claimant cannot be deleted under the attribution (lock-order.ts).
  if (claimantId && !(await lockClaimants(tx, [claimantId])).has(claimantId)) {
    throw new InputProblem(noSuch('claimant_id', 'claimant', claimantId));
  }
  const label = body.claimant_label ?? null;
  if (!claimantId && !label) {
    throw fieldError('', 'needs claimant_id, claimant_name or claimant_label', 'validation_failed');
  }
  return { claimant_id: claimantId, claimant_label: label, resolution };
}

/** How an attribution is said (kind, stance, quote, time), shared by the single endpoints and bulk import. */
export function attributionValues(body: AttributionInlineBody) {
  return {
    kind: body.kind ?? 'direct_quote',
    stance: body.stance ?? 'asserts',
    quote: body.quote ?? null,
    said_at: body.said_at ? instant(body.said_at) : null,
  };
}

/** One attribution to create: of `claim_id`, said as `body` says; `id` for an import of exported rows. */
export interface NewAttribution {
  id?: string;
  claim_id: string;
  body: AttributionInlineBody;
}

export type CreatedAttribution = AttributionRow & { claimant_resolution?: ClaimantResolution };

/** Source text read at once for anchoring, in UTF-16 units: a window of quotes in 1 MiB sources stays bounded. */
const TEXT_BUDGET = 8_000_000;
/** A source's text is at most 1 MiB of UTF-8 (sources_text_size_check), so at most this many UTF-16 units. */
const MAX_SOURCE_TEXT = 1_048_576;

/** A set of attributions checked, with their quotes anchored; nothing written yet. */
export interface AttributionPlan {
  rows: readonly NewAttribution[];
  failures: RowFailures;
  anchors: Map<number, QuotationAnchor>;
}

/**
 * Creates many attributions at once: checks, locks, anchoring and `claimant_name`
 * resolution for all of them in a few statements, one INSERT, an
 * `attribution.created` event each in input order, and the derived fields of
 * their claims refreshed once per claim. The single endpoint calls this with
 * one row, bulk import with a window of lines.
 */
export async function createAttributions(w: Write, rows: readonly NewAttribution[]): Promise<Created<CreatedAttribution>> {
  return writeAttributions(w, await planAttributions(w, rows, { newClaims: false }), { newClaims: false });
}

/**
 * The checks of `createAttributions`, made before anything is written, so a
 * claim created with its attributions (`createClaims`) can be refused whole.
 * Takes the locks in the lock order (lock-order.ts): the sources FOR SHARE
 * (their text must not change under the anchors), the claimants named by id.
 * `newClaims`: the claims are being created by the same write, so they are
 * neither looked up nor refreshed here.
 */
export async function planAttributions(w: Write, rows: readonly NewAttribution[], options: { newClaims: boolean }): Promise<AttributionPlan> {
  const { tx } = w;
  const failures = new RowFailures();
  const sourceIds = await lockSources(tx, rows.map((r) => r.body.source_id));
  const claimantIds = await lockClaimants(tx, rows.map((r) => r.body.claimant_id));
  const claimIds = options.newClaims ? undefined : await existingIds(tx, claims, rows.map((r) => r.claim_id));
  // A taken id is found by the INSERT; a row naming its claimant must know before the name creates one.
  const takenIds = await existingIds(tx, attributions, rows.flatMap((r) => (r.id && r.body.claimant_name !== undefined ? [r.id] : [])));
  rows.forEach(({ id, claim_id, body }, row) => {
    const byName = body.claimant_name !== undefined;
    if (body.claimant_id && byName) failures.add(row, { field: 'claimant_name', code: 'validation_failed', message: 'cannot be given together with claimant_id' });
    else if (!body.claimant_id && !byName && !body.claimant_label) {
      failures.add(row, { field: '', code: 'validation_failed', message: 'needs claimant_id, claimant_name or claimant_label' });
    } else if (body.claimant_id && !claimantIds.has(body.claimant_id)) failures.add(row, noSuch('claimant_id', 'claimant', body.claimant_id));
    else if (claimIds && !claimIds.has(claim_id)) failures.add(row, noSuch('claim_id', 'claim', claim_id));
    else if (!sourceIds.has(body.source_id)) failures.add(row, noSuch('source_id', 'source', body.source_id));
    else if (id && takenIds.has(id)) failures.add(row, takenIdFailure('attribution', id));
  });
  return { rows, failures, anchors: await anchorQuotes(tx, rows, failures) };
}

/** Anchors the quotes of the rows not failed yet, reading source texts a few megabytes at a time; a quote not found fails its row. */
async function anchorQuotes(tx: DbOrTx, rows: readonly NewAttribution[], failures: RowFailures): Promise<Map<number, QuotationAnchor>> {
  const anchors = new Map<number, QuotationAnchor>();
  const quoted = rows.flatMap((r, row) => (r.body.quote && !failures.has(row) ? [row] : []));
  if (quoted.length === 0) return anchors;
  const cited = [...new Set(quoted.map((row) => rows[row].body.source_id))];
  // A few sources fit the budget whatever their size (a text is at most 1 MiB): read them
  // at once. More are read a budget at a time, by their lengths.
  const lengths = new Map(
    cited.length * MAX_SOURCE_TEXT <= TEXT_BUDGET
      ? cited.map((id) => [id, 0])
      : (await tx.select({ id: sources.id, length: sources.text_length }).from(sources).where(and(anyOf(sources.id, cited), isNotNull(sources.text)))).map(
          (r) => [r.id, r.length ?? 0],
        ),
  );
  const withText = [...lengths.keys()];
  for (let start = 0; start < withText.length; ) {
    const chunk: string[] = [];
    for (let budget = 0; start < withText.length && (chunk.length === 0 || budget + lengths.get(withText[start])! <= TEXT_BUDGET); start++) {
      budget += lengths.get(withText[start])!;
      chunk.push(withText[start]);
    }
    const texts = new Map(
      (await tx.select({ id: sources.id, text: sources.text }).from(sources).where(and(anyOf(sources.id, chunk), isNotNull(sources.text)))).map((r) => [r.id, r.text!]),
    );
    for (const row of quoted) {
      const text = texts.get(rows[row].body.source_id);
      if (text === undefined) continue;
      const found = anchorQuotation(text, rows[row].body.quote!);
      if ('anchor' in found) anchors.set(row, found.anchor);
      else failures.add(row, { field: 'quote', code: 'quote_not_in_source', message: quoteMissMessage(found.miss), detail: QUOTE_NOT_FOUND });
    }
  }
  return anchors;
}

/** Writes what `planAttributions` passed: names resolved to claimants, the rows, their events. */
export async function writeAttributions(w: Write, plan: AttributionPlan, options: { newClaims: boolean }): Promise<Created<CreatedAttribution>> {
  const { tx } = w;
  const { rows, failures, anchors } = plan;
  const ok = () => rows.flatMap((_, row) => (failures.has(row) ? [] : [row]));
  // claimant_name, for the rows that will be written, at once: a refused row creates no claimant.
  const named = ok().filter((row) => rows[row].body.claimant_name !== undefined);
  const resolutions = new Map<number, ClaimantResolution>();
  // Each new claimant is logged just before the first attribution that names it.
  const { result: resolved, events: claimantEvents } = await w.apart((inner) => resolveClaimantNames(inner, named.map((row) => rows[row].body.claimant_name!)));
  resolved.forEach((r, k) => resolutions.set(named[k], r));
  const claimantEvent = new Map(claimantEvents.map((e) => [e.entityId, e]));
  if (!options.newClaims) {
    // Last in the lock order, the claims, FOR UPDATE: their derived fields are recomputed below.
    const locked = await lockClaims(tx, ok().map((row) => rows[row].claim_id));
    for (const row of ok()) if (!locked.has(rows[row].claim_id)) failures.add(row, noSuch('claim_id', 'claim', rows[row].claim_id));
  }
  const now = new Date();
  const toInsert = ok().map((row) => {
    const { id, claim_id, body } = rows[row];
    const anchor = anchors.get(row);
    const values = {
      id: id ?? newId(),
      claim_id,
      source_id: body.source_id,
      claimant_id: resolutions.get(row)?.claimant_id ?? body.claimant_id ?? null,
      claimant_label: body.claimant_label ?? null,
      ...attributionValues(body),
      selector: anchor?.selector ?? null,
      parts: anchor?.parts ?? null,
      anchored: anchor !== undefined,
      created_at: now,
      updated_at: now,
      version: 1,
    };
    return { row, values };
  });
  const inserted = new Map(
    (await insertMany<AttributionRow>(tx, attributions, toInsert.map((r) => r.values), { skipTaken: rows.some((r) => r.id !== undefined), returning: getTableColumns(attributions) })).map((r) => [r.id, r]),
  );
  const created: (CreatedAttribution | undefined)[] = rows.map(() => undefined);
  for (const { row, values } of toInsert) {
    const got = inserted.get(values.id);
    if (!got) {
      failures.add(row, takenIdFailure('attribution', values.id));
      continue;
    }
    const resolution = resolutions.get(row);
    created[row] = resolution ? { ...got, claimant_resolution: resolution } : got;
    const newClaimant = resolution && claimantEvent.get(resolution.claimant_id);
    if (newClaimant) {
      w.append([newClaimant]);
      claimantEvent.delete(resolution.claimant_id);
    }
    w.record({ action: 'created', entityType: 'attribution', entityId: got.id, after: got });
  }
  // A claimant whose attributions were all refused at the last step still exists: logged too.
  w.append([...claimantEvent.values()]);
  if (!options.newClaims) await refreshClaimsDerived(w, created.flatMap((r) => (r ? [r.claim_id] : [])));
  return { created, failures: failures.sorted() };
}

/** The ids of `table` among `ids` (unlocked). */
export async function existingIds(tx: DbOrTx, table: typeof claims | typeof attributions, ids: readonly string[]): Promise<Set<string>> {
  const wanted = [...new Set(ids)];
  if (wanted.length === 0) return new Set();
  return new Set((await tx.select({ id: table.id }).from(table).where(anyOf(table.id, wanted))).map((r) => r.id));
}

export async function getAttribution(db: DbOrTx, id: string, options: { forUpdate?: boolean } = {}): Promise<AttributionRow> {
  const query = db.select().from(attributions).where(eq(attributions.id, id));
  const [row] = options.forUpdate ? await query.for('update') : await query;
  if (!row) throw notFound('attribution', id);
  return row;
}

/** The WHERE conditions of the attribution list filters, shared by the list and the export. */
export function attributionFilters(params: AttributionListParams): (SQL | undefined)[] {
  return [
    params.claim_id ? eq(attributions.claim_id, params.claim_id) : undefined,
    params.source_id ? eq(attributions.source_id, params.source_id) : undefined,
    params.claimant_id ? eq(attributions.claimant_id, params.claimant_id) : undefined,
    params.kind ? eq(attributions.kind, params.kind) : undefined,
    params.stance ? eq(attributions.stance, params.stance) : undefined,
    params.q !== undefined ? sql`${quoteDocument} @@ ${webSearch(params.q)}` : undefined,
  ];
}

/** The indexed search document of an attribution (attributions_search_idx): its quote. */
const quoteDocument = searchExpressions.attributionDocument(attributions.quote);

const attributionList: ListSpec<AttributionListParams> = {
  list: 'attributions',
  table: attributions,
  id: attributions.id,
  columns: getTableColumns(attributions),
  sortFields,
  filters: attributionFilters,
  search: {
    document: quoteDocument,
    highlight: attributions.quote,
    terms: { table: sql`${attributionTerms}`, term: sql`${attributionTerms.term}`, weight: sql`${attributionTerms.weight}`, doc: sql`${attributionTerms.attribution_id}` },
  },
};

/** `GET /v1/attributions`: filtered and sorted, or searched (`q`, the quotes) best first. */
export const listAttributions = (db: Db, params: AttributionListParams) => listPage<AttributionListParams, AttributionRow>(db, attributionList, params);


/** `q` on attributions: full text over quotes, best first (lib/search.ts), with a highlight of the quote. */

export async function updateAttribution(w: Write,
  id: string,
  patch: AttributionPatchBody,
  ifMatch?: string,
): Promise<AttributionRow & { claimant_resolution?: ClaimantResolution }> {
  const { tx } = w;
  if (patch.claimant_id != null && patch.claimant_name !== undefined) {
    throw fieldError('claimant_name', 'cannot be given together with claimant_id', 'validation_failed');
  }
  const whoChanged = patch.claimant_id !== undefined || patch.claimant_name !== undefined || patch.claimant_label !== undefined;
  let who: { claimant_id: string | null; claimant_label: string | null } = { claimant_id: null, claimant_label: null };
  let resolution: ClaimantResolution | undefined;
  // Its sources and claimant, then its claims, then the attribution itself (lock-order.ts).
  const before = await lockAfterParents(
    (forUpdate) => getAttribution(tx, id, { forUpdate }),
    async (seen) => {
      await lockSources(tx, [seen.source_id, patch.source_id]);
      const resolved = whoChanged
        ? await resolveWho(
            w,
            {
              claimant_id: patch.claimant_name !== undefined ? undefined : patch.claimant_id !== undefined ? patch.claimant_id : seen.claimant_id,
              claimant_name: patch.claimant_name,
              claimant_label: patch.claimant_label !== undefined ? patch.claimant_label : seen.claimant_label,
            },
          )
        : { claimant_id: seen.claimant_id, claimant_label: seen.claimant_label, resolution: undefined };
      ({ resolution, ...who } = resolved);
      const found = await lockClaims(tx, [seen.claim_id, patch.claim_id]);
      if (patch.claim_id && !found.has(patch.claim_id)) throw new InputProblem(noSuch('claim_id', 'claim', patch.claim_id));
    },
  );
  assertIfMatch(ifMatch, before.version);
  const sourceId = patch.source_id ?? before.source_id;
  const quote = patch.quote !== undefined ? patch.quote : before.quote;
  const reanchor = sourceId !== before.source_id || quote !== before.quote;
  const anchoring = reanchor
    ? anchorOrRefuse(await sourceTextForAnchoring(tx, sourceId), quote)
    : { selector: before.selector, parts: before.parts, anchored: before.anchored };
  const next = {
    claim_id: patch.claim_id ?? before.claim_id,
    source_id: sourceId,
    ...who,
    kind: patch.kind ?? before.kind,
    stance: patch.stance ?? before.stance,
    quote,
    said_at: patch.said_at !== undefined ? (patch.said_at ? instant(patch.said_at) : null) : before.said_at,
    ...anchoring,
  };
  const changed = hasChanges(before, next);
  if (!changed) return resolution ? { ...before, claimant_resolution: resolution } : before;
  const [after] = await tx
    .update(attributions)
    .set({ ...next, version: sql`${attributions.version} + 1`, updated_at: new Date() })
    .where(eq(attributions.id, id))
    .returning();
  await refreshClaimsDerived(w, [before.claim_id, after.claim_id]);
  await w.recordUpdate('attribution', id, before, after);
  return resolution ? { ...after, claimant_resolution: resolution } : after;
}

export async function deleteAttribution(w: Write, id: string, ifMatch?: string): Promise<void> {
  const { tx } = w;
  // Its claim, then the attribution (lock-order.ts).
  const before = await lockAfterParents(
    (forUpdate) => getAttribution(tx, id, { forUpdate }),
    async (seen) => void (await lockClaims(tx, [seen.claim_id])),
  );
  assertIfMatch(ifMatch, before.version);
  await tx.delete(attributions).where(eq(attributions.id, id));
  await w.record({ action: 'deleted', entityType: 'attribution', entityId: id, before });
  await refreshClaimsDerived(w, [before.claim_id]);
}

export async function hasAnchoredAttributions(tx: DbOrTx, sourceId: string): Promise<boolean> {
  const [row] = await tx
    .select({ id: attributions.id })
    .from(attributions)
    .where(and(eq(attributions.source_id, sourceId), eq(attributions.anchored, true)))
    .limit(1);
  return Boolean(row);
}

/**
 * A source gained (or replaced unanchored) text: anchor every attribution that
 * carries a quote. One that is not in the new text refuses the whole change.
 */
export async function reanchorSourceAttributions(w: Write, sourceId: string, text: string): Promise<void> {
  const { tx } = w;
  const waiting = await tx
    .select()
    .from(attributions)
    .where(and(eq(attributions.source_id, sourceId), isNotNull(attributions.quote)))
    .for('update');
  const missing: Omit<RowFailure, 'row'>[] = [];
  for (const before of waiting) {
    const found = anchorQuotation(text, before.quote!);
    if ('miss' in found) {
      missing.push({
        field: 'text',
        code: 'quote_not_in_source',
        message: `does not contain the quote of attribution ${before.id}: ${quoteMissMessage(found.miss)}`,
        detail: 'The new text does not contain the quotes of attributions that use this source.',
      });
      continue;
    }
    const [after] = await tx
      .update(attributions)
      .set({ ...found.anchor, anchored: true, version: sql`${attributions.version} + 1`, updated_at: new Date() })
      .where(eq(attributions.id, before.id))
      .returning();
    await w.recordUpdate('attribution', before.id, before, after);
  }
  if (missing.length) throw new InputProblem(...missing);
}

/** Embedding: one query for all the attributions of a page of claims. */
export async function attributionsOfClaims(db: DbOrTx, claimIds: string[]): Promise<AttributionRow[]> {
  if (claimIds.length === 0) return [];
  return db.select().from(attributions).where(anyOf(attributions.claim_id, claimIds)).orderBy(attributions.created_at, attributions.id);
}


export type AttributionInclude = 'claim' | 'source' | 'claimant';

/** Embeds claim, source (without text) and claimant into a page of attributions: one query per relation. */
export async function embedInAttributions(db: DbOrTx, rows: AttributionRow[], include: AttributionInclude[]) {
  const out = rows.map((r) => ({ ...r }) as AttributionRow & Record<string, unknown>);
  if (rows.length === 0 || include.length === 0) return out;
  const byId = <T extends { id: string }>(items: T[]) => new Map(items.map((i) => [i.id, i]));
  if (include.includes('claim')) {
    const found = byId(await db.select(claimColumns).from(claims).where(anyOf(claims.id, [...new Set(rows.map((r) => r.claim_id))])));
    for (const a of out) a.claim = found.get(a.claim_id);
  }
  if (include.includes('source')) {
    const { text: _text, ...summary } = getTableColumns(sources);
    const found = byId(await db.select(summary).from(sources).where(anyOf(sources.id, [...new Set(rows.map((r) => r.source_id))])));
    for (const a of out) a.source = found.get(a.source_id);
  }
  if (include.includes('claimant')) {
    const ids = [...new Set(rows.map((r) => r.claimant_id).filter((id): id is string => id !== null))];
    const found = byId(ids.length ? await db.select(claimantColumns).from(claimants).where(anyOf(claimants.id, ids)) : []);
    for (const a of out) a.claimant = a.claimant_id ? (found.get(a.claimant_id) ?? null) : null;
  }
  return out;
}
