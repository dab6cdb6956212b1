import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql, type SQL } from 'drizzle-orm';
import t from 'tap';
import { openPostgres, rowsOf } from '../src/db/client.js';
import { TEST_ADMIN_KEY, backend, buildTestApp } from './helper.js';
import { ndjsonExportRows, parseCsv } from './support/export-files.js';

// Exports must finish however slowly the client reads: every page is a query of its
// own, so no statement runs while the client reads. The timeout is set low so that
// a reader three times slower than it is quick to simulate.
const STATEMENT_TIMEOUT_MS = 1000;
const ROWS = 15_000;

// 15,000 rows of five types, each exported in every format, is heavy for a shared machine.
t.setTimeout(900_000);

// It listens, but encoding the 15,000 claims' sentence vectors in the background is not what it is about.
const api = await buildTestApp(t, { CLAIMLEDGER_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS), CLAIMLEDGER_MATCH_BACKGROUND: 'off' });
await api.app.listen({ host: '127.0.0.1', port: 0 });
const port = (api.app.server.address() as { port: number }).port;

const TABLES = { claims: 'claims', sources: 'sources', claimants: 'claimants', attributions: 'attributions', reviews: 'reviews' } as const;
type ExportType = keyof typeof TABLES;

// Setting up and checking are not under test: on the server they go through a
// connection of their own without the low timeout (the embedded database has none).
const { url } = api.database as { url?: string };
const setup = url ? openPostgres({ url, statementTimeoutMs: 600_000 }) : api.database;
if (url) t.teardown(() => setup.close());

/** Runs `statements` one after the other, without the low timeout; the last one's rows. */
async function untimed<R>(...statements: SQL[]): Promise<R[]> {
  let rows: R[] = [];
  for (const statement of statements) rows = rowsOf<R>(await setup.db.execute(statement));
  return rows;
}

/** ROWS of every type, linked one to one, in the file's own new database. */
async function seed() {
  await untimed(
    sql`insert into sources (id, kind, title, text, published_at)
      select md5('source' || i)::uuid, 'article', 'Source ' || i, repeat('Words of source ' || i || ', with a comma. ', 12), now()
        from generate_series(1, ${ROWS}) i`,
    sql`insert into claimants (id, name, kind)
      select md5('claimant' || i)::uuid, 'Claimant ' || i, (array['person', 'organization', 'group', 'unknown'])[1 + i % 4]
        from generate_series(1, ${ROWS}) i`,
    sql`insert into claims (id, text, topics, status, verdict, attribution_count, review_count, first_seen_at)
      select md5('claim' || i)::uuid, 'Claim number ' || i || ': ' || repeat('the figures went up again, ', 12), array['topic' || (i % 10)],
             'reviewed', 'false', 1, 1, now()
        from generate_series(1, ${ROWS}) i`,
    sql`insert into attributions (id, claim_id, source_id, claimant_id, quote, said_at)
      select md5('attribution' || i)::uuid, md5('claim' || i)::uuid, md5('source' || i)::uuid, md5('claimant' || i)::uuid, 'Quote ' || i, now()
        from generate_series(1, ${ROWS}) i`,
    sql`insert into reviews (id, claim_id, verdict, textual_rating, reviewer_name, published_at)
      select md5('review' || i)::uuid, md5('claim' || i)::uuid, 'false', 'Pants on Fire', 'Desk ' || i, now()
        from generate_series(1, ${ROWS}) i`,
    sql`insert into review_evidence (review_id, position, source_id, stance)
      select md5('review' || i)::uuid, 0, md5('source' || i)::uuid, 'refutes' from generate_series(1, ${ROWS}) i`,
    // As a live database would have them: statistics for the planner.
    sql`analyze`,
  );
}

async function idsOf(type: ExportType): Promise<string[]> {
  return (await untimed<{ id: string }>(sql.raw(`select id from ${TABLES[type]} order by id`))).map((r) => r.id);
}

interface Download {
  status: number;
  body: string;
  /** How the response ended: `end` (cleanly) or the error the client saw. */
  ended: 'end' | string;
  ms: number;
}

/**
 * GETs `path` over a real socket and reads the body slowly, taking at least
 * three quarters of `ms` in all. `afterFirstChunk` runs once,
 * while the reader holds back.
 */
