/**
 * Bulk import, streaming export and dashboard stats, measured against a real server:
 *
 *   npm run bench:bulk                                  # every section, defaults below
 *   npm run bench:bulk -- --only bulk --lines 100000    # one section
 *   npm run build && npm run bench:bulk -- --built      # the API as `npm start` runs it
 *   npm run bench:bulk -- --only bulk --statements      # + each import's time split by statement
 *
 * Sections (each starts its own API process, `node --import tsx src/server.ts`, or with
 * `--built` `node dist/server.js`, with LOG_LEVEL=warn and a rate limit too high to matter,
 * and samples its RSS from /proc; each import of the bulk section also reports the CPU time
 * the API process and PostgreSQL (the database's backends and the server's writers) spent on
 * it, per thousand lines):
 * - bulk:   POST /v1/bulk of N claims (`{type, id, data}` lines streamed from a file)
 *           against COPY of the very same rows into the same table, in fresh databases,
 *           alternating, `--rounds` times; then N lines of a newsroom mix (sources with
 *           text, claimants, claims, attributions with quotes to anchor, reviews).
 * - upload: one ~100 MB NDJSON body (`--upload-mb`), RSS sampled while it streams in.
 * - export: GET /v1/export of every claim of the big database (`--big`, 1M claims from
 *           `npm run bench:data`, cloned), NDJSON and CSV, RSS sampled while it streams out.
 * - stats:  every group_by and the overview on the big database: cold (each request
 *           after a write elsewhere, so the server cache cannot answer) and warm
 *           (sequential requests, the dashboard polling case), p50/p95/p99.
 *
 * The machine's load average is printed with every section: this host is shared.
 * Databases made here are named claimledger_bulkbench_*; they are dropped at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { once } from 'node:events';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Writable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { v7 } from 'uuid';
import { openPostgres } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { newsroomLines, type Line } from '../test/fixtures/bulk/newsroom.js';

const { values: opts } = parseArgs({
  options: {
    server: { type: 'string', default: process.env.BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432' },
    big: { type: 'string', default: 'claimledger_statsbulk' },
    only: { type: 'string', default: 'bulk,upload,export,stats' },
    lines: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '3' },
    'upload-mb': { type: 'string', default: '100' },
    requests: { type: 'string', default: '200' },
    // The API as `npm start` runs it (node dist/server.js, after `npm run build`) instead of
    // through tsx, which wraps every function for its name and compiles on load.
    built: { type: 'boolean', default: false },
    // Time every statement in the API process (bench/statement-timing.ts): how an import's wall
    // time splits between waiting for the database and the API's work between statements.
    statements: { type: 'boolean', default: false },
  },
});
const sections = new Set(opts.only!.split(','));
const root = path.resolve(import.meta.dirname, '..');
const KEY = `clk_bench-${randomBytes(16).toString('hex')}`;
const work = mkdtempSync(path.join(tmpdir(), 'claimledger-bulkbench-'));
const made: string[] = [];
const results: Record<string, unknown> = {};

const dbUrl = (name: string) => {
  const url = new URL(opts.server!);
  url.pathname = `/${name}`;
  return url.toString();
};
/** CPU milliseconds per thousand lines, API process and PostgreSQL. */
const perThousand = (cpu: { api: number; pg: number }, lines: number) => ({ api: Math.round((cpu.api / lines) * 1000), pg: Math.round((cpu.pg / lines) * 1000) });
const cpuText = (cpu: { api: number; pg: number }) => `CPU per 1k lines: API ${cpu.api} ms, PostgreSQL ${cpu.pg} ms`;
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
const log = (...args: unknown[]) => console.log(...args);

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: dbUrl('postgres') });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A fresh, migrated database. */
async function freshDatabase(name: string): Promise<string> {
  await admin(async (c) => {
    await c.query(`drop database if exists "${name}" with (force)`);
    await c.query(`create database "${name}"`);
  });
  made.push(name);
  const database = openPostgres({ url: dbUrl(name) });
  await runMigrations(database);
  await database.close();
  return dbUrl(name);
}

interface Server {
  url: string;
  pid: number;
  /** The database it writes to. */
  database: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const srv = net.createServer().listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as net.AddressInfo).port;
  srv.close();
  return port;
}

