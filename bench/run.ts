/**
 * Load test of the hot endpoints against a database filled by `npm run bench:data`:
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/claimledger_bench npm run bench
 *   … npm run bench -- --duration 5 --only search-rare,match --explain
 *
 * For each scenario it runs the API (autocannon on 127.0.0.1) and, in the same run,
 * the very SQL the API executes for that request through `pgbench -M prepared`
 * (captured from the query functions themselves, so the two cannot drift), and
 * prints requests/s and p50/p95/p99 of both and their ratio. get-by-id and the first
 * list page also run against a bare Fastify + pg server (bench/baseline.ts) with the
 * same SQL, against bench/api-core.ts (the API's claim routes without its cross-cutting
 * plugins: where the difference goes) and against the API with one worker per core
 * (CLAIMLEDGER_WORKERS); those
 * throughput runs (50 connections) are interleaved over `--rounds` rounds (default 3)
 * and the median round is reported, so that other load on the machine hits every
 * contender alike. Latency runs use one connection.
 * `--explain` prints EXPLAIN (ANALYZE, BUFFERS) of every captured statement (with
 * `--duration 0`, only that).
 *
 * The API runs with LOG_LEVEL=warn (no per-request log lines, as the baseline) and a
 * rate limit too high to matter; it sends `Authorization: Bearer $CLAIMLEDGER_BENCH_KEY`
 * (the key is also given to the server as CLAIMLEDGER_ADMIN_KEY, so it exists).
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import autocannon, { type Result } from 'autocannon';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import * as schema from '../src/db/schema.js';
import type { Db } from '../src/db/client.js';
import { createClaims, embedInClaims, getClaim, listClaims } from '../src/resources/claims/queries.js';
import { withWrite } from '../src/db/write.js';
import { systemActor } from '../src/lib/actor.js';
import { onlyRow } from '../src/lib/row-failures.js';
import { listClaimants } from '../src/resources/claimants/queries.js';
import { matchClaims } from '../src/resources/claims/match.js';
import { matchScenarios } from './run-match.js';
import { TOWNS } from './corpus.js';
import { benchCreatedAt, benchId } from './ids.js';
import { WRITE_SOURCE_ID, deleteWritten, ensureWriteSource, writeBody } from './write-scenario.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '50' },
    workers: { type: 'string', default: String(availableParallelism()) },
    rounds: { type: 'string', default: '3' },
    only: { type: 'string' },
    explain: { type: 'boolean', default: false },
  },
});
const DURATION = Number(args.duration);
const CONNECTIONS = Number(args.connections);
const WORKERS = Number(args.workers);
const ROUNDS = Number(args.rounds);
const only = args.only ? new Set(args.only.split(',')) : undefined;

const DATABASE_URL = process.env.DATABASE_URL;
if (!DATABASE_URL) throw new Error('set DATABASE_URL to the database `npm run bench:data` filled');
const KEY = process.env.CLAIMLEDGER_BENCH_KEY || `bench-${randomBytes(16).toString('hex')}`;
const log = (line: string) => process.stderr.write(`${line}\n`);

// ---------------------------------------------------------------- SQL capture

interface Statement {
  sql: string;
  params: unknown[];
}

/**
 * A Db whose statements are recorded: the query functions tell us exactly what they
 * run, through drizzle or straight on the pool (the prepared hot paths).
 */