function slowDownload(path: string, ms: number, afterFirstChunk?: () => Promise<void>): Promise<Download> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` } }, (res) => {
      const chunks: Buffer[] = [];
      let settled = false;
      const finish = (ended: string) => {
        if (settled) return;
        settled = true;
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ended, ms: Date.now() - started });
      };
      res.on('aborted', () => finish('aborted'));
      res.on('error', (err) => finish(err.message));
      res.on('end', () => finish('end'));
      (async () => {
        let first = true;
        for await (const chunk of res) {
          chunks.push(chunk as Buffer);
          if (first && afterFirstChunk) await afterFirstChunk();
          // Hold back three quarters of `ms` after the first chunk, whatever the chunk sizes (a
          // small export may arrive in a few large ones), then spread the rest: a few
          // milliseconds per chunk, more early on.
          const behind = ms - (Date.now() - started);
          await sleep(first ? Math.max(0, behind - ms / 4) : Math.max(2, Math.min(50, behind / 20)));
          first = false;
        }
      })().catch(() => {});
    });
    req.on('error', reject);
  });
}

await seed();

t.test('slow readers get every row of every export type and format, at three times the statement timeout and more', async (t) => {
  const started = Date.now();
  const readMs = 4 * STATEMENT_TIMEOUT_MS;
  const cases: [ExportType, string][] = [];
  for (const type of Object.keys(TABLES) as ExportType[]) {
    cases.push([type, 'ndjson'], [type, 'csv']);
    if (type === 'claims' || type === 'reviews') cases.push([type, 'claimreview']);
  }
  // Three at a time, as several clients would (on the embedded database they share its one
  // connection); not all twelve, which would starve a small shared test machine.
  const downloads: Download[] = [];
  for (let i = 0; i < cases.length; i += 3) {
    const batch = cases.slice(i, i + 3).map(([type, format]) => slowDownload(`/v1/export?type=${type}&format=${format}`, readMs));
    downloads.push(...(await Promise.all(batch)));
  }
  t.comment(`${cases.length} exports in ${Date.now() - started} ms`);
  for (const [i, [type, format]] of cases.entries()) {
    const d = downloads[i];
    const label = `${type} ${format} (${backend}, read in ${d.ms} ms)`;
    t.equal(d.status, 200, label);
    t.equal(d.ended, 'end', `${label}: ended cleanly`);
    t.ok(d.ms >= 3 * STATEMENT_TIMEOUT_MS, `${label}: the client read for at least 3× the statement timeout`);
    const ids = await idsOf(type);
    t.equal(ids.length, ROWS);
    if (format === 'csv') {
      const [header, ...records] = parseCsv(d.body);
      t.same(records.map((r) => r[header.indexOf('id')]), ids, `${label}: every row, in id order`);
    } else if (format === 'ndjson') {
      t.same(ndjsonExportRows(d.body).map((r) => r.id), ids, `${label}: every row, in id order, then the summary line`);
    } else {
      const docs = ndjsonExportRows(d.body);
      t.equal(docs.length, ROWS, `${label}: one ClaimReview per review, then the summary line`);
      t.equal(new Set(docs.map((doc) => doc.claimReviewed)).size, ROWS, `${label}: every claim's review`);
    }
  }
});

t.test('an export that fails midway is told apart from a complete one: no summary line, and the connection is aborted', async (t) => {
  const cases: [string, string][] = [
    ['claims', 'ndjson'],
    ['claims', 'csv'],
    ['reviews', 'claimreview'],
  ];
  for (const [type, format] of cases) {
    // Once the client has its first chunk, the table goes away, so the next page fails.
    const d = await slowDownload(`/v1/export?type=${type}&format=${format}`, 0, async () => {
      await sleep(50);
      await untimed(sql.raw(`alter table ${type} rename to ${type}_gone`));
    });
    await untimed(sql.raw(`alter table ${type}_gone rename to ${type}`));
    const label = `${type} ${format} (${backend})`;
    t.equal(d.status, 200, `${label}: the export had started`);
    t.ok(d.body.length > 0, `${label}: some rows arrived (${d.body.length} bytes)`);
    t.not(d.ended, 'end', `${label}: the client sees the response broken off (${d.ended}), not a clean end`);
    if (format !== 'csv') {
      t.notMatch(d.body, /export_complete/, `${label}: no summary line`);
      t.throws(() => ndjsonExportRows(d.body), `${label}: read as an export, it is refused`);
    }
  }
  // And the export works again once the table is back.
  const whole = await slowDownload('/v1/export?type=claims&format=ndjson', 0);
  t.equal(ndjsonExportRows(whole.body).length, ROWS);
});
