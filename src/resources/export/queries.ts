import { and, asc, getTableColumns, gt, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Db } from '../../db/client.js';
import { attributions, claimantColumns, claimColumns, claimants, claims, reviews, sources } from '../../db/schema.js';
import { attributionFilters } from '../attributions/queries.js';
import { claimantFilters } from '../claimants/queries.js';
import { claimFilters } from '../claims/queries.js';
import { reviewFilters } from '../reviews/queries.js';
import { sourceFilters } from '../sources/queries.js';
import type { ExportType } from './schemas.js';

/**
 * Rows for the export, in id order, a page at a time, whatever their number and
 * however slowly the client reads: each page is its own short query `id > last
 * order by id limit n` on a pooled connection, and the next page is read only when
 * the consumer asks for it (the HTTP response has drained). Nothing is held open
 * between pages, neither a cursor nor a transaction, so a slow reader never runs
 * into the statement timeout and never holds a connection or a snapshot.
 * The price is that an export is not one snapshot: a row written meanwhile is sent
 * if its id sorts after the last row sent (ids are time-ordered, so new rows come
 * at the end), and each row is sent as its page found it.
 *
 * Pages are sized by rows and by bytes: a thousand claims are a few hundred KB,
 * a thousand sources with their full text (up to 1 MiB each) could be a gigabyte.
 */
const FIRST_PAGE_ROWS = 100;
const MAX_PAGE_ROWS = 1000;
const MIN_PAGE_ROWS = 2;
const PAGE_BYTES = 4 * 1024 * 1024;
/** A page that timed out (a busy database) is read again, smaller, this many times before the export fails. */
const PAGE_RETRIES = 2;

export type Row = Record<string, unknown>;

interface Spec {
  table: PgTable;
  id: PgColumn;
  columns: Record<string, PgColumn | SQL.Aliased>;
  filters: (params: never) => (SQL | undefined)[];
}

/** A review carries its evidence, as `GET /v1/reviews` shows it. */
const evidenceColumn = sql<{ source_id: string; stance: string; note: string | null }[]>`coalesce((
  select json_agg(json_build_object('source_id', e.source_id, 'stance', e.stance, 'note', e.note) order by e.position)
    from review_evidence e where e.review_id = ${reviews.id}), '[]'::json)`.as('evidence');

export const SPECS: Record<ExportType, Spec> = {
  claims: { table: claims, id: claims.id, columns: claimColumns, filters: claimFilters },
  sources: { table: sources, id: sources.id, columns: getTableColumns(sources), filters: sourceFilters },
  claimants: { table: claimants, id: claimants.id, columns: claimantColumns, filters: claimantFilters },
  attributions: { table: attributions, id: attributions.id, columns: getTableColumns(attributions), filters: attributionFilters },
  reviews: { table: reviews, id: reviews.id, columns: { ...getTableColumns(reviews), evidence: evidenceColumn }, filters: reviewFilters },
};

/** The column names of a type's rows, in order (the CSV header). */
export const columnNames = (type: ExportType): string[] => Object.keys(SPECS[type].columns);

/** A rough size of a row once encoded: its text, plus a little for the rest. */
function roughBytes(row: Row): number {
  let bytes = 200;
  for (const value of Object.values(row)) if (typeof value === 'string') bytes += value.length;
  return bytes;
}

/** A statement timeout on the server, or the client giving up waiting for the answer. */
function isTimeout(err: unknown): boolean {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause ?? (err as { code?: string; message?: string });
  return cause?.code === '57014' || /Query read timeout/.test(cause?.message ?? '');
}

/**
 * Runs `read` (a page's queries, which change nothing) again when it times out on
 * a busy database, at most PAGE_RETRIES times, calling `beforeRetry` first (to ask
 * for less); one slow moment must not cut a long export short.
 */
export async function retryingTimeouts<T>(read: () => Promise<T>, beforeRetry?: () => void): Promise<T> {
  for (let retries = 0; ; retries++) {
    try {
      return await read();
    } catch (err) {
      if (!isTimeout(err) || retries >= PAGE_RETRIES) throw err;
      beforeRetry?.();
    }
  }
}

/**
 * Pages of rows of `type` matching the list filters in `params`; with
 * `reviewedClaimsOnly`, claims without a review are left out (they make no
 * ClaimReview). The filters are built before the first page, so a bad filter
 * throws from the first `next()`, before anything is sent.
 */
export async function* exportRows(
  db: Db,
  type: ExportType,
  params: Record<string, unknown>,
  options: { reviewedClaimsOnly?: boolean } = {},
): AsyncGenerator<Row[]> {
  const spec = SPECS[type];
  const where = and(...spec.filters(params as never), options.reviewedClaimsOnly && type === 'claims' ? gt(claims.review_count, 0) : undefined);
  let last: string | undefined;
  let limit = FIRST_PAGE_ROWS;
  for (;;) {
    const rows = await retryingTimeouts(
      () =>
        db
          .select(spec.columns)
          .from(spec.table)
          .where(and(where, last === undefined ? undefined : gt(spec.id, last)))
          .orderBy(asc(spec.id))
          .limit(limit) as Promise<Row[]>,
      () => (limit = Math.max(MIN_PAGE_ROWS, Math.floor(limit / 2))),
    );
    if (rows.length === 0) return;
    yield rows;
    if (rows.length < limit) return;
    last = rows[rows.length - 1].id as string;
    const average = rows.reduce((sum, row) => sum + roughBytes(row), 0) / rows.length;
    limit = Math.max(MIN_PAGE_ROWS, Math.min(MAX_PAGE_ROWS, Math.floor(PAGE_BYTES / average)));
  }
}