function capturingDb(pool: pg.Pool) {
  const captured: Statement[] = [];
  const record = (config: unknown, values?: unknown) => {
    const c = config as { text?: string; values?: unknown[] };
    if (typeof config === 'string') captured.push({ sql: config, params: (values as unknown[]) ?? [] });
    else if (c?.text) captured.push({ sql: c.text, params: (Array.isArray(values) ? values : c.values) ?? [] });
  };
  // Every statement runs on a client the pool hands out (pool.query takes one through
  // connect with a callback, a transaction holds one): recording there sees them all.
  const connect = pool.connect.bind(pool) as (callback?: (err: Error | undefined, client: pg.PoolClient, done: () => void) => void) => Promise<pg.PoolClient>;
  const recording = (client: pg.PoolClient) => {
    if (!(client as { recorded?: boolean }).recorded) {
      const clientQuery = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
      (client as unknown as { query: (...args: unknown[]) => unknown }).query = (config: unknown, values?: unknown, callback?: unknown) => {
        record(config, typeof values === 'function' ? undefined : values);
        return clientQuery(config, values, callback);
      };
      (client as { recorded?: boolean }).recorded = true;
    }
    return client;
  };
  (pool as unknown as { connect: unknown }).connect = (callback?: (err: Error | undefined, client: pg.PoolClient, done: () => void) => void) =>
    callback ? connect((err, client, done) => callback(err, client && recording(client), done)) : connect().then(recording);
  const db = drizzle(pool, { schema }) as unknown as Db;
  return {
    db,
    async capture(fn: () => Promise<unknown>): Promise<Statement[]> {
      captured.length = 0;
      await fn();
      return [...captured];
    },
  };
}

