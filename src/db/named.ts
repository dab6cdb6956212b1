import type { SQL } from 'drizzle-orm';
import { PgTransaction, type PgDialect } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { rowsOf, type DbOrTx } from './client.js';

/**
 * Named prepared statements: parsed and planned once per connection instead of on
 * every call (for a trigram lookup the planning alone is 0.6 ms; for a claim by id,
 * drizzle's query building costs about 40 % of a bare `pg` handler's throughput).
 * On the PostgreSQL server's pool they run straight on `pg`, whose type parsing
 * already gives the row shape drizzle would; on the embedded database through
 * drizzle's own prepared statements. Inside a transaction (whose statements must
 * run on its own connection) they are not used: the caller runs the query as usual.
 */

const poolOf = (db: DbOrTx): pg.Pool | undefined => {
  const client = (db as unknown as { $client?: unknown }).$client;
  return client instanceof pg.Pool && !(db instanceof PgTransaction) ? client : undefined;
};

/**
 * Runs `query` as the named statement `name` on the server's pool, else as usual.
 * `name` must stand for one statement text: use it only for a query whose shape
 * never changes, with every varying value a parameter; without a name it runs as usual.
 */
export async function executeNamed<R>(db: DbOrTx, name: string | undefined, query: SQL): Promise<R[]> {
  const pool = poolOf(db);
  if (name && pool) {
    const { sql: text, params } = (db as unknown as { dialect: PgDialect }).dialect.sqlToQuery(query);
    return (await pool.query<R & pg.QueryResultRow>({ name, text, values: params })).rows;
  }
  return rowsOf<R>(await db.execute(query));
}

interface Buildable<R> {
  toSQL(): { sql: string; params: unknown[] };
  prepare(name: string): { execute(values: Record<string, unknown>): Promise<R[]> };
}

export interface NamedStatement<V extends Record<string, unknown>, R> {
  execute(values: V): Promise<R[]>;
}

/**
 * A statement whose text is built once per database object, from a drizzle query
 * with `sql.placeholder(name)` for each value: `statement(db)?.execute({ id })`.
 * Undefined inside a transaction.
 */
export function namedStatement<V extends Record<string, unknown>, R>(name: string, build: (db: DbOrTx) => Buildable<R>) {
  const built = new WeakMap<object, NamedStatement<V, R>>();
  return (db: DbOrTx): NamedStatement<V, R> | undefined => {
    if (db instanceof PgTransaction) return undefined;
    let statement = built.get(db);
    if (!statement) {
      const query = build(db);
      const pool = poolOf(db);
      if (pool) {
        const { sql: text, params } = query.toSQL();
        const order = params.map((p) => (p as { name: string }).name);
        statement = { execute: async (values) => (await pool.query<R & pg.QueryResultRow>({ name, text, values: order.map((n) => values[n]) })).rows };
      } else {
        const prepared = query.prepare(name);
        statement = { execute: (values) => prepared.execute(values) };
      }
      built.set(db, statement);
    }
    return statement;
  };
}