async function startServer(databaseUrl: string): Promise<Server> {
  const port = await freePort();
  const timing = opts.statements ? ['--import', 'tsx', '--import', pathToFileURL(path.join(root, 'bench/statement-timing.ts')).href] : [];
  const entry = opts.built ? [...timing, 'dist/server.js'] : [...(timing.length ? timing : ['--import', 'tsx']), 'src/server.ts'];
  const child: ChildProcess = spawn(process.execPath, [...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), ...entry], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      CLAIMLEDGER_ADMIN_KEY: KEY,
      CLAIMLEDGER_RATE_LIMIT: '1000000000',
      CLAIMLEDGER_STATEMENT_TIMEOUT_MS: '60000',
      CLAIMLEDGER_WORKERS: '1',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (i > 600 || child.exitCode !== null) throw new Error('the API did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    pid: child.pid!,
    database: new URL(databaseUrl).pathname.slice(1),
    async stop() {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

/** Resident set size of a process, in MiB. */
function rss(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.split(/\s+/)[1]) / 1024;
}

function sampleRss(pid: number, everyMs = 200) {
  const samples: { t: number; mb: number }[] = [];
  const start = Date.now();
  const timer = setInterval(() => samples.push({ t: Date.now() - start, mb: rss(pid) }), everyMs);
  return {
    stop() {
      clearInterval(timer);
      samples.push({ t: Date.now() - start, mb: rss(pid) });
      const mbs = samples.map((s) => s.mb);
      // Ten evenly spaced readings: flat, or growing with the body?
      const series = Array.from({ length: 10 }, (_, i) => Math.round(mbs[Math.floor(((mbs.length - 1) * i) / 9)]));
      return { samples: samples.length, min: Math.round(Math.min(...mbs)), max: Math.round(Math.max(...mbs)), last: Math.round(mbs.at(-1)!), series };
    },
  };
}

/** CPU ticks (user + system) of a process, from /proc; undefined once it is gone. */
function ticksOf(pid: string): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/**
 * The PostgreSQL processes that work for `database`, with their CPU ticks: its backends (their
 * process title names the database) and the server's writers, which the import keeps busy.
 * Other databases' backends on the same server are left out, and so are parallel workers that
 * start and end within one import. PostgreSQL must run on this host.
 */
function postgresTicks(database: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let title: string;
    try {
      title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      continue;
    }
    if (!/^postgres: /.test(title)) continue;
    const words = title.split(/\s+/);
    if (!words.includes(database) && !/: (checkpointer|background writer|walwriter)\b/.test(title)) continue;
    const ticks = ticksOf(pid);
    if (ticks !== undefined) found.set(pid, ticks);
  }
  return found;
}

/** USER_HZ, the unit of /proc's CPU times, is 100 on Linux. */
const MS_PER_TICK = 10;

/**
 * CPU time (ms) the API process and PostgreSQL spend while `fn` runs: less swayed by a busy
 * shared host than wall time, and it says which side a change saved. A backend that exits
 * meanwhile takes its CPU with it, so that is reported.
 */
async function cpuDuring<T>(server: Server, fn: () => Promise<T>): Promise<{ result: T; cpu: { api: number; pg: number } }> {
  const apiBefore = ticksOf(String(server.pid)) ?? 0;
  const pgBefore = postgresTicks(server.database);
  const result = await fn();
  const apiAfter = ticksOf(String(server.pid)) ?? 0;
  const pgAfter = postgresTicks(server.database);
  let pg = 0;
  for (const [pid, ticks] of pgAfter) pg += ticks - (pgBefore.get(pid) ?? 0);
  if (pgBefore.size === 0) log(`(no PostgreSQL process of ${server.database} found on this host: its CPU reads 0)`);
  const gone = [...pgBefore.keys()].filter((pid) => !pgAfter.has(pid));
  if (gone.length) log(`(${gone.length} PostgreSQL process(es) exited during the import: their CPU is not counted)`);
  return { result, cpu: { api: (apiAfter - apiBefore) * MS_PER_TICK, pg: pg * MS_PER_TICK } };
}

const auth = { authorization: `Bearer ${KEY}` };

async function postFile(server: Server, file: string, query = ''): Promise<{ status: number; body: string; ms: number; cpu: { api: number; pg: number } }> {
  const { result, cpu } = await cpuDuring(server, () => timedPost(server, file, query));
  return { ...result, cpu };
}

async function timedPost(server: Server, file: string, query: string): Promise<{ status: number; body: string; ms: number }> {
  const started = performance.now();
  const res = await fetch(`${server.url}/v1/bulk${query}`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/x-ndjson' },
    body: createReadStream(file) as unknown as RequestInit['body'],
    duplex: 'half',
  } as RequestInit);
  const body = await res.text();
  return { status: res.status, body, ms: performance.now() - started };
}

