import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../../db/client.js';
import { migrationsFolder } from '../../db/migrate.js';

/** How many migrations this build ships. */
const shippedMigrations = (
  JSON.parse(readFileSync(path.join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] }
).entries.length;

/** How many of the migrations this build ships the database has not applied; throws when the database cannot be reached. */
export async function pendingMigrations(db: Db): Promise<number> {
  const result = await db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
  return shippedMigrations - rowsOf<{ n: number }>(result)[0].n;
}
