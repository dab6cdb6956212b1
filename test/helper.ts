import { PGlite } from '@electric-sql/pglite';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openPostgres, pgliteExtensions, wrapPglite, type Database } from '../src/db/client.js';
import { hashSecret } from '../src/lib/keys.js';
import { bootstrapKeys } from '../src/resources/keys/queries.js';
import { requestEncoder } from '../src/domain/sentence-vectors.js';
import { encodeQueuedClaims } from '../src/resources/claims/meanings.js';
import { adminUrl, pgliteTemplate, templateDb, testServerUrl } from './targets.js';

export const backend = testServerUrl() ? 'postgres' : 'pglite';

/** The suite's admin key (CLAIMLEDGER_ADMIN_KEY of every test app); the request helpers send it unless told otherwise. */
export const TEST_ADMIN_KEY = 'clk_test-suite-admin-key-not-a-secret-0000000000';

/** A fresh, migrated database for one test file: a clone of the suite's template. */
export async function openTestDatabase(options: { statementTimeoutMs?: number } = {}): Promise<Database & { url?: string }> {
  const serverUrl = testServerUrl();
  if (!serverUrl) {
    const client = await PGlite.create({
      loadDataDir: pgliteTemplate(),
      extensions: pgliteExtensions,
    });
    return wrapPglite(client);
  }
  const name = `claimledger_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: adminUrl(serverUrl) });
  await admin.connect();
  await admin.query(`create database "${name}" template "${templateDb()}"`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = openPostgres({ url: url.toString(), statementTimeoutMs: options.statementTimeoutMs });
  return {
    ...database,
    url: url.toString(),
    async close() {
      await database.close();
      const a = new pg.Client({ connectionString: adminUrl(serverUrl) });
      await a.connect();
      await a.query(`drop database if exists "${name}" with (force)`);
      await a.end();
    },
  };
}

export interface TestApp {
  app: FastifyInstance;
  database: Database;
  /** Empties every table: tests call it at their start, so a failure leaves its rows to look at. */
  reset(): Promise<void>;
  /** Encodes every queued claim's sentence vector, as a listening server does in the background. */
  encodeClaims(): Promise<void>;
  request(options: InjectOptions): Promise<LightMyRequestResponse>;
  get(url: string): Promise<LightMyRequestResponse>;
  post(url: string, body?: unknown): Promise<LightMyRequestResponse>;
  patch(url: string, body?: unknown): Promise<LightMyRequestResponse>;
  del(url: string): Promise<LightMyRequestResponse>;
}

/** Builds the app on a fresh database (settings as environment variables in `env`) and closes both when the tap test ends. */
export async function buildTestApp(t: { teardown(fn: () => unknown): void }, env: Record<string, string> = {}): Promise<TestApp> {
  const config = loadConfig({ CLAIMLEDGER_ADMIN_KEY: TEST_ADMIN_KEY, ...env });
  const database = await openTestDatabase({ statementTimeoutMs: config.CLAIMLEDGER_STATEMENT_TIMEOUT_MS });
  const app = await buildApp({ config, database, migrate: false });
  t.teardown(async () => {
    await app.close();
    await database.close();
  });
  // Requests carry the admin key unless `headers.authorization` is given (null/undefined: no header).
  const request = (options: InjectOptions) => {
    const headers = { ...(options.headers ?? {}) } as Record<string, string | undefined>;
    if (!('authorization' in headers)) headers.authorization = `Bearer ${TEST_ADMIN_KEY}`;
    else if (headers.authorization == null) delete headers.authorization;
    return app.inject({ ...options, headers: headers as InjectOptions['headers'] });
  };
  return {
    app,
    database,
    reset: async () => {
      await database.db.execute(
        sql`truncate table review_evidence, reviews, attributions, claims, claimants, sources, events, idempotency_keys restart identity cascade`,
      );
      // Keys made by earlier tests go; the suite's admin key stays (restored if a test revoked it).
      await database.db.execute(sql`delete from api_keys where secret_hash <> ${hashSecret(TEST_ADMIN_KEY)}`);
      // CLAIMLEDGER_ADMIN_KEY never brings back a revoked key, so the reset does it for tests that revoke it.
      await database.db.execute(sql`update api_keys set revoked_at = null where secret_hash = ${hashSecret(TEST_ADMIN_KEY)}`);
      await bootstrapKeys(database.db, TEST_ADMIN_KEY);
      app.forgetKeys();
    },
    encodeClaims: async () => {
      while ((await encodeQueuedClaims(database.db, requestEncoder(), 256)) > 0);
    },
    request,
    get: (url) => request({ method: 'GET', url }),
    post: (url, body) => request({ method: 'POST', url, payload: body as InjectOptions['payload'] }),
    patch: (url, body) => request({ method: 'PATCH', url, payload: body as InjectOptions['payload'] }),
    del: (url) => request({ method: 'DELETE', url }),
  };
}
