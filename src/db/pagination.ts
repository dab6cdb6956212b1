import { and, asc, desc, getTableName, sql, type AnyColumn, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { InputProblem } from '../lib/row-failures.js';
import { invalidCursor, openCursor } from '../lib/pagination.js';

/**
 * Keyset pagination shared by every list. A cursor carries the sort it was made
 * for, the last row's sort value and its id; the next page starts strictly after
 * that pair, so rows inserted meanwhile can neither repeat nor shift a page.
 * NULL sort values come last in both directions (`NULLS LAST`).
 */

export interface SortField {
  column: PgColumn;
  /** The SQL type to cast the cursor value to. */
  cast: 'timestamptz' | 'text' | 'integer';
  nullable: boolean;
}

export interface ResolvedSort {
  name: string;
  field: SortField;
  descending: boolean;
}

interface CursorPayload {
  /** The list (table) it belongs to. */
  l: string;
  s: string;
  v: string | number | null;
  id: string;
}

// Exactly what encodeCursor writes (Date#toISOString): nothing else is a cursor of ours.
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const listOf = (sort: ResolvedSort) => getTableName(sort.field.column.table);

export function resolveSort(sort: string, fields: Record<string, SortField>): ResolvedSort {
  const descending = sort.startsWith('-');
  const name = descending ? sort.slice(1) : sort;
  const field = fields[name];
  if (!field) throw new InputProblem({ field: 'sort', code: 'validation_failed', message: 'is not a sortable field', detail: `Cannot sort by ${name}.` });
  return { name: sort, field, descending };
}

export function encodeCursor(sort: ResolvedSort, row: Record<string, unknown>, idKey = 'id'): string {
  const value = row[sortKey(sort)];
  const payload: CursorPayload = {
    l: listOf(sort),
    s: sort.name,
    v: value instanceof Date ? value.toISOString() : (value as string | number | null) ?? null,
    id: String(row[idKey]),
  };
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

export function decodeCursor(cursor: string, sort: ResolvedSort): CursorPayload {
  const payload = openCursor<CursorPayload>(cursor, listOf(sort), sort.name);
  const v = payload.v;
  const okValue =
    v === null ||
    (sort.field.cast === 'integer' && Number.isSafeInteger(v) && Math.abs(v as number) <= 2 ** 31) ||
    (sort.field.cast === 'text' && typeof v === 'string' && v.length <= 1000) ||
    (sort.field.cast === 'timestamptz' && typeof v === 'string' && ISO_INSTANT.test(v) && !Number.isNaN(Date.parse(v)));
  if (!okValue) throw invalidCursor('cannot be decoded');
  return payload;
}

function sortKey(sort: ResolvedSort): string {
  return sort.field.column.name;
}

/** ORDER BY for a sort, always ending in the id so the order is total. */
export function orderBy(sort: ResolvedSort, id: AnyColumn): SQL[] {
  const col = sort.field.column;
  if (!sort.field.nullable) return sort.descending ? [desc(col), desc(id)] : [asc(col), asc(id)];
  return sort.descending
    ? [sql`${col} desc nulls last`, desc(id)]
    : [sql`${col} asc nulls last`, asc(id)];
}

/** The WHERE condition "strictly after the cursor row" for that order. */
export function afterCursor(sort: ResolvedSort, cursor: CursorPayload, id: AnyColumn): SQL {
  const col = sort.field.column;
  const cmp = sql.raw(sort.descending ? '<' : '>');
  const cast = sql.raw(sort.field.cast);
  const cid = sql`${cursor.id}::uuid`;
  if (cursor.v === null) return sql`(${col} is null and ${id} ${cmp} ${cid})`;
  const v = sql`${cursor.v}::${cast}`;
  const beyond = sql`(${col} ${cmp} ${v} or (${col} = ${v} and ${id} ${cmp} ${cid}))`;
  return sort.field.nullable ? sql`(${beyond} or ${col} is null)` : beyond;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
  total?: number;
}

/**
 * Runs a list: `fetch` gets the WHERE (filters plus keyset), the ORDER BY and
 * limit+1, so one extra row tells whether another page exists.
 */
export async function paginate<T extends Record<string, unknown>>(args: {
  filters: (SQL | undefined)[];
  sort: ResolvedSort;
  id: AnyColumn;
  cursor?: string;
  limit: number;
  fetch: (where: SQL | undefined, order: SQL[], limit: number) => Promise<T[]>;
  count?: (where: SQL | undefined) => Promise<number>;
}): Promise<Page<T>> {
  const keyset = args.cursor ? afterCursor(args.sort, decodeCursor(args.cursor, args.sort), args.id) : undefined;
  const filterWhere = and(...args.filters);
  const rows = await args.fetch(and(filterWhere, keyset), orderBy(args.sort, args.id), args.limit + 1);
  const more = rows.length > args.limit;
  const data = more ? rows.slice(0, args.limit) : rows;
  const page: Page<T> = { data, next_cursor: more ? encodeCursor(args.sort, data[data.length - 1]) : null };
  if (args.count) page.total = await args.count(filterWhere);
  return page;
}