async function writeLines(file: string, lines: Iterable<string>) {
  const out = createWriteStream(file);
  for (const line of lines) if (!out.write(`${line}\n`)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

// ─── bulk vs COPY ────────────────────────────────────────────────────────────

const TOPICS = ['budget', 'tunnel', 'jobs', 'housing', 'transport', 'climate'];

interface ClaimRow {
  id: string;
  text: string;
  language: string;
  topics: string[];
}

function claimRows(n: number, tag: string): ClaimRow[] {
  return Array.from({ length: n }, (_, i) => ({
    id: v7(),
    text: `Claim ${tag} ${i}: the harbour tunnel will cost ${(i % 97) + 1}.${i % 10} billion euros, said the mayor`,
    language: 'en',
    topics: [TOPICS[i % TOPICS.length], TOPICS[(i * 7) % TOPICS.length]].filter((t, k, a) => a.indexOf(t) === k),
  }));
}

async function copyClaims(databaseUrl: string, rows: ClaimRow[]): Promise<number> {
  const now = new Date().toISOString();
  const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n');
  const text = rows.map((r) => [r.id, esc(r.text), r.language, `{${r.topics.join(',')}}`, 'unreviewed', now, now, '1'].join('\t')).join('\n') + '\n';
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const started = performance.now();
    const stream = client.query(copyFrom('COPY claims (id, text, language, topics, status, created_at, updated_at, version) FROM STDIN')) as unknown as Writable;
    const done = new Promise<void>((resolve, reject) => {
      stream.on('finish', () => resolve());
      stream.on('error', reject);
    });
    for (let i = 0; i < text.length; i += 1 << 20) if (!stream.write(text.slice(i, i + (1 << 20)))) await once(stream, 'drain');
    stream.end();
    await done;
    return performance.now() - started;
  } finally {
    await client.end();
  }
}

async function benchBulk() {
  const n = Number(opts.lines);
  const rounds = Number(opts.rounds);
  log(`\n## bulk: ${n} claims through POST /v1/bulk vs COPY of the same rows (load ${load()})`);
  const runs: { copy: number; bulk: number; cpu_ms_per_1k: { api: number; pg: number } }[] = [];
  for (let round = 1; round <= rounds; round++) {
    const rows = claimRows(n, `r${round}`);
    const file = path.join(work, `claims-${round}.ndjson`);
    await writeLines(
      file,
      rows.map((r) => JSON.stringify({ type: 'claim', id: r.id, data: { text: r.text, language: r.language, topics: r.topics } })),
    );
    const copyUrl = await freshDatabase(`claimledger_bulkbench_copy_${round}`);
    const copyMs = await copyClaims(copyUrl, rows);
    const bulkUrl = await freshDatabase(`claimledger_bulkbench_api_${round}`);
    const server = await startServer(bulkUrl);
    try {
      await postFile(server, await tinyFile()); // warm-up: validators compiled, connections open
      const res = await postFile(server, file);
      if (res.status !== 200) throw new Error(`bulk answered ${res.status}: ${res.body.slice(0, 500)}`);
      const copyRate = (n / copyMs) * 1000;
      const bulkRate = (n / res.ms) * 1000;
      const cpu = perThousand(res.cpu, n);
      runs.push({ copy: copyRate, bulk: bulkRate, cpu_ms_per_1k: cpu });
      log(
        `round ${round}: COPY ${Math.round(copyRate)} rows/s (${Math.round(copyMs)} ms), bulk ${Math.round(bulkRate)} lines/s (${Math.round(res.ms)} ms), bulk/COPY = ${(bulkRate / copyRate).toFixed(2)}; ${cpuText(cpu)} (load ${load()})`,
      );
    } finally {
      await server.stop();
    }
    rmSync(file);
  }
  const copy = median(runs.map((r) => r.copy));
  const bulkRate = median(runs.map((r) => r.bulk));
  const ratio = median(runs.map((r) => r.bulk / r.copy));
  log(`median: COPY ${Math.round(copy)} rows/s, bulk ${Math.round(bulkRate)} lines/s, bulk/COPY ${ratio.toFixed(2)}`);

  // A newsroom mix: every type, refs, quotes to anchor, derived fields, reviews.
  const mixFile = path.join(work, 'mix.ndjson');
  const mix = newsroomLines(n, 'mix');
  await writeLines(mixFile, mix.map((l) => JSON.stringify(l)));
  const mixUrl = await freshDatabase('claimledger_bulkbench_mix');
  const server = await startServer(mixUrl);
  try {
    await postFile(server, await tinyFile());
    const res = await postFile(server, mixFile);
    if (res.status !== 200) throw new Error(`bulk answered ${res.status}: ${res.body.slice(0, 500)}`);
    const counts = JSON.parse(res.body).counts;
    const cpu = perThousand(res.cpu, n);
    log(`newsroom mix: ${n} lines ${JSON.stringify(counts)} in ${Math.round(res.ms)} ms = ${Math.round((n / res.ms) * 1000)} lines/s; ${cpuText(cpu)} (load ${load()})`);
    results.bulk = { lines: n, rounds: runs, copy_rows_per_s: copy, bulk_lines_per_s: bulkRate, ratio, mix_lines_per_s: (n / res.ms) * 1000, mix_counts: counts, mix_cpu_ms_per_1k: cpu };
  } finally {
    await server.stop();
  }

  // The same mix with every speaker given a distinct made-up name, its attributions naming
  // the speaker by claimant_ref, then by claimant_name (resolved by lookup, each to an existing claimant).
  const rates: Record<'claimant_ref' | 'claimant_name', number> = { claimant_ref: 0, claimant_name: 0 };
  const cpus: Partial<Record<'claimant_ref' | 'claimant_name', { api: number; pg: number }>> = {};
  for (const how of ['claimant_ref', 'claimant_name'] as const) {
    const file = path.join(work, `mix-${how}.ndjson`);
    await writeLines(file, namedSpeakers(newsroomLines(n, 'names'), how).map((l) => JSON.stringify(l)));
    const server = await startServer(await freshDatabase(`claimledger_bulkbench_${how}`));
    try {
      await postFile(server, await tinyFile());
      const res = await postFile(server, file);
      if (res.status !== 200) throw new Error(`bulk answered ${res.status}: ${res.body.slice(0, 500)}`);
      const body = JSON.parse(res.body);
      if (body.failed > 0) throw new Error(`${body.failed} lines failed`);
      rates[how] = (n / res.ms) * 1000;
      cpus[how] = perThousand(res.cpu, n);
      log(`newsroom mix by ${how}: ${n} lines in ${Math.round(res.ms)} ms = ${Math.round(rates[how])} lines/s; ${cpuText(cpus[how])} (load ${load()})`);
    } finally {
      await server.stop();
    }
    rmSync(file);
  }
  log(`claimant_name / claimant_ref: ${(rates.claimant_name / rates.claimant_ref).toFixed(2)}`);
  Object.assign(results.bulk as object, { by_ref_lines_per_s: rates.claimant_ref, by_name_lines_per_s: rates.claimant_name, by_ref_cpu_ms_per_1k: cpus.claimant_ref, by_name_cpu_ms_per_1k: cpus.claimant_name });
}

const SYLLABLES = ['ka', 'lo', 'mi', 've', 'ran', 'to', 'sel', 'du', 'nor', 'pe', 'qui', 'bas', 'ten', 'zo', 'har', 'fi', 'gul', 'mor', 'wen', 'ty'];
/** A distinct two-word name for speaker `i` (not numbered: lookup compares words). */
function speakerName(i: number): string {
  const word = (x: number, len: number) => {
    let out = '';
    for (let k = 0; k < len; k++, x = Math.floor(x / SYLLABLES.length)) out += SYLLABLES[x % SYLLABLES.length];
    return out[0].toUpperCase() + out.slice(1);
  };
  return `${word(i, 3)} ${word(i * 7919 + 13, 3)}`;
}

/** Speakers renamed distinctly; attributions name them by ref or by name. */
function namedSpeakers(lines: Line[], how: 'claimant_ref' | 'claimant_name'): Line[] {
  const names = new Map<string, string>();
  return lines.map((l) => {
    if (l.type === 'claimant' && l.ref) {
      names.set(l.ref, speakerName(names.size));
      return { ...l, data: { ...l.data, name: names.get(l.ref), aliases: [] } };
    }
    if (how === 'claimant_name' && l.type === 'attribution' && typeof l.data.claimant_ref === 'string') {
      const { claimant_ref, ...data } = l.data;
      return { ...l, data: { ...data, claimant_name: names.get(claimant_ref as string) } };
    }
    return l;
  });
}

let tiny: string | undefined;
async function tinyFile() {
  if (!tiny) {
    tiny = path.join(work, 'tiny.ndjson');
    await writeLines(tiny, [JSON.stringify({ type: 'claimant', data: { name: `Warm-up ${randomBytes(4).toString('hex')}` } })]);
  }
  return tiny;
}

// ─── 100 MB upload ───────────────────────────────────────────────────────────

/** Newsroom chunks with refs made unique per chunk, until the file has `bytes`. */
async function uploadFile(file: string, bytes: number): Promise<number> {
  const out = createWriteStream(file);
  let written = 0;
  let lines = 0;
  for (let chunk = 0; written < bytes; chunk++) {
    const p = `u${chunk}-`;
    const rename = (l: Line): Line => {
      const data = { ...l.data };
      for (const k of ['claim_ref', 'source_ref', 'claimant_ref']) if (typeof data[k] === 'string') data[k] = p + data[k];
      if (Array.isArray(data.evidence)) data.evidence = (data.evidence as Record<string, unknown>[]).map((e) => ({ ...e, source_ref: p + e.source_ref }));
      return { ...l, ref: l.ref ? p + l.ref : undefined, data };
    };
    for (const l of newsroomLines(20_000, `up${chunk}`)) {
      const text = `${JSON.stringify(rename(l))}\n`;
      written += Buffer.byteLength(text);
      lines++;
      if (!out.write(text)) await once(out, 'drain');
      if (written >= bytes) break;
    }
  }
  out.end();
  await once(out, 'finish');
  return lines;
}

async function benchUpload() {
  const bytes = Number(opts['upload-mb']) * 1024 * 1024;
  const file = path.join(work, 'upload.ndjson');
  const lines = await uploadFile(file, bytes);
  log(`\n## upload: one ${(statSync(file).size / 1048576).toFixed(0)} MB body, ${lines} lines (load ${load()})`);
  const url = await freshDatabase('claimledger_bulkbench_upload');
  const server = await startServer(url);
  try {
    await postFile(server, await tinyFile());
    const idle = rss(server.pid);
    const sampler = sampleRss(server.pid);
    const res = await postFile(server, file);
    const memory = sampler.stop();
    if (res.status !== 200) throw new Error(`bulk answered ${res.status}: ${res.body.slice(0, 500)}`);
    const body = JSON.parse(res.body);
    log(
      `${body.created} lines in ${Math.round(res.ms)} ms = ${Math.round((lines / res.ms) * 1000)} lines/s, ${((statSync(file).size / 1048576 / res.ms) * 1000).toFixed(1)} MB/s; ` +
        `server RSS idle ${Math.round(idle)} MB, during min ${memory.min} / max ${memory.max} MB, after ${memory.last} MB (${memory.samples} samples: ${memory.series.join(' ')}); response ${(res.body.length / 1048576).toFixed(1)} MB (load ${load()})`,
    );
    results.upload = { bytes: statSync(file).size, lines, ms: res.ms, rss_idle_mb: idle, rss: memory, response_mb: res.body.length / 1048576 };
  } finally {
    await server.stop();
    rmSync(file);
  }
}

// ─── export of the big database ──────────────────────────────────────────────

async function bigDatabase(): Promise<string> {
  const exists = await admin(async (c) => (await c.query('select 1 from pg_database where datname = $1', [opts.big])).rowCount === 1);
  if (!exists) throw new Error(`database ${opts.big} is missing: npm run bench:data into it (or clone claimledger_bench: create database ${opts.big} template claimledger_bench)`);
  return dbUrl(opts.big!);
}

async function benchExport() {
  const server = await startServer(await bigDatabase());
  log(`\n## export: GET /v1/export from ${opts.big} (load ${load()})`);
  try {
    const runs: Record<string, unknown>[] = [];
    for (const [type, format] of [
      ['claims', 'ndjson'],
      ['claims', 'csv'],
      ['attributions', 'ndjson'],
    ]) {
      const idle = rss(server.pid);
      const sampler = sampleRss(server.pid);
      const started = performance.now();
      const res = await fetch(`${server.url}/v1/export?type=${type}&format=${format}`, { headers: auth });
      let bytes = 0;
      let newlines = 0;
      let firstByteMs = 0;
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        if (!firstByteMs) firstByteMs = performance.now() - started;
        bytes += chunk.length;
        for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) newlines++;
      }
      const ms = performance.now() - started;
      const memory = sampler.stop();
      const rows = format === 'csv' ? newlines - 1 : newlines; // CSV rows may hold line breaks; these bench rows do not
      log(
        `${type} ${format}: ${res.status} ${rows} rows, ${(bytes / 1048576).toFixed(0)} MB in ${Math.round(ms)} ms = ${Math.round((rows / ms) * 1000)} rows/s, ` +
          `first byte after ${Math.round(firstByteMs)} ms; server RSS idle ${Math.round(idle)} MB, during min ${memory.min} / max ${memory.max} MB (${memory.samples} samples: ${memory.series.join(' ')}) (load ${load()})`,
      );
      runs.push({ type, format, status: res.status, rows, bytes, ms, first_byte_ms: firstByteMs, rss_idle_mb: idle, rss: memory });
    }
    results.export = runs;
  } finally {
    await server.stop();
  }
}

