import { getTableColumns, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { rowsOf, type DbOrTx } from './client.js';

/**
 * Inserts any number of rows with one statement and one parameter: the rows
 * travel as a JSON array and PostgreSQL unpacks them (`json_to_recordset`), so
 * there is no limit of 65,535 parameters and no per-value encoding on either
 * side. The column list and each column's SQL type come from the drizzle
 * table; every row must give the same columns (those of the first row).
 *
 * `skipTaken`: a row whose id or other unique value is already taken is left
 * out (ON CONFLICT DO NOTHING) instead of failing the statement; the caller
 * tells which from the rows returned. Without it (ids made here, no other
 * unique column: nothing can be taken) the plain INSERT is cheaper. Returned rows carry the `returning`
 * columns, read as drizzle reads them.
 */
export async function insertMany<R>(
  tx: DbOrTx,
  table: PgTable,
  rows: readonly Record<string, unknown>[],
  options: { returning?: Record<string, PgColumn>; skipTaken?: boolean } = {},
): Promise<R[]> {
  if (rows.length === 0) return [];
  const byKey = getTableColumns(table) as Record<string, PgColumn>;
  const keys = Object.keys(rows[0]).filter((key) => key in byKey);
  const names = keys.map((key) => sql.identifier(byKey[key].name));
  const types = sql.raw(keys.map((key) => `"${byKey[key].name}" ${byKey[key].getSQLType()}`).join(', '));
  // JSON carries the table's own names; the input is keyed by drizzle's.
  const input = JSON.stringify(rows.map((row) => Object.fromEntries(keys.map((key) => [byKey[key].name, row[key] ?? null]))));
  const returning = Object.entries(options.returning ?? {});
  const result = await tx.execute(sql`
    insert into ${table} (${sql.join(names, sql`, `)})
    select ${sql.join(names, sql`, `)} from json_to_recordset(${input}::json) as r(${types})
    ${options.skipTaken ? sql`on conflict do nothing` : sql``}
    ${returning.length ? sql`returning ${sql.join(returning.map(([key, column]) => sql`${sql.identifier(column.name)} as ${sql.identifier(key)}`), sql`, `)}` : sql``}`);
  if (returning.length === 0) return [];
  return rowsOf<Record<string, unknown>>(result).map((raw) => {
    const row: Record<string, unknown> = {};
    for (const [key, column] of returning) row[key] = raw[key] === null ? null : column.mapFromDriverValue(raw[key]);
    return row as R;
  });
}

