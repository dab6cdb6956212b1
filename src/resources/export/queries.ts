import { and, asc, getTableColumns, gt, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import pg from 'pg';
import Cursor from 'pg-cursor';
import type { Database } from '../../db/client.js';
import { attributions, claimantColumns, claimColumns, claimants, claims, reviews, sources } from '../../db/schema.js';
import { attributionFilters } from '../attributions/queries.js';
import { claimantFilters } from '../claimants/queries.js';
import { claimFilters } from '../claims/queries.js';
import { reviewFilters } from '../reviews/queries.js';
import { sourceFilters } from '../sources/queries.js';
import type { ExportType } from './schemas.js';

/**
 * Rows for the export, in id order, a batch at a time, whatever their number:
 * - on a PostgreSQL server, from one server-side cursor (pg-cursor), on a
 *   connection of its own so a long export neither holds a pool slot nor trips
 *   the pool's per-query client timeout (the server's statement_timeout still
 *   bounds each fetch); one snapshot from the first row to the last;
 * - on PGlite (one connection, in-process), by keyset pages `id > last`.
 * Either way only one batch is in memory, and the next one is fetched only when
 * the consumer asks (the HTTP response drains).
 */

export const BATCH_ROWS = 1000;
/** Exports running at once, each with its own database connection; more wait their turn. */
const MAX_CONCURRENT_EXPORTS = 4;

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

let running = 0;
const waiting: (() => void)[] = [];

async function slot(): Promise<() => void> {
  if (running >= MAX_CONCURRENT_EXPORTS) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    running--;
    waiting.shift()?.();
  };
}

/**
 * Batches of rows of `type` matching the list filters in `params` (and `extra`).
 * The filters are built before the first batch, so a bad filter throws from
 * the first `next()`, before anything is sent.
 */
export async function* exportRows(database: Database, type: ExportType, params: Record<string, unknown>, extra?: SQL): AsyncGenerator<Row[]> {
  const spec = SPECS[type];
  const where = and(...spec.filters(params as never), extra);
  if (database.kind === 'postgres' && database.pool) {
    // drizzle writes the SQL (and maps filter values to driver values); pg reads it through a cursor.
    const { sql: text, params } = database.db.select(spec.columns).from(spec.table).where(where).orderBy(asc(spec.id)).toSQL();
    yield* cursorRows(database.pool, text, params);
    return;
  }
  let last: string | undefined;
  for (;;) {
    const rows = (await database.db
      .select(spec.columns)
      .from(spec.table)
      .where(and(where, last === undefined ? undefined : gt(spec.id, last)))
      .orderBy(asc(spec.id))
      .limit(BATCH_ROWS)) as Row[];
    if (rows.length === 0) return;
    yield rows;
    if (rows.length < BATCH_ROWS) return;
    last = rows[rows.length - 1].id as string;
  }
}

async function* cursorRows(pool: pg.Pool, text: string, params: unknown[]): AsyncGenerator<Row[]> {
  const release = await slot();
  // pg's default parsers give what drizzle's select gives: Dates, parsed jsonb, arrays.
  const client = new pg.Client({ ...pool.options, query_timeout: 0, application_name: 'claimledger-export' });
  // A backend terminated mid-export must fail this export, not the process.
  client.on('error', () => {});
  let cursor: Cursor<Row> | undefined;
  try {
    await client.connect();
    cursor = client.query(new Cursor<Row>(text, params));
    for (;;) {
      const rows = await cursor.read(BATCH_ROWS);
      if (rows.length === 0) return;
      yield rows;
    }
  } finally {
    await cursor?.close().catch(() => {});
    await client.end().catch(() => {});
    release();
  }
}