/** A parameter as node-postgres sends it (text), for pgbench's -D. */
function pgText(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return `{${value.map((v) => (v === null ? 'NULL' : `"${pgText(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)).join(',')}}`;
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * A pgbench script running the statements of one API request in order. `$n` become
 * pgbench variables (sent as parameters with -M prepared, as node-postgres does);
 * `replace` swaps a parameter for an expression (a random id).
 */
function pgbenchScript(statements: Statement[], replace: Record<string, string> = {}, preamble = '') {
  const vars: Record<string, string> = {};
  const body = statements
    .map((s, i) => {
      const text = s.sql.replace(/\$(\d+)/g, (_, n: string) => {
        const name = `s${i}p${n}`;
        if (replace[name]) {
          // A replacement may still use the parameter itself (an id replaced inside it).
          if (new RegExp(`:${name}\\b`).test(replace[name])) vars[name] = pgText(s.params[Number(n) - 1]);
          return replace[name];
        }
        const value = s.params[Number(n) - 1];
        if (value === null || value === undefined) return 'NULL'; // a variable would be the text "null"
        vars[name] = pgText(value);
        return `:${name}`;
      });
      return `${text.replace(/\s+/g, ' ').trim()};`;
    })
    .join('\n');
  return { script: `${preamble}${body}\n`, vars };
}

const UUID_IN_TEXT = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/**
 * A pgbench script for a write: the statements of one API request, with every id
 * the request minted (the claim's, the attribution's, the events') replaced by a
 * fresh one per transaction (`gen_random_uuid()`, \gset), so each transaction
 * inserts new rows as each API request does. A parameter that holds a minted id
 * among other text (the JSON of an insert, an event snapshot) has it replaced in
 * SQL and is cast back to the parameter's type, which PostgreSQL tells (PREPARE).
 */
async function pgbenchWriteScript(pool: pg.Pool, statements: Statement[], existing: Set<string>) {
  const minted = new Map<string, string>();
  for (const st of statements) {
    for (const p of st.params) for (const id of pgText(p).match(UUID_IN_TEXT) ?? []) if (!existing.has(id) && !minted.has(id)) minted.set(id, `u${minted.size + 1}`);
  }
  const replace: Record<string, string> = {};
  const client = await pool.connect();
  try {
    for (const [i, st] of statements.entries()) {
      if (st.params.length === 0) continue;
      await client.query(`prepare bench_write_${i} as ${st.sql}`);
      const [{ types }] = (await client.query(`select parameter_types::text[] as types from pg_prepared_statements where name = $1`, [`bench_write_${i}`])).rows as { types: string[] }[];
      await client.query(`deallocate bench_write_${i}`);
      st.params.forEach((p, k) => {
        const text = pgText(p);
        const ids = [...new Set(text.match(UUID_IN_TEXT) ?? [])].filter((id) => minted.has(id));
        if (ids.length === 0) return;
        const name = `s${i}p${k + 1}`;
        if (text === ids[0]) replace[name] = `:${minted.get(text)}`;
        else replace[name] = `(${ids.reduce((expr, id) => `replace(${expr}, '${id}', :${minted.get(id)})`, `:${name}::text`)})::${types[k]}`;
      });
    }
  } finally {
    client.release();
  }
  const names = [...minted.values()];
  const preamble = `select ${names.map((n) => `gen_random_uuid() as ${n}`).join(', ')} \\gset\n`;
  return pgbenchScript(statements, replace, preamble);
}

// ---------------------------------------------------------------- measuring

interface Measure {
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  errors?: number;
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);

/** The round with the median throughput (its latencies with it). */
function median(rounds: Measure[]): Measure {
  const sorted = [...rounds].sort((a, b) => a.rps - b.rps);
  const m = sorted[Math.floor((sorted.length - 1) / 2)];
  return { ...m, errors: rounds.reduce((n, r) => n + (r.errors ?? 0), 0) };
}

function summarise(latenciesMs: number[], rps: number, errors = 0): Measure {
  const sorted = Float64Array.from(latenciesMs).sort();
  const arr = Array.from(sorted);
  return { rps, p50: percentile(arr, 50), p95: percentile(arr, 95), p99: percentile(arr, 99), errors };
}

interface HttpScenario {
  method?: 'GET' | 'POST';
  path: () => string;
  body?: string;
}

async function loadTest(port: number, scenario: HttpScenario, connections: number, seconds: number): Promise<Measure> {
  const latencies: number[] = [];
  let errors = 0;
  const result = await new Promise<Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${port}`,
        connections,
        duration: seconds,
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        requests: [
          {
            method: scenario.method ?? 'GET',
            body: scenario.body,
            setupRequest: (req) => ({ ...req, path: scenario.path() }),
          },
        ],
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status >= 200 && status < 300) latencies.push(ms);
      else errors++;
    });
  });
  return summarise(latencies, latencies.length / seconds, errors + result.errors + result.timeouts);
}

const dbTarget = (() => {
  const u = new URL(DATABASE_URL);
  return { host: u.hostname, port: u.port || '5432', user: decodeURIComponent(u.username || 'postgres'), password: decodeURIComponent(u.password), db: u.pathname.slice(1) };
})();

async function pgbench(script: string, vars: Record<string, string>, connections: number, seconds: number): Promise<Measure> {
  const dir = mkdtempSync(path.join(tmpdir(), 'claimledger-pgbench-'));
  try {
    writeFileSync(path.join(dir, 'script.sql'), script);
    const argv = [
      '-n', '-M', 'prepared', '-c', String(connections), '-j', String(Math.min(connections, availableParallelism())),
      '-T', String(seconds), '-f', path.join(dir, 'script.sql'), '-l', '--log-prefix', path.join(dir, 'tx'),
      '-h', dbTarget.host, '-p', dbTarget.port, '-U', dbTarget.user,
      ...Object.entries(vars).flatMap(([k, v]) => ['-D', `${k}=${v}`]),
      dbTarget.db,
    ];
    const { stdout } = await run('pgbench', argv, { cwd: dir, env: { ...process.env, PGPASSWORD: dbTarget.password }, maxBuffer: 1 << 24 });
    const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(stdout)?.[1] ?? /tps = ([\d.]+)/.exec(stdout)?.[1]);
    const latencies: number[] = [];
    for (const file of readdirSync(dir).filter((f) => f.startsWith('tx'))) {
      for (const line of readFileSync(path.join(dir, file), 'utf8').split('\n')) {
        const fields = line.split(' ');
        if (fields.length >= 3) latencies.push(Number(fields[2]) / 1000);
      }
    }
    return summarise(latencies, tps);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- servers

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function startServer(entry: string, env: Record<string, string>): Promise<{ port: number; stop: () => Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: root,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit'],
    detached: true, // its own process group: stopping it stops its workers too
  });
  const stop = async () => {
    if (child.exitCode !== null) return;
    // The leader first (a cluster primary stops its workers itself), then whatever is left of the group.
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // the group is gone
    }
  };
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${entry} exited with ${child.exitCode}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}${entry.startsWith('src/') ? '/healthz' : '/v1/claims'}`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${entry} did not start`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  // A server loads its matching models as it starts listening (the sentence encoder: 1–3 s of
  // CPU on its own thread); the first match waits for them. That is a start, not a match: one
  // is made here, before anything is measured. Each worker of a cluster loads its own, so
  // with several workers, one per worker (connections are spread over them).
  if (entry === 'src/server.ts') {
    const workers = Number(env.CLAIMLEDGER_WORKERS ?? 1);
    await Promise.all(
      Array.from({ length: workers }, () =>
        fetch(`http://127.0.0.1:${port}/v1/claims/match`, {
          method: 'POST',
          headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', connection: 'close' },
          body: JSON.stringify({ text: 'The models are loaded before anything is measured.' }),
        }).then((res) => res.arrayBuffer()),
      ),
    );
  }
  return { port, stop };
}