// ─── stats at scale ──────────────────────────────────────────────────────────

async function benchStats() {
  const bigUrl = await bigDatabase();
  const server = await startServer(bigUrl);
  const bump = new pg.Client({ connectionString: bigUrl });
  await bump.connect();
  const [{ n }] = (await bump.query('select count(*)::int as n from claims')).rows;
  log(`\n## stats: ${n} claims in ${opts.big} (load ${load()})`);
  const urls = [
    ...['verdict', 'status', 'topic', 'claimant', 'publisher', 'language', 'day', 'week', 'month'].map((g) => `/v1/stats/claims?group_by=${g}`),
    '/v1/stats/claims?group_by=month&language=sv',
    '/v1/stats/claims?group_by=verdict&has_review=true',
    '/v1/stats/claims?group_by=day&from=2024-01-01T00:00:00Z&to=2024-04-01T00:00:00Z',
    '/v1/stats/overview',
  ];
  const get = async (url: string, headers: Record<string, string> = {}) => {
    const started = performance.now();
    const res = await fetch(`${server.url}${url}`, { headers: { ...auth, ...headers } });
    await res.arrayBuffer();
    if (res.status !== 200 && res.status !== 304) throw new Error(`${url} answered ${res.status}`);
    return { ms: performance.now() - started, etag: res.headers.get('etag') ?? '', status: res.status };
  };
  const table: Record<string, unknown>[] = [];
  try {
    const requests = Number(opts.requests);
    for (const url of urls) {
      // Cold: a transaction id taken elsewhere changes the database version, so the
      // server cannot reuse its count (no data changes: the answers stay comparable).
      const cold: number[] = [];
      for (let i = 0; i < 3; i++) {
        await bump.query('begin; select pg_current_xact_id(); commit;');
        cold.push((await get(url)).ms);
      }
      const warm: number[] = [];
      let etag = '';
      for (let i = 0; i < requests; i++) {
        const r = await get(url);
        warm.push(r.ms);
        etag = r.etag;
      }
      const revalidated: number[] = [];
      for (let i = 0; i < Math.min(50, requests); i++) revalidated.push((await get(url, { 'if-none-match': etag })).ms);
      const row = {
        url,
        cold_ms: cold.map(Math.round),
        warm_p50: +pct(warm, 50).toFixed(1),
        warm_p95: +pct(warm, 95).toFixed(1),
        warm_p99: +pct(warm, 99).toFixed(1),
        not_modified_p95: +pct(revalidated, 95).toFixed(1),
      };
      table.push(row);
      log(`${url.padEnd(82)} cold ${row.cold_ms.join('/')} ms; warm p50 ${row.warm_p50} p95 ${row.warm_p95} p99 ${row.warm_p99} ms; 304 p95 ${row.not_modified_p95} ms`);
    }
    log(`(load ${load()})`);
    results.stats = { claims: n, requests, rows: table };
  } finally {
    await bump.end();
    await server.stop();
  }
}

try {
  log(`claimledger bulk/export/stats bench — ${new Date().toISOString()}, node ${process.version}, load ${load()}`);
  if (sections.has('bulk')) await benchBulk();
  if (sections.has('upload')) await benchUpload();
  if (sections.has('export')) await benchExport();
  if (sections.has('stats')) await benchStats();
  log('\n' + JSON.stringify(results));
} finally {
  await admin(async (c) => {
    for (const name of made) await c.query(`drop database if exists "${name}" with (force)`);
  });
  rmSync(work, { recursive: true, force: true });
}
