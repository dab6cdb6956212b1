/** Where the suite's databases live; shared by test/setup.ts and test/helper.ts. */
import { readFileSync } from 'node:fs';

export const PGLITE_TEMPLATE = '.tap/pglite-template.tar.gz';
/** A migrated embedded data folder that servers spawned by tests start from (test/support/server-process.ts). */
export const PREPARED_DATA_DIR = '.tap/pglite-data';
/** Holds the name of this run's template database (each run makes its own, so runs never drop each other's). */
export const PG_TEMPLATE_FILE = '.tap/pg-template-name';

/** The suite's migrated PGlite data folder, as PGlite's `loadDataDir` takes it. */
export const pgliteTemplate = () => new Blob([readFileSync(PGLITE_TEMPLATE)]);

export const templateDb = () => readFileSync(PG_TEMPLATE_FILE, 'utf8').trim();

/** Set to a PostgreSQL URL to run the suite on a server; unset runs it on the embedded PGlite. */
export const testServerUrl = () => process.env.CLAIMLEDGER_TEST_DATABASE_URL || undefined;

/** The same server, database `postgres`, for CREATE/DROP DATABASE. */
export function adminUrl(serverUrl: string): string {
  const url = new URL(serverUrl);
  url.pathname = '/postgres';
  return url.toString();
}
