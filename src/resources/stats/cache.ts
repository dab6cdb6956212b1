import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { rowsOf } from '../../db/client.js';

/**
 * Dashboards ask the same few questions over and over; at a million claims some
 * answers take seconds to count. Each answer is kept with the database version
 * it was counted at and reused until that changes.
 *
 * The version is `pg_current_snapshot()`: its xmax moves whenever a transaction
 * that writes (through the API or not: COPY, psql, TRUNCATE) gets an id, and its
 * list of running transactions changes when one commits or aborts. Reads take no
 * transaction id, so a quiet database keeps its answers; any write, anywhere,
 * makes the next request count again. Reading it costs one trivial query.
 * Concurrent requests for an answer being counted wait for that count.
 */
export class StatsCache {
  private readonly entries = new Map<string, { version: string; value: unknown; at: number }>();
  private readonly counting = new Map<string, Promise<unknown>>();

  constructor(
    private readonly maxEntries = 500,
    /** Also recount after this long: "the last 7 days" moves even when the data does not. */
    private readonly maxAgeMs = 60_000,
  ) {}

  async get<T>(db: Db, key: string, count: () => Promise<T>): Promise<T> {
    const [{ version }] = rowsOf<{ version: string }>(await db.execute(sql`select pg_current_snapshot()::text as version`));
    const hit = this.entries.get(key);
    if (hit && hit.version === version && Date.now() - hit.at < this.maxAgeMs) {
      // Most recently used last: the first key is the one to evict.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.value as T;
    }
    const flight = `${version}\u0000${key}`;
    let pending = this.counting.get(flight) as Promise<T> | undefined;
    if (!pending) {
      const at = Date.now();
      pending = count()
        .then((value) => {
          this.entries.delete(key);
          this.entries.set(key, { version, value, at });
          if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
          return value;
        })
        .finally(() => this.counting.delete(flight));
      this.counting.set(flight, pending);
    }
    return pending;
  }
}

/** A cache key that does not depend on the order of query parameters. */
export const cacheKey = (name: string, params: Record<string, unknown>) =>
  `${name}?${Object.keys(params)
    .sort()
    .filter((k) => params[k] !== undefined)
    .map((k) => `${k}=${JSON.stringify(params[k])}`)
    .join('&')}`;
