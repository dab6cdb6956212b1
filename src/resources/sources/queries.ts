import { createHash } from 'node:crypto';
import { and, eq, getTableColumns, gte, lt, sql, type SQL } from 'drizzle-orm';
import { insertMany, type Write } from '../../db/write.js';
import { anyOf, type Db, type DbOrTx } from '../../db/client.js';
import { searchExpressions, sourceTerms, sources, type SourceRow } from '../../db/schema.js';
import { canonicalLanguageOf } from '../../domain/language.js';
import { normaliseSourceUrl } from '../../domain/url.js';
import { assertIfMatch } from '../../lib/conditional.js';
import { ApiError, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { InputProblem, RowFailures, takenIdFailure, type Created, type NewRow, type RowFailure } from '../../lib/row-failures.js';
import { type SortField } from '../../db/pagination.js';
import { listPage, type ListSpec } from '../../db/list.js';
import { webSearch } from '../../db/search.js';
import { hasChanges } from '../../lib/changes.js';
import { reanchorSourceAttributions, hasAnchoredAttributions } from '../attributions/queries.js';
import { deleteAttributionsOf, isReferenced, lockClaimsOf } from '../attributions/owners.js';
import { refreshClaimsOfSource } from '../claims/derived.js';
import { awaitTurnToChange } from '../lock-order.js';
import type { SourceCreateBody, SourceListParams, SourcePatchBody } from './schemas.js';
import { instant } from '../../lib/instants.js';

const { text: _text, ...summaryColumns } = getTableColumns(sources);

const sortFields: Record<string, SortField> = {
  created_at: { column: sources.created_at, cast: 'timestamptz', nullable: false },
  updated_at: { column: sources.updated_at, cast: 'timestamptz', nullable: false },
  published_at: { column: sources.published_at, cast: 'timestamptz', nullable: true },
  title: { column: sources.title, cast: 'text', nullable: false },
};

const INVALID_URL: Omit<RowFailure, 'row'> = {
  field: 'url',
  code: 'validation_failed',
  message: 'must be an absolute http(s) URL without credentials',
  detail: 'url must be an absolute http or https URL without credentials.',
};

const takenUrl = (url: string, holder: string): Omit<RowFailure, 'row'> => ({
  field: 'url',
  code: 'conflict',
  message: 'is already used by another source',
  detail: `A source with the url ${url} already exists.`,
  existing_id: holder,
});

export function urlOrRefuse(url: string | null | undefined): string | null {
  if (url === undefined || url === null) return null;
  const normalised = normaliseSourceUrl(url);
  if (!normalised) throw new InputProblem(INVALID_URL);
  return normalised;
}

/** What the change log keeps of a source: everything but the (possibly 1 MiB) text. */
export function snapshot(row: SourceRow) {
  const { text: _t, ...rest } = row;
  return rest;
}

export function textFields(text: string | null | undefined) {
  if (text === undefined || text === null) return { text: null, text_length: null, content_sha256: null };
  return { text, text_length: text.length, content_sha256: createHash('sha256').update(text, 'utf8').digest('hex') };
}

async function refuseTakenUrl(tx: DbOrTx, url: string | null, exceptId?: string) {
  if (!url) return;
  const [taken] = await tx.select({ id: sources.id }).from(sources).where(eq(sources.url, url)).limit(1);
  if (taken && taken.id !== exceptId) throw new InputProblem(takenUrl(url, taken.id));
}

/**
 * The columns a create body gives a source (url already normalised), shared by the
 * single endpoint and bulk import. Both check the body first (app.ts for a request,
 * bulk/prepare.ts for each line), so nothing is checked again here.
 */
export function sourceValues(body: SourceCreateBody, url: string | null) {
  return {
    kind: body.kind,
    url,
    title: body.title,
    publisher: body.publisher ?? null,
    authors: body.authors ?? [],
    language: canonicalLanguageOf(body.language ?? null),
    published_at: body.published_at ? instant(body.published_at) : null,
    metadata: body.metadata ?? {},
    ...textFields(body.text),
  };
}

/**
 * Creates many sources at once, one statement for all, each with its
 * `source.created` event in input order. A url (normalised) may be held by one
 * source only: one already taken, or given by an earlier row of the same input,
 * fails the row. The single endpoint calls this with one row, bulk import with
 * a window of lines.
 */
export async function createSources(w: Write, rows: readonly NewRow<SourceCreateBody>[]): Promise<Created<SourceRow>> {
  const failures = new RowFailures();
  const now = new Date();
  const byUrl = new Map<string, number>();
  const toInsert: { row: number; values: typeof sources.$inferInsert }[] = [];
  rows.forEach((input, row) => {
    let url: string | null = null;
    if (input.body.url !== undefined && input.body.url !== null) {
      url = normaliseSourceUrl(input.body.url);
      if (!url) return failures.add(row, INVALID_URL);
      const earlier = byUrl.get(url);
      if (earlier !== undefined) return failures.add(row, { field: 'url', code: 'conflict', message: 'is also the url of an earlier row', same_as: earlier });
      byUrl.set(url, row);
    }
    toInsert.push({ row, values: { id: input.id ?? newId(), ...sourceValues(input.body, url), created_at: now, updated_at: now, version: 1 } });
  });
  // A taken id or url (a concurrent insert too) leaves the row out; which one is told below.
  const inserted = new Map(
    (await insertMany<Omit<SourceRow, 'text'>>(w.tx, sources, toInsert.map((r) => r.values), { skipTaken: true, returning: summaryColumns })).map((r) => [r.id, r]),
  );
  const lostUrls = toInsert.flatMap((r) => (!inserted.has(r.values.id!) && r.values.url ? [r.values.url] : []));
  const urlHolders = new Map(
    lostUrls.length ? (await w.tx.select({ id: sources.id, url: sources.url }).from(sources).where(anyOf(sources.url, lostUrls))).map((r) => [r.url!, r.id]) : [],
  );
  const created: (SourceRow | undefined)[] = rows.map(() => undefined);
  for (const { row, values } of toInsert) {
    const got = inserted.get(values.id!);
    if (got) {
      created[row] = { ...got, text: values.text ?? null };
      continue;
    }
    const holder = values.url ? urlHolders.get(values.url) : undefined;
    failures.add(row, holder && holder !== values.id ? takenUrl(values.url!, holder) : takenIdFailure('source', values.id!));
  }
  for (const row of created) if (row) w.record({ action: 'created', entityType: 'source', entityId: row.id, after: snapshot(row) });
  return { created, failures: failures.sorted() };
}

export async function getSource(db: DbOrTx, id: string, options: { forUpdate?: boolean } = {}): Promise<SourceRow> {
  const query = db.select().from(sources).where(eq(sources.id, id));
  const [row] = options.forUpdate ? await query.for('update') : await query;
  if (!row) throw notFound('source', id);
  return row;
}

/** The WHERE conditions of the source list filters, shared by the list and the export. */
export function sourceFilters(params: SourceListParams): (SQL | undefined)[] {
  return [
    params.kind ? eq(sources.kind, params.kind) : undefined,
    params.publisher ? eq(sources.publisher, params.publisher) : undefined,
    params.url !== undefined ? eq(sources.url, urlOrRefuse(params.url)!) : undefined,
    params.published_from ? gte(sources.published_at, instant(params.published_from)) : undefined,
    params.published_to ? lt(sources.published_at, instant(params.published_to)) : undefined,
    params.q !== undefined ? sql`${sourceDocument} @@ ${webSearch(params.q)}` : undefined,
  ];
}


/** The indexed search document of a source (sources_search_idx): title and publisher. */
const sourceDocument = searchExpressions.sourceDocument(sources.title, sources.publisher);

const sourceList: ListSpec<SourceListParams> = {
  list: 'sources',
  table: sources,
  id: sources.id,
  columns: summaryColumns,
  sortFields,
  filters: sourceFilters,
  search: {
    document: sourceDocument,
    highlight: sources.title,
    terms: { table: sql`${sourceTerms}`, term: sql`${sourceTerms.term}`, weight: sql`${sourceTerms.weight}`, doc: sql`${sourceTerms.source_id}` },
  },
};

/** `GET /v1/sources`: filtered and sorted, or searched (`q`, title and publisher) best first. */
export const listSources = (db: Db, params: SourceListParams) => listPage<SourceListParams, Omit<SourceRow, 'text'>>(db, sourceList, params);

/** `q` on sources: full text over title and publisher, best first (lib/search.ts). */

export async function updateSource(w: Write, id: string, patch: SourcePatchBody, ifMatch?: string): Promise<SourceRow> {
  const { tx } = w;
  await awaitTurnToChange(tx, 'sources', id);
  const before = await getSource(tx, id, { forUpdate: true });
  assertIfMatch(ifMatch, before.version);
  // Re-anchoring and first_seen_at touch the claims of its attributions: locked now, in the lock order (lock-order.ts).
  if (patch.text !== undefined || patch.published_at !== undefined) await lockClaimsOf(tx, { sourceId: id });
  const changes: Partial<SourceRow> = {};
  if (patch.kind !== undefined) changes.kind = patch.kind;
  if (patch.url !== undefined) {
    changes.url = urlOrRefuse(patch.url);
    await refuseTakenUrl(tx, changes.url, id);
  }
  if (patch.title !== undefined) changes.title = patch.title;
  if (patch.publisher !== undefined) changes.publisher = patch.publisher;
  if (patch.authors !== undefined) changes.authors = patch.authors;
  if (patch.language !== undefined) changes.language = canonicalLanguageOf(patch.language);
  if (patch.published_at !== undefined) changes.published_at = patch.published_at ? instant(patch.published_at) : null;
  if (patch.metadata !== undefined) changes.metadata = patch.metadata;

  const text = textFields(patch.text === undefined ? before.text : patch.text);
  const textChanged = text.content_sha256 !== before.content_sha256;
  if (textChanged) {
    // Anchored selectors point into the current text; changing it would silently falsify them.
    if (await hasAnchoredAttributions(tx, id)) {
      throw new ApiError('in_use', 'Anchored attributions point into this text; delete or re-point them before changing it.');
    }
    Object.assign(changes, text);
  }
  const after = await applyChanges(tx, before, changes);
  if (textChanged && text.text !== null) await reanchorSourceAttributions(w, id, text.text);
  if (changes.published_at !== undefined) await refreshClaimsOfSource(w, id);
  await w.recordUpdate('source', id, snapshot(before), snapshot(after));
  return after;
}

async function applyChanges(tx: DbOrTx, before: SourceRow, changes: Partial<SourceRow>): Promise<SourceRow> {
  const changed = hasChanges(before, changes);
  if (!changed) return before;
  const [after] = await tx
    .update(sources)
    .set({ ...changes, version: sql`${sources.version} + 1`, updated_at: new Date() })
    .where(eq(sources.id, before.id))
    .returning();
  return after;
}

/** The source first, then (deleteAttributionsOf) every claim the cascade touches, then its attributions and reviews: lock-order.ts. */
export async function deleteSource(w: Write, id: string, cascade: boolean, ifMatch?: string): Promise<void> {
  const { tx } = w;
  await awaitTurnToChange(tx, 'sources', id);
  const before = await getSource(tx, id, { forUpdate: true });
  assertIfMatch(ifMatch, before.version);
  if (await isReferenced(tx, { sourceId: id })) {
    if (!cascade) {
      throw new ApiError('in_use', 'Attributions or review evidence use this source; pass cascade=true to delete them with it.');
    }
    await deleteAttributionsOf(w, { sourceId: id });
  }
  await tx.delete(sources).where(and(eq(sources.id, id)));
  await w.record({ action: 'deleted', entityType: 'source', entityId: id, before: snapshot(before) });
}