const apiEnv = (workers: number) => ({
  DATABASE_URL: DATABASE_URL!,
  CLAIMLEDGER_WORKERS: String(workers),
  CLAIMLEDGER_ADMIN_KEY: KEY,
  CLAIMLEDGER_RATE_LIMIT: '1000000000',
  LOG_LEVEL: 'warn',
});

// ---------------------------------------------------------------- the run

interface Row {
  name: string;
  connections: number;
  api: Measure;
  sql?: Measure;
  baseline?: Measure;
  /** bench/api-core.ts: the API's routes without its cross-cutting plugins. */
  core?: Measure;
  note?: string;
}

async function main() {
  const started = Date.now();
  const load0 = loadavg();
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
  const [{ value: meta }] = (await pool.query(`select value from bench.meta where key = 'load'`).catch(() => ({ rows: [] }))).rows as { value: { claims: number } }[];
  if (!meta) throw new Error('no bench data here: run `npm run bench:data` first');
  const N = meta.claims;
  const { db, capture } = capturingDb(pool);
  const count = async (q: string) => Number((await pool.query(`select count(*) from claims where search @@ websearch_to_tsquery('english', $1)`, [q])).rows[0].count);

  // A rare word (a town a few dozen claims name) and a common one (in over 5 % of claims).
  let rare = '';
  let rareHits = 0;
  for (const town of TOWNS.slice(-400)) {
    rareHits = await count(town);
    if (rareHits >= 10 && rareHits <= 200) {
      rare = town.toLowerCase();
      break;
    }
  }
  const common = 'cost';
  const commonHits = await count(common);
  // A word in well under 1 % of the claims: the hardest case for ranking the newest matches.
  const medium = 'tunnel';
  const mediumHits = await count(medium);
  // The issue's example; Lindqvist is the most common surname of the generated claimants
  // (about 2 % of them), so this is the worst case; a typical surname has about a hundred.
  const lookupQ = 'lindkvist';
  const typicalQ = 'Tschaikowsky';
  const matchText = 'The harbour tunnel is going to cost two point four billion euros, far more than promised';

  const ids = Array.from({ length: 100_000 }, () => benchId('claims', Math.floor(Math.random() * N)));
  let next = 0;
  const randomClaim = () => `/v1/claims/${ids[next++ % ids.length]}`;
  const deepOrdinal = Math.floor(N / 2);
  const deepCursor = Buffer.from(
    JSON.stringify({ l: 'claims', s: '-created_at', v: benchCreatedAt('claims', deepOrdinal).toISOString(), id: benchId('claims', deepOrdinal) }),
  ).toString('base64url');

  const byId = await capture(() => getClaim(db, ids[0]));
  const firstPage = await capture(() => listClaims(db, {}));
  const deepPage = await capture(() => listClaims(db, { cursor: deepCursor }));
  const searchRare = await capture(() => listClaims(db, { q: rare }));
  const searchCommon = await capture(() => listClaims(db, { q: common }));
  const searchMedium = await capture(() => listClaims(db, { q: medium }));
  // Ranked search is exact on every page: a page deep into the common word's matches, the
  // common word with a filter, and two common words (every weight of both words is read).
  let deepSearchCursor: string | null = null;
  for (let pages = 0; pages < 50; pages++) {
    deepSearchCursor = (await listClaims(db, { q: common, limit: 200, ...(deepSearchCursor ? { cursor: deepSearchCursor } : {}) })).next_cursor;
  }
  const searchCommonDeep = await capture(() => listClaims(db, { q: common, cursor: deepSearchCursor! }));
  const searchCommonFiltered = await capture(() => listClaims(db, { q: common, status: 'in_review' }));
  const twoWords = 'cost billion';
  const twoWordsHits = await count(twoWords);
  const searchTwoWords = await capture(() => listClaims(db, { q: twoWords }));
  const lookup = await capture(() => listClaimants(db, { q: lookupQ }));
  const lookupTypical = await capture(() => listClaimants(db, { q: typicalQ }));
  const candidatesOf = async (q: string) =>
    Number((await pool.query(`select count(*) from claimants where lookup_key %> claimledger_name_key($1)`, [q])).rows[0].count);
  const [lookupHits, typicalHits] = [await candidatesOf(lookupQ), await candidatesOf(typicalQ)];
  await matchClaims(db, { text: matchText }); // fills the lexeme statistics cache, as a running server has it
  const match = await capture(() => matchClaims(db, { text: matchText }));

  // A write: a claim with one attribution whose quote is anchored in a 5,000-character
  // source, through the API's own write path (the route's transaction: createClaims, then
  // the response's attributions). The rows it adds are deleted at the end.
  await ensureWriteSource(pool);
  const claimantId = benchId('claimants', 0);
  const createBody = writeBody(claimantId);
  const created = await capture(() =>
    withWrite(db, systemActor, async (w) => embedInClaims(w.tx, [onlyRow(await createClaims(w, [{ body: createBody }]))], ['attributions'])),
  );
  const createScript = await pgbenchWriteScript(pool, created, new Set([WRITE_SOURCE_ID, claimantId]));

  const scenarios = [
    { key: 'get-by-id', name: 'get claim by id', c: CONNECTIONS, http: { path: randomClaim }, statements: byId, random: true, baseline: true },
    { key: 'list-first', name: 'list claims, first page', c: CONNECTIONS, http: { path: () => '/v1/claims' }, statements: firstPage, baseline: true },
    { key: 'list-deep', name: `list claims, page after row ${deepOrdinal.toLocaleString('en-US')}`, c: CONNECTIONS, http: { path: () => `/v1/claims?cursor=${deepCursor}` }, statements: deepPage },
    { key: 'search-rare', name: `search, rare word "${rare}" (${rareHits} hits)`, c: 1, http: { path: () => `/v1/claims?q=${encodeURIComponent(rare)}` }, statements: searchRare },
    {
      key: 'search-common',
      name: `search, common word "${common}" (${commonHits.toLocaleString('en-US')} hits, ${((100 * commonHits) / N).toFixed(1)} %)`,
      c: 1,
      http: { path: () => `/v1/claims?q=${common}` },
      statements: searchCommon,
    },
    {
      key: 'search-common-deep',
      name: `search, common word "${common}", the page after hit 10,000`,
      c: 1,
      http: { path: () => `/v1/claims?q=${common}&cursor=${deepSearchCursor}` },
      statements: searchCommonDeep,
    },
    {
      key: 'search-common-filtered',
      name: `search, common word "${common}" with status=in_review`,
      c: 1,
      http: { path: () => `/v1/claims?q=${common}&status=in_review` },
      statements: searchCommonFiltered,
    },
    {
      key: 'search-two-words',
      name: `search, two common words "${twoWords}" (${twoWordsHits.toLocaleString('en-US')} hits, ${((100 * twoWordsHits) / N).toFixed(1)} %)`,
      c: 1,
      http: { path: () => `/v1/claims?q=${encodeURIComponent(twoWords)}` },
      statements: searchTwoWords,
    },
    {
      key: 'search-medium',
      name: `search, mid-frequency word "${medium}" (${mediumHits.toLocaleString('en-US')} hits, ${((100 * mediumHits) / N).toFixed(1)} %)`,
      c: 1,
      http: { path: () => `/v1/claims?q=${medium}` },
      statements: searchMedium,
    },
    { key: 'lookup', name: `claimant lookup "${lookupQ}" (${lookupHits} candidates)`, c: 1, http: { path: () => `/v1/claimants?q=${lookupQ}` }, statements: lookup },
    {
      key: 'lookup-typical',
      name: `claimant lookup "${typicalQ}" (${typicalHits} candidates)`,
      c: 1,
      http: { path: () => `/v1/claimants?q=${typicalQ}` },
      statements: lookupTypical,
    },
    { key: 'match', name: 'claim match', c: 1, http: { method: 'POST' as const, path: () => '/v1/claims/match', body: JSON.stringify({ text: matchText }) }, statements: match },
    ...(await matchScenarios(db, capture)),
    {
      key: 'create-claim',
      name: 'create a claim with an attribution (quote anchored in a 5,000-character source)',
      c: 1,
      http: { method: 'POST' as const, path: () => '/v1/claims', body: JSON.stringify(createBody) },
      statements: created,
      script: createScript,
    },
  ].filter((s) => !only || only.has(s.key));

  if (args.explain) {
    for (const s of scenarios) {
      log(`\n### ${s.name}`);
      for (const st of s.statements) {
        if (/^\s*explain/i.test(st.sql)) {
          log('```\n' + st.sql.replace(/\s+/g, ' ').trim() + '\n(the planner\'s estimate, asked first to choose the plan)\n```');
          continue;
        }
        const client = await pool.connect();
        try {
          await client.query(st.sql, st.params.map((p) => (Array.isArray(p) || p instanceof Date ? pgText(p) : p)));
          const { rows } = await client.query(`explain (analyze, buffers) ${st.sql}`, st.params.map((p) => (Array.isArray(p) || p instanceof Date ? pgText(p) : p)));
          log('```\n' + st.sql.replace(/\s+/g, ' ').trim() + '\n\n' + rows.map((r) => r['QUERY PLAN']).join('\n') + '\n```');
        } finally {
          client.release();
        }
      }
    }
  }

  if (DURATION === 0) {
    await pool.end();
    return;
  }
  const rows: Row[] = [];
  log(`bench: ${N.toLocaleString('en-US')} claims; ${DURATION} s per run; ${ROUNDS} rounds for throughput; ${availableParallelism()} cores; load average ${load0.map((l) => l.toFixed(1)).join(' ')}`);

  // All servers up at once (an idle one costs nothing), so throughput comparisons can be
  // interleaved: round after round of API, bare baseline, API with all workers and pgbench,
  // and the median of the rounds reported. Other load on the machine then hits all alike.
  const withBaseline = scenarios.some((s) => s.baseline);
  const servers: { port: number; stop: () => Promise<void> }[] = [];
  const start = async (entry: string, env: Record<string, string>) => {
    const server = await startServer(entry, env);
    servers.push(server);
    return server;
  };
  try {
    const api = await start('src/server.ts', apiEnv(1));
    const bare = withBaseline ? await start('bench/baseline.ts', { DATABASE_URL: DATABASE_URL!, BASELINE_SQL_BY_ID: byId[0].sql, BASELINE_SQL_LIST: firstPage[0].sql }) : undefined;
    const core = withBaseline ? await start('bench/api-core.ts', { DATABASE_URL: DATABASE_URL! }) : undefined;
    const all = withBaseline && WORKERS > 1 ? await start('src/server.ts', apiEnv(WORKERS)) : undefined;
    for (const s of scenarios) {
      const { script, vars } = 'script' in s && s.script ? s.script : s.random
        ? pgbenchScript(s.statements, { s0p1: 'bench.claim_id(:n)' }, `\\set n random(0, ${N - 1})\n`)
        : pgbenchScript(s.statements);
      const targets: [string, number][] = [['api', api.port]];
      if (s.baseline && bare) targets.push(['bare', bare.port]);
      if (s.baseline && core) targets.push(['core', core.port]);
      if (s.baseline && all) targets.push(['all', all.port]);
      for (const [, port] of targets) await loadTest(port, s.http, s.c, 1); // warm up: JIT, pools, caches
      const rounds = s.c > 1 ? ROUNDS : 1;
      const measured: Record<string, Measure[]> = { api: [], bare: [], core: [], all: [], sql: [] };
      for (let r = 0; r < rounds; r++) {
        for (const [name, port] of targets) {
          const label = { api: 'API', bare: 'bare Fastify + pg', core: 'API routes without the cross-cutting plugins', all: `API, ${WORKERS} workers` }[name];
          log(`- ${s.name}: ${label} (round ${r + 1}/${rounds})…`);
          measured[name].push(await loadTest(port, s.http, s.c, DURATION));
        }
        log(`- ${s.name}: pgbench (round ${r + 1}/${rounds})…`);
        measured.sql.push(await pgbench(script, vars, s.c, DURATION));
      }
      rows.push({
        name: s.name,
        connections: s.c,
        api: median(measured.api),
        sql: median(measured.sql),
        baseline: measured.bare.length ? median(measured.bare) : undefined,
        core: measured.core.length ? median(measured.core) : undefined,
      });
      if (measured.all.length) rows.push({ name: `${s.name}, ${WORKERS} workers`, connections: s.c, api: median(measured.all) });
    }
  } finally {
    for (const server of servers) await server.stop();
    // What the write scenario added, API and pgbench alike.
    await deleteWritten(pool);
  }

  const load1 = loadavg();
  report(rows, { N, load0, load1, seconds: (Date.now() - started) / 1000 });
  await pool.end();
}

