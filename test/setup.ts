/**
 * Runs once before the whole suite (tap's `before`): prepares one migrated
 * database that every test file clones, instead of migrating per file.
 * - PostgreSQL (CLAIMLEDGER_TEST_DATABASE_URL set): a template database.
 * - PGlite (default): a gzipped data directory dump (initdb is slow in WASM).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { openPostgres, pgliteExtensions, wrapPglite } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { PGLITE_TEMPLATE, TEMPLATE_DB, adminUrl, testServerUrl } from './targets.js';

const serverUrl = testServerUrl();
if (serverUrl) {
  const admin = new pg.Client({ connectionString: adminUrl(serverUrl) });
  await admin.connect();
  // Leftovers of an earlier run: the template and the per-file clones.
  const old = await admin.query(`select datname from pg_database where datname like 'claimledger_test_%'`);
  for (const { datname } of old.rows) await admin.query(`drop database if exists "${datname}" with (force)`);
  await admin.query(`create database "${TEMPLATE_DB}"`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${TEMPLATE_DB}`;
  const database = openPostgres({ url: url.toString() });
  await runMigrations(database);
  await database.close();
} else {
  const client = await PGlite.create({ extensions: pgliteExtensions });
  const database = wrapPglite(client);
  await runMigrations(database);
  const dump = await client.dumpDataDir('gzip');
  mkdirSync('.tap', { recursive: true });
  writeFileSync(PGLITE_TEMPLATE, Buffer.from(await dump.arrayBuffer()));
  await database.close();
}
