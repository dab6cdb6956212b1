/**
 * Loads a realistic data set into the configured PostgreSQL database at COPY speed:
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/claimledger_bench npm run bench:data -- --claims 1000000
 *
 * Defaults: 1,000,000 claims, 50,000 claimants with aliases, 100,000 sources and two
 * attributions per claim (2,000,000). Rows go straight into the tables with COPY
 * (pg-copy-streams), not through the HTTP API: derived fields (`attribution_count`,
 * `first_seen_at`) are computed here so the rows are what the API would have stored.
 * Bench rows get no change-log events.
 *
 * It refuses a database that already holds claims unless `--replace` is given, which
 * empties the tables first. Secondary indexes are dropped during the load and built
 * afterwards (much faster than maintaining them row by row), and so are the search terms
 * (claimledger_rebuild_search_terms, as the migration does: COPY runs with triggers off);
 * then the tables are vacuumed and analysed so plans and statistics are what a settled
 * database has.
 *
 * Ids are UUIDv7 whose time part is the row's `created_at` and whose last 48 bits are
 * its ordinal, so bench/run.ts (and pgbench, through `bench.claim_id(n)`) can name any
 * row without a lookup table.
 */
import { parseArgs } from 'node:util';
import type { Writable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { openPostgres } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { SentenceEncoder, vectorToBase64 } from '../src/domain/sentence-vectors.js';
import { Corpus, TOPIC_NAMES } from './corpus.js';
import { benchCreatedAt, benchId, claimIdSql } from './ids.js';

/** COPY text format: backslash, tab, newline and carriage return escaped; \N is NULL. */
const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
const field = (v: string | number | null | undefined) => (v === null || v === undefined ? '\\N' : typeof v === 'number' ? String(v) : esc(v));
const textArray = (items: string[]) => `{${items.map((i) => `"${i.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;

/** Streams rows into one COPY, respecting backpressure; returns the row count. */
async function copyRows(client: pg.PoolClient, table: string, columns: string[], count: number, row: (i: number) => (string | number | null)[]) {
  const stream = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`)) as unknown as Writable;
  const done = new Promise<void>((resolve, reject) => {
    stream.on('finish', () => resolve());
    stream.on('error', reject);
  });
  let chunk = '';
  for (let i = 0; i < count; i++) {
    chunk += row(i).map(field).join('\t') + '\n';
    if (chunk.length > 1 << 20) {
      if (!stream.write(chunk)) await new Promise((r) => stream.once('drain', r));
      chunk = '';
    }
  }
  stream.end(chunk);
  await done;
  return count;
}

interface Options {
  claims: number;
  claimants: number;
  sources: number;
  attributions: number;
  seed: number;
  replace: boolean;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      claims: { type: 'string', default: '1000000' },
      claimants: { type: 'string' },
      sources: { type: 'string' },
      attributions: { type: 'string' },
      seed: { type: 'string', default: '1' },
      replace: { type: 'boolean', default: false },
    },
  });
  const claims = Number(values.claims);
  const num = (v: string | undefined, fallback: number) => (v === undefined ? fallback : Number(v));
  const o: Options = {
    claims,
    // At the full size the issue's numbers; smaller runs scale down with the claims.
    claimants: num(values.claimants, Math.max(100, Math.min(50_000, Math.round(claims / 20)))),
    sources: num(values.sources, Math.max(100, Math.min(100_000, Math.round(claims / 10)))),
    attributions: num(values.attributions, claims * 2),
    seed: Number(values.seed),
    replace: values.replace ?? false,
  };
  for (const [k, v] of Object.entries(o)) {
    if (typeof v === 'number' && (!Number.isInteger(v) || v < 0)) throw new Error(`--${k} must be a non-negative integer`);
  }
  return o;
}

/** Claims whose sentence vectors are encoded for real; the rest get copies (see below). */
const ENCODED = 2000;

const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('set DATABASE_URL to the PostgreSQL database to fill (e.g. postgres://postgres@127.0.0.1:5432/claimledger_bench)');
  const started = Date.now();

  // The database may not exist yet: create it (a bench database is disposable).
  const target = new URL(url);
  const dbName = decodeURIComponent(target.pathname.slice(1));
  const adminUrl = new URL(url);
  adminUrl.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  const exists = await admin.query('select 1 from pg_database where datname = $1', [dbName]);
  if (exists.rowCount === 0) {
    log(`creating database ${dbName}`);
    await admin.query(`create database "${dbName.replace(/"/g, '""')}"`);
  }
  await admin.end();

  const database = openPostgres({ url, max: 4, statementTimeoutMs: 3_600_000 });
  await runMigrations(database);
  const pool = database.pool!;
  const { rows: present } = await pool.query<{ n: string }>('select count(*) as n from (select 1 from claims limit 1) x');
  if (Number(present[0].n) > 0 && !options.replace) {
    throw new Error('the database already has claims; pass --replace to empty it and load the bench data');
  }
  log(`loading ${options.claims} claims, ${options.claimants} claimants, ${options.sources} sources, ${options.attributions} attributions`);
  await pool.query('truncate review_evidence, reviews, attributions, claims, claimants, sources, events, idempotency_keys restart identity cascade');

  // Secondary indexes are rebuilt after the load: one sort per index instead of 3M inserts into each.
  const { rows: indexes } = await pool.query<{ indexname: string; indexdef: string }>(
    `select i.indexname, i.indexdef from pg_indexes i
      where i.schemaname = 'public' and i.tablename in ('claims', 'claimants', 'sources', 'attributions')
        and not exists (select 1 from pg_constraint c where c.conname = i.indexname)
        and i.indexdef not like 'CREATE UNIQUE%'`,
  );
  for (const ix of indexes) await pool.query(`drop index "${ix.indexname}"`);

  const corpus = new Corpus(options.seed);
  const r = corpus.r;

  // Plan attributions first: each claim's count and first_seen_at come from them.
  const nA = options.attributions;
  const aClaim = new Int32Array(nA);
  const aSource = new Int32Array(nA);
  const aSaid = new Float64Array(nA); // 0 = no said_at
  const sourcePublished = new Float64Array(options.sources);
  for (let s = 0; s < options.sources; s++) sourcePublished[s] = Date.UTC(2019, 0, 1) + r.next() * 6 * 365 * 86_400_000;
  const claimCount = new Int32Array(options.claims);
  const claimSaid = new Float64Array(options.claims).fill(Infinity);
  const claimPublished = new Float64Array(options.claims).fill(Infinity);
  for (let a = 0; a < nA; a++) {
    // Every claim gets at least one attribution while there are enough; the rest go to popular claims.
    const c = a < options.claims ? a : Math.floor(Math.pow(r.next(), 1.5) * options.claims);
    const s = r.int(0, options.sources - 1);
    aClaim[a] = c;
    aSource[a] = s;
    claimCount[c]++;
    if (r.chance(0.5)) {
      aSaid[a] = sourcePublished[s] - r.int(0, 3 * 86_400_000);
      claimSaid[c] = Math.min(claimSaid[c], aSaid[a]);
    }
    claimPublished[c] = Math.min(claimPublished[c], sourcePublished[s]);
  }

  const iso = (ms: number) => new Date(ms).toISOString();
  const claimTexts: string[] = new Array(options.claims);
  const claimantNames: string[] = [];

  const claimantsClient = await pool.connect();
  const t0 = Date.now();
  await claimantsClient.query("set session_replication_role = 'replica'");
  await copyRows(claimantsClient, 'claimants', ['id', 'name', 'kind', 'aliases', 'created_at', 'updated_at'], options.claimants, (i) => {
    const c = corpus.claimant();
    claimantNames.push(c.name);
    const at = iso(benchCreatedAt('claimants', i).getTime());
    return [benchId('claimants', i), c.name, c.kind, textArray(c.aliases), at, at];
  });
  await copyRows(claimantsClient, 'sources', ['id', 'kind', 'url', 'title', 'publisher', 'language', 'published_at', 'created_at', 'updated_at'], options.sources, (i) => {
    const at = iso(benchCreatedAt('sources', i).getTime());
    const title = corpus.headline();
    const slug = title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
    const kind = r.chance(0.8) ? 'article' : r.pick(['transcript', 'statement', 'social_post', 'report']);
    return [benchId('sources', i), kind, `https://news${i % 97}.example/${slug}-${i}`, title, corpus.publisher(), 'en', iso(sourcePublished[i]), at, at];
  });
  log(`claimants and sources in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  const claimsClient = await pool.connect();
  await claimsClient.query("set session_replication_role = 'replica'");
  const t1 = Date.now();
  await copyRows(
    claimsClient,
    'claims',
    ['id', 'text', 'language', 'topics', 'status', 'first_seen_at', 'attribution_count', 'created_at', 'updated_at'],
    options.claims,
    (i) => {
      const { text, topic } = corpus.claim();
      claimTexts[i] = text;
      const topics = r.chance(0.3) ? [topic, r.pick(TOPIC_NAMES)] : [topic];
      const firstSeen = claimSaid[i] !== Infinity ? claimSaid[i] : claimPublished[i];
      const at = iso(benchCreatedAt('claims', i).getTime());
      return [
        benchId('claims', i),
        text,
        'en',
        textArray([...new Set(topics)]),
        r.chance(0.9) ? 'unreviewed' : 'in_review',
        firstSeen === Infinity ? null : iso(firstSeen),
        claimCount[i],
        at,
        at,
      ];
    },
  );
  log(`claims in ${((Date.now() - t1) / 1000).toFixed(1)} s`);

  const t2 = Date.now();
  const kinds = ['direct_quote', 'direct_quote', 'paraphrase', 'reported', 'headline'];
  const stances = ['asserts', 'asserts', 'asserts', 'denies', 'questions', 'reports'];
  await copyRows(
    claimsClient,
    'attributions',
    ['id', 'claim_id', 'source_id', 'claimant_id', 'claimant_label', 'kind', 'stance', 'quote', 'said_at', 'created_at', 'updated_at'],
    nA,
    (a) => {
      const named = r.chance(0.9);
      const kind = r.pick(kinds);
      const at = iso(benchCreatedAt('attributions', a).getTime());
      return [
        benchId('attributions', a),
        benchId('claims', aClaim[a]),
        benchId('sources', aSource[a]),
        named ? benchId('claimants', Math.floor(Math.pow(r.next(), 2) * options.claimants)) : null,
        named ? null : r.pick(['a senior official', 'a spokesperson', 'city officials', 'a government source', 'campaigners']),
        kind,
        r.pick(stances),
        kind === 'direct_quote' || kind === 'paraphrase' ? corpus.quote(claimTexts[aClaim[a]]) : null,
        aSaid[a] ? iso(aSaid[a]) : null,
        at,
        at,
      ];
    },
  );
  log(`attributions in ${((Date.now() - t2) / 1000).toFixed(1)} s`);
  claimantsClient.release();
  claimsClient.release();

  // Rebuild indexes, two at a time (this machine has two cores), biggest first.
  const t3 = Date.now();
  const queue = [...indexes].sort((a, b) => weight(b) - weight(a));
  await Promise.all(
    [0, 1].map(async () => {
      const client = await pool.connect();
      try {
        await client.query("set maintenance_work_mem = '512MB'");
        await client.query('set max_parallel_maintenance_workers = 0');
        for (let ix = queue.shift(); ix; ix = queue.shift()) {
          const t = Date.now();
          await client.query(ix.indexdef);
          log(`  ${ix.indexname} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
        }
      } finally {
        client.release();
      }
    }),
  );
  log(`indexes in ${((Date.now() - t3) / 1000).toFixed(1)} s`);

  // The search terms: COPY ran with triggers off (replica role), so they are built here by
  // the same function the migration uses, the biggest list on one connection and the two
  // others on the second.
  const t5 = Date.now();
  await Promise.all(
    [['attributions'], ['claims', 'sources']].map(async (lists) => {
      const client = await pool.connect();
      try {
        await client.query("set maintenance_work_mem = '512MB'");
        await client.query('set max_parallel_maintenance_workers = 0');
        for (const list of lists) {
          const t = Date.now();
          await client.query('select claimledger_rebuild_search_terms($1)', [list]);
          log(`  ${list} search terms in ${((Date.now() - t) / 1000).toFixed(1)} s`);
        }
      } finally {
        client.release();
      }
    }),
  );
  log(`search terms in ${((Date.now() - t5) / 1000).toFixed(1)} s`);

  // Sentence vectors: a server encodes each claim in the background (5-10 ms of CPU each, some
  // two hours for a million), so the first ENCODED claims are encoded here for real and every
  // other claim gets a copy of one of theirs. A match reads and compares 512 bytes per
  // candidate whatever they hold, so its cost is the one a fully encoded collection has; its
  // rankings on this data are not a measure of anything (bench/MATCHING.md measures those).
  const tVectors = Date.now();
  const encoded = Math.min(ENCODED, options.claims);
  const encoder = new SentenceEncoder();
  const vectors: string[] = [];
  try {
    for (let i = 0; i < encoded; i += 64) vectors.push(...(await encoder.encode(claimTexts.slice(i, Math.min(i + 64, encoded)))).map(vectorToBase64));
  } finally {
    await encoder.close();
  }
  await pool.query(
    `insert into claim_meanings (claim_id, vector)
     select ${claimIdSql('n')}, decode(($1::text[])[1 + n % $2], 'base64') from generate_series(0::bigint, $3::bigint - 1) n`,
    [vectors, Math.max(encoded, 1), encoded ? options.claims : 0],
  );
  log(`sentence vectors in ${((Date.now() - tVectors) / 1000).toFixed(1)} s (${encoded} encoded, the rest copies of theirs)`);

  const t4 = Date.now();
  for (const table of ['claimants', 'sources', 'claims', 'attributions', 'claim_terms', 'source_terms', 'attribution_terms', 'search_term_stats', 'search_term_deltas', 'claim_meanings']) {
    await pool.query(`vacuum (analyze) ${table}`);
  }
  log(`vacuum analyze in ${((Date.now() - t4) / 1000).toFixed(1)} s`);

  // What bench/run.ts needs to name rows: the id layout, as SQL for pgbench and as a row.
  await pool.query('create schema if not exists bench');
  await pool.query(`create or replace function bench.claim_id(n bigint) returns uuid language sql immutable parallel safe as $$ select ${claimIdSql('n')} $$`);
  await pool.query('create table if not exists bench.meta (key text primary key, value jsonb not null)');
  await pool.query(
    `insert into bench.meta values ('load', $1) on conflict (key) do update set value = excluded.value`,
    [JSON.stringify({ ...options, loaded_at: new Date().toISOString(), seconds: (Date.now() - started) / 1000 })],
  );
  await database.close();
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** Rough build cost, so the two slowest indexes start first. */
function weight(ix: { indexname: string; indexdef: string }) {
  const table = ix.indexdef.match(/ON public\.(\w+)/)?.[1] ?? '';
  const rows = { attributions: 4, claims: 2, sources: 0.2, claimants: 0.1 }[table] ?? 1;
  return rows * (ix.indexdef.includes('gin') ? 5 : 1);
}

main().catch((err) => {
  console.error(`bench:data: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
