import type { SQL } from 'drizzle-orm';
import { PgTransaction, type PgDialect } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { rowsOf, type DbOrTx } from './client.js';

/**
 * Runs `query` as a named prepared statement when `db` is the PostgreSQL server's
 * pool: parsed and planned once per connection instead of on every call (for a
 * trigram lookup the planning alone is 0.6 ms). On the embedded database and inside
 * a transaction (whose statements must run on its own connection) it runs as usual.
 * `name` must stand for one statement text: use it only for a query whose shape
 * never changes, with every varying value a parameter; without a name it runs as usual.
 */
export async function executeNamed<R>(db: DbOrTx, name: string | undefined, query: SQL): Promise<R[]> {
  const pool = (db as unknown as { $client?: unknown }).$client;
  if (name && pool instanceof pg.Pool && !(db instanceof PgTransaction)) {
    const { sql: text, params } = (db as unknown as { dialect: PgDialect }).dialect.sqlToQuery(query);
    return (await pool.query<R & pg.QueryResultRow>({ name, text, values: params })).rows;
  }
  return rowsOf<R>(await db.execute(query));
}
