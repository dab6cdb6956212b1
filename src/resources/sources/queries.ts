import { createHash } from 'node:crypto';
import { and, count, eq, getTableColumns, gte, inArray, lt, sql, type SQL } from 'drizzle-orm';
import type { Write } from '../../db/write.js';
import type { Db, DbOrTx } from '../../db/client.js';
import { searchExpressions, sourceTerms, sources, type SourceRow } from '../../db/schema.js';
import { canonicalLanguageOf } from '../../domain/language.js';
import { normaliseSourceUrl } from '../../domain/url.js';
import { assertIfMatch } from '../../lib/conditional.js';
import { ApiError, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { paginate, resolveSort, type SortField } from '../../lib/pagination.js';
import { RANK_SORT, headline, inHitOrder, rankNeedsQ, rankedSearchPage, webSearch } from '../../lib/search.js';
import { hasChanges } from '../../lib/changes.js';
import { deleteAttributionsOf, reanchorSourceAttributions, hasAnchoredAttributions, isReferenced, lockClaimsOf } from '../attributions/queries.js';
import { refreshClaimsOfSource } from '../claims/derived.js';
import { awaitTurnToChange } from '../lock-order.js';
import type { SourceCreateBody, SourceListParams, SourcePatchBody } from './schemas.js';

const { text: _text, ...summaryColumns } = getTableColumns(sources);

const sortFields: Record<string, SortField> = {
  created_at: { column: sources.created_at, cast: 'timestamptz', nullable: false },
  updated_at: { column: sources.updated_at, cast: 'timestamptz', nullable: false },
  published_at: { column: sources.published_at, cast: 'timestamptz', nullable: true },
  title: { column: sources.title, cast: 'text', nullable: false },
};

export function urlOrRefuse(url: string | null | undefined, path = 'body.url'): string | null {
  if (url === undefined || url === null) return null;
  const normalised = normaliseSourceUrl(url);
  if (!normalised) {
    throw new ApiError('validation_failed', 'url must be an absolute http or https URL without credentials.', {
      errors: [{ path, message: 'must be an absolute http(s) URL without credentials' }],
    });
  }
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
  if (taken && taken.id !== exceptId) {
    throw new ApiError('conflict', `A source with the url ${url} already exists.`, {
      existing_id: taken.id,
      errors: [{ path: 'body.url', message: 'is already used by another source' }],
    });
  }
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
    published_at: body.published_at ? new Date(body.published_at) : null,
    metadata: body.metadata ?? {},
    ...textFields(body.text),
  };
}

/** `options.id`: create with this id instead of a new one (bulk import of exported rows). */
export async function createSource(w: Write, body: SourceCreateBody, options: { id?: string } = {}): Promise<SourceRow> {
  const { tx } = w;
  const url = urlOrRefuse(body.url);
  const now = new Date();
  const [row] = await tx
    .insert(sources)
    .values({
      id: options.id ?? newId(),
      ...sourceValues(body, url),
      created_at: now,
      updated_at: now,
    })
    // A concurrent insert of the same url loses here instead of failing the transaction.
    .onConflictDoNothing({ target: sources.url })
    .returning();
  if (!row) {
    await refuseTakenUrl(tx, url);
    throw new ApiError('conflict', 'A source with this url already exists.');
  }
  await w.record({ action: 'created', entityType: 'source', entityId: row.id, after: snapshot(row) });
  return row;
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
    params.url !== undefined ? eq(sources.url, urlOrRefuse(params.url, 'query.url')!) : undefined,
    params.published_from ? gte(sources.published_at, new Date(params.published_from)) : undefined,
    params.published_to ? lt(sources.published_at, new Date(params.published_to)) : undefined,
    params.q !== undefined ? sql`${sourceDocument} @@ ${webSearch(params.q)}` : undefined,
  ];
}

export async function listSources(db: Db, params: SourceListParams) {
  if (params.q !== undefined && (params.sort === undefined || params.sort === RANK_SORT)) {
    return searchSources(db, params.q, sourceFilters({ ...params, q: undefined }), params);
  }
  if (params.sort === RANK_SORT) throw rankNeedsQ();
  const filters = sourceFilters(params);
  return paginate({
    filters,
    sort: resolveSort(params.sort ?? '-created_at', sortFields),
    id: sources.id,
    cursor: params.cursor,
    limit: params.limit ?? 50,
    fetch: (where, order, limit) => db.select(summaryColumns).from(sources).where(where).orderBy(...order).limit(limit),
    count: params.count ? async (where) => (await db.select({ n: count() }).from(sources).where(where))[0].n : undefined,
  });
}

/** The indexed search document of a source (sources_search_idx): title and publisher. */
const sourceDocument = searchExpressions.sourceDocument(sources.title, sources.publisher);

/** `q` on sources: full text over title and publisher, best first (lib/search.ts). */
async function searchSources(db: Db, q: string, filters: (SQL | undefined)[], params: SourceListParams) {
  const query = webSearch(q);
  const where = and(...filters);
  const { hits, next_cursor } = await rankedSearchPage(
    db,
    {
      list: 'sources',
      table: sql`${sources}`,
      id: sql`${sources.id}`,
      document: sourceDocument,
      terms: { table: sql`${sourceTerms}`, term: sql`${sourceTerms.term}`, weight: sql`${sourceTerms.weight}`, doc: sql`${sourceTerms.source_id}` },
      where,
    },
    { q, cursor: params.cursor, limit: params.limit },
  );
  const rows = hits.length
    ? await db
        .select({ ...summaryColumns, highlight: sql<string>`${headline(sources.title, query)}` })
        .from(sources)
        .where(inArray(sources.id, hits.map((h) => h.id)))
    : [];
  const page: { data: (typeof rows[number] & { rank: number })[]; next_cursor: string | null; total?: number } = {
    data: inHitOrder(hits, rows),
    next_cursor,
  };
  if (params.count) page.total = (await db.select({ n: count() }).from(sources).where(and(sql`${sourceDocument} @@ ${query}`, where)))[0].n;
  return page;
}

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
  if (patch.published_at !== undefined) changes.published_at = patch.published_at ? new Date(patch.published_at) : null;
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