function report(rows: Row[], ctx: { N: number; load0: number[]; load1: number[]; seconds: number }) {
  const f = (n: number | undefined, digits = 1) => (n === undefined || Number.isNaN(n) ? '–' : n.toFixed(digits));
  const rps = (n: number | undefined) => (n === undefined ? '–' : Math.round(n).toLocaleString('en-US'));
  const lines = [
    `| scenario | conns | API req/s | p50 ms | p95 ms | p99 ms | SQL (pgbench) tx/s | p50 ms | p95 ms | p99 ms | API / SQL |`,
    `|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|`,
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.connections} | ${rps(r.api.rps)} | ${f(r.api.p50)} | ${f(r.api.p95)} | ${f(r.api.p99)} | ${rps(r.sql?.rps)} | ${f(r.sql?.p50)} | ${f(r.sql?.p95)} | ${f(r.sql?.p99)} | ${r.sql ? `${((100 * r.api.rps) / r.sql.rps).toFixed(0)} %` : '–'} |`,
    ),
  ];
  const baselineLines = rows
    .filter((r) => r.baseline)
    .map(
      (r) =>
        `| ${r.name} | ${r.connections} | ${rps(r.baseline!.rps)} | ${f(r.baseline!.p50)} | ${f(r.baseline!.p95)} | ${f(r.baseline!.p99)} | ${rps(r.api.rps)} | ${((100 * r.api.rps) / r.baseline!.rps).toFixed(0)} % | ${rps(r.core?.rps)} | ${r.core ? `${((100 * r.core.rps) / r.baseline!.rps).toFixed(0)} %` : '–'} |`,
    );
  const find = (prefix: string) => rows.find((r) => r.name.startsWith(prefix) && !r.name.includes('workers'));
  const multi = (prefix: string) => rows.find((r) => r.name.startsWith(prefix) && r.name.includes('workers'));
  const checks: [string, boolean | undefined, string][] = [];
  const p95 = (prefix: string) => find(prefix)?.api.p95;
  const check = (label: string, value: number | undefined, ok: (v: number) => boolean, shown: string) =>
    checks.push([label, value === undefined ? undefined : ok(value), value === undefined ? 'not run' : shown]);
  check('search, rare word: p95 < 15 ms', p95('search, rare'), (v) => v < 15, `${f(p95('search, rare'))} ms`);
  check('search, common word: p95 < 50 ms', p95('search, common'), (v) => v < 50, `${f(p95('search, common'))} ms`);
  check('search, common word, exact rank on every page: p95 < 100 ms', p95('search, common'), (v) => v < 100, `${f(p95('search, common'))} ms`);
  for (const r of rows.filter((x) => x.name.startsWith('claimant lookup'))) {
    check(`${r.name}: p95 < 10 ms`, r.api.p95, (v) => v < 10, `${f(r.api.p95)} ms`);
  }
  check('match, a tweet: p95 < 100 ms', p95(`claim match, a tweet`), (v) => v < 100, `${f(p95('claim match, a tweet'))} ms`);
  check('match: p95 < 50 ms', p95('claim match'), (v) => v < 50, `${f(p95('claim match'))} ms`);
  for (const prefix of ['get claim by id', 'list claims, first page']) {
    const r = find(prefix);
    const ratio = r?.baseline ? r.api.rps / r.baseline.rps : undefined;
    check(`${prefix}: ≥ 80 % of bare Fastify + pg`, ratio, (v) => v >= 0.8, `${f(ratio === undefined ? undefined : ratio * 100, 0)} %`);
  }
  const one = find('get claim by id');
  const many = multi('get claim by id');
  const gain = one && many ? many.api.rps / one.api.rps : undefined;
  check(`get claim by id: all workers ≥ 1.4 × one`, gain, (v) => v >= 1.4, `${f(gain, 2)} ×`);
  const errors = rows.reduce((n, r) => n + (r.api.errors ?? 0) + (r.baseline?.errors ?? 0) + (r.core?.errors ?? 0), 0);

  const out = [
    '',
    `claimledger bench — ${ctx.N.toLocaleString('en-US')} claims, ${DURATION} s per run, ${availableParallelism()} cores, ${new Date().toISOString()}`,
    `load average before ${ctx.load0.map((l) => l.toFixed(1)).join(' ')}, after ${ctx.load1.map((l) => l.toFixed(1)).join(' ')}; whole run ${ctx.seconds.toFixed(0)} s`,
    '',
    ...lines,
    '',
    '| bare Fastify + pg, same SQL | conns | req/s | p50 ms | p95 ms | p99 ms | API req/s | API / bare | API routes without cross-cutting plugins, req/s | that / bare |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
    ...baselineLines,
    '',
    '| target | result | |',
    '|---|---|---|',
    ...checks.map(([label, ok, shown]) => `| ${label} | ${shown} | ${ok === undefined ? '–' : ok ? 'met' : 'NOT met'} |`),
    '',
    errors ? `non-2xx answers or socket errors during the run: ${errors}` : 'every answer was 2xx',
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  mkdirSync(path.join(root, 'bench/results'), { recursive: true });
  writeFileSync(path.join(root, `bench/results/${new Date().toISOString().replace(/[:.]/g, '-')}.json`), JSON.stringify({ ctx, rows }, null, 2));
}

main().catch((err) => {
  console.error(`bench: ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
