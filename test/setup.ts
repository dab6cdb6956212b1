/**
 * Runs once before the whole suite (tap's `before`): prepares one migrated
 * database that every test file clones, instead of migrating per file.
 * - PostgreSQL (CLAIMLEDGER_TEST_DATABASE_URL set): a template database.
 * - PGlite (default): a gzipped data directory dump (initdb is slow in WASM).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { openPostgres, pgliteExtensions, wrapPglite } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { PGLITE_TEMPLATE, PG_TEMPLATE_FILE, PREPARED_DATA_DIR, adminUrl, testServerUrl } from './targets.js';

// Made again, when a test needs it, from this run's migrations.
rmSync(PREPARED_DATA_DIR, { recursive: true, force: true });
// and what a test file killed while making it left behind (`<folder>.<pid>`)
for (const name of existsSync('.tap') ? readdirSync('.tap') : []) {
  if (name.startsWith(`${path.basename(PREPARED_DATA_DIR)}.`)) rmSync(path.join('.tap', name), { recursive: true, force: true });
}
rmSync(PGLITE_TEMPLATE, { force: true });

const serverUrl = testServerUrl();
if (serverUrl) {
  const admin = new pg.Client({ connectionString: adminUrl(serverUrl) });
  await admin.connect();
  mkdirSync('.tap', { recursive: true });
  // The previous run's template goes; other runs' databases (a colleague's suite on the same server) stay.
  if (existsSync(PG_TEMPLATE_FILE)) {
    await admin.query(`drop database if exists "${readFileSync(PG_TEMPLATE_FILE, 'utf8').trim()}" with (force)`).catch(() => {});
  }
  const template = `claimledger_test_template_${Date.now()}_${process.pid}`;
  await admin.query(`create database "${template}"`);
  await admin.end();
  writeFileSync(PG_TEMPLATE_FILE, template);
  const url = new URL(serverUrl);
  url.pathname = `/${template}`;
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
