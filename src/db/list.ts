import { and, count, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { anyOf, type Db } from './client.js';
import { paginate, resolveSort, type Page, type SortField } from './pagination.js';
import { RANK_SORT, headline, inHitOrder, rankNeedsQ, rankedSearchPage, webSearch, type RankedSearch } from './search.js';

/**
 * One builder for the lists that can also be searched (claims, sources,
 * attributions): `GET /v1/<list>` with filters, a sort and a keyset cursor, or,
 * with `q` and no other sort, the matches best first (db/search.ts) with a
 * highlight. Each list describes itself once (`ListSpec`); the builder does the
 * rest the same way for all.
 */

export interface ListParams {
  q?: string;
  sort?: string;
  cursor?: string;
  limit?: number;
  count?: boolean;
}

export interface ListSpec<P extends ListParams> {
  list: RankedSearch['list'];
  table: PgTable;
  id: PgColumn;
  /** The columns a page shows. */
  columns: Record<string, PgColumn>;
  sortFields: Record<string, SortField>;
  /** The WHERE conditions of the list's filters, `q` (as `document @@ query`) among them. */
  filters: (params: P) => (SQL | undefined)[];
  search: {
    /** The GIN-indexed search document, the very expression of its index. */
    document: SQL;
    /** The text a hit's highlight is cut from. */
    highlight: PgColumn;
    /** The list's terms table (src/db/schema.ts) and its columns. */
    terms: RankedSearch['terms'];
  };
}

export type ListPage<Row extends Record<string, unknown>> = Page<Row & { rank?: number; highlight?: string }>;

export async function listPage<P extends ListParams, Row extends Record<string, unknown>>(db: Db, spec: ListSpec<P>, params: P): Promise<ListPage<Row>> {
  if (params.q !== undefined && (params.sort === undefined || params.sort === RANK_SORT)) return searchPage(db, spec, params.q, params);
  if (params.sort === RANK_SORT) throw rankNeedsQ();
  return paginate({
    filters: spec.filters(params),
    sort: resolveSort(params.sort ?? '-created_at', spec.sortFields),
    id: spec.id,
    cursor: params.cursor,
    limit: params.limit ?? 50,
    fetch: (where, order, limit) => db.select(spec.columns).from(spec.table).where(where).orderBy(...order).limit(limit) as Promise<Row[]>,
    count: params.count ? async (where) => (await db.select({ n: count() }).from(spec.table).where(where))[0].n : undefined,
  });
}

/** `q`: the matches best first, each with its rank and a highlight. */
async function searchPage<P extends ListParams, Row extends Record<string, unknown>>(db: Db, spec: ListSpec<P>, q: string, params: P): Promise<ListPage<Row>> {
  const query = webSearch(q);
  const where = and(...spec.filters({ ...params, q: undefined }));
  const { hits, next_cursor } = await rankedSearchPage(
    db,
    { list: spec.list, table: sql`${spec.table}`, id: sql`${spec.id}`, document: spec.search.document, terms: spec.search.terms, where },
    { q, cursor: params.cursor, limit: params.limit },
  );
  const rows = hits.length
    ? ((await db
        .select({ ...spec.columns, highlight: sql<string>`${headline(spec.search.highlight, query)}` })
        .from(spec.table)
        .where(anyOf(spec.id, hits.map((h) => h.id)))) as (Row & { id: string; highlight: string })[])
    : [];
  const page: ListPage<Row> = { data: inHitOrder(hits, rows), next_cursor };
  if (params.count) page.total = (await db.select({ n: count() }).from(spec.table).where(and(sql`${spec.search.document} @@ ${query}`, where)))[0].n;
  return page;
}
