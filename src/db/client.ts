import { mkdirSync, openSync, readFileSync, unlinkSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { unaccent } from '@electric-sql/pglite/contrib/unaccent';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import pg from 'pg';
import * as schema from './schema.js';

/** One type for both drivers: every query function takes a `Db` (or a transaction of one). */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

export interface Database {
  db: Db;
  kind: 'postgres' | 'pglite';
  /** Pool counters for /metrics; PGlite has one connection and reports none. */
  pool?: pg.Pool;
  pglite?: PGlite;
  close(): Promise<void>;
}

/** PGlite loads contrib extensions only when they are passed at creation. */
export const pgliteExtensions = { pg_trgm, unaccent };

export interface PostgresOptions {
  url: string;
  max?: number;
  /** Upper bound for one statement on the server, so no request holds the database forever. */
  statementTimeoutMs?: number;
  onPoolError?: (err: Error) => void;
}

/** timestamp and timestamptz (pg_type oids). */
const TIMESTAMP_OIDS = new Set([1114, 1184]);

/**
 * PostgreSQL's text form of a timestamp (`2026-12-06 08:55:22.636+00`, DateStyle ISO)
 * as a Date; anything else (infinity, BC dates) stays as it is. A timestamp without
 * time zone is UTC, as drizzle reads it.
 */
function parseTimestamp(text: string): Date | string {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)(?:([+-]\d{2})(?::?(\d{2}))?)?$/.exec(text);
  if (!m) return text;
  const [, date, time, hours, minutes] = m;
  const when = new Date(`${date}T${time}${hours ? `${hours}:${minutes ?? '00'}` : 'Z'}`);
  return Number.isNaN(when.getTime()) ? text : when;
}

/**
 * node-postgres and PGlite both answer `execute` with `{rows, fields}`; one accessor
 * for either. Drizzle has both drivers hand raw SQL's timestamps over as PostgreSQL
 * text, which is not RFC 3339; here they become Dates, as drizzle's own selects give
 * them, so every raw query path serialises them the same way.
 */
export function rowsOf<T>(result: unknown): T[] {
  const rows = ((result as { rows?: T[] }).rows ?? (result as T[])) as T[];
  const fields = (result as { fields?: { name: string; dataTypeID: number }[] }).fields;
  const timestamps = fields?.filter((f) => TIMESTAMP_OIDS.has(f.dataTypeID)).map((f) => f.name) ?? [];
  if (timestamps.length === 0) return rows;
  for (const row of rows as Record<string, unknown>[]) {
    for (const name of timestamps) {
      const value = row[name];
      if (typeof value === 'string') row[name] = parseTimestamp(value);
    }
  }
  return rows;
}

/**
 * `column = any($1::type[])`: a set of values as one array parameter. drizzle's `inArray`
 * makes a parameter of each value, which drizzle builds, the driver encodes and PostgreSQL
 * parses and plans one by one: for the thousand ids of a bulk import's window that is
 * measurable on both sides, and the statement text changes with the set's size. An empty
 * set matches nothing.
 */
export function anyOf(column: PgColumn, values: readonly string[]): SQL {
  // The values go as they are, past the column's own encoder: right only where that does nothing.
  const type = column.getSQLType();
  if (type !== 'uuid' && type !== 'text') throw new Error(`anyOf takes uuid and text columns, not ${column.name} (${type})`);
  return sql`${column} = any(${sql.param(values)}::${sql.raw(type)}[])`;
}

export function openPostgres(options: PostgresOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 10,
    application_name: 'claimledger',
    // A black-holed or down database must give a quick 503, never a hung request.
    connectionTimeoutMillis: 5_000,
    query_timeout: (options.statementTimeoutMs ?? 5_000) + 1_000,
    statement_timeout: options.statementTimeoutMs ?? 5_000,
    idle_in_transaction_session_timeout: 30_000,
  });
  // Without a listener, a backend terminated while idle (a restart, pg_terminate_backend)
  // emits 'error' on the pool and takes the whole process down.
  pool.on('error', (err) => options.onPoolError?.(err));
  // pg-pool removes that listener while a client is checked out (a transaction between
  // two statements): a backend terminated then would be an uncaught 'error' too. The
  // transaction's next statement fails and rolls back; the process must not.
  pool.on('connect', (client) => {
    client.on('error', (err) => options.onPoolError?.(err));
    // After a client-side query timeout the connection is dead (a black-holed network) but
    // pg keeps it: the transaction's ROLLBACK would wait a second timeout and the client
    // would go back to the pool. Closing its socket makes both fail at once.
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (...args: unknown[]) => {
      const result = query(...args);
      if (result instanceof Promise) {
        result.catch((err: Error) => {
          if (/Query read timeout/.test(err?.message ?? '')) (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
        });
      }
      return result;
    };
  });
  const db = drizzlePg(pool, { schema }) as unknown as Db;
  return { db, kind: 'postgres', pool, close: () => pool.end() };
}

export function wrapPglite(client: PGlite, onClose?: () => void): Database {
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return {
    db,
    kind: 'pglite',
    pglite: client,
    async close() {
      await client.close();
      onClose?.();
    },
  };
}

export class DataDirLockedError extends Error {}

/**
 * PGlite takes no lock on its folder and two processes writing one folder corrupt it.
 * We keep `<dir>.lock` holding our pid; a lock whose process is gone is stale and taken over.
 */
export function lockDataDir(dataDir: string): () => void {
  const lockPath = `${path.resolve(dataDir)}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(lockPath, 'utf8').trim() === String(process.pid)) unlinkSync(lockPath);
        } catch {
          // already gone: nothing to release
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number.parseInt(readFileSync(lockPath, 'utf8').trim(), 10);
      if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) {
        throw new DataDirLockedError(
          `the embedded database in ${path.resolve(dataDir)} is in use by process ${holder}; ` +
            `stop that process, or set CLAIMLEDGER_DATA_DIR to another folder (or DATABASE_URL to use PostgreSQL)`,
        );
      }
      unlinkSync(lockPath); // stale: its process is gone
    }
  }
  throw new DataDirLockedError(`could not lock ${lockPath}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user, so it is alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function openPglite(dataDir: string): Promise<Database> {
  mkdirSync(path.dirname(path.resolve(dataDir)), { recursive: true });
  const release = lockDataDir(dataDir);
  try {
    const client = await PGlite.create(path.resolve(dataDir), { extensions: pgliteExtensions });
    return wrapPglite(client, release);
  } catch (err) {
    release();
    throw err;
  }
}

export async function openDatabase(
  config: { DATABASE_URL?: string; CLAIMLEDGER_DATA_DIR: string; CLAIMLEDGER_STATEMENT_TIMEOUT_MS?: number },
  onPoolError?: (err: Error) => void,
  poolSize?: number,
): Promise<Database> {
  if (config.DATABASE_URL) {
    return openPostgres({ url: config.DATABASE_URL, onPoolError, statementTimeoutMs: config.CLAIMLEDGER_STATEMENT_TIMEOUT_MS, max: poolSize });
  }
  return openPglite(config.CLAIMLEDGER_DATA_DIR);
}
