import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PgCluster, findPgToolchain, freePort, type PgToolchain, type StopMode } from './support/pg-cluster.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { requireTool } from './support/requirements.js';

/*
 * Database faults against the real server process,
 * spawned as `node --import tsx src/server.ts` against a private PostgreSQL cluster:
 *  (a) under write load, backends are terminated and the cluster is crashed
 *      (`-m immediate`) and stopped (`-m fast`) for a few seconds: no process
 *      crashes, every request answers 201 or a quick 503 `unavailable`, /readyz
 *      fails while the database is down and recovers by itself;
 *  (b) every acknowledged (201) write is read back afterwards;
 *  (c) a TCP proxy black-holes the connection of a second server: requests
 *      answer 503 within seconds rather than hanging, /healthz stays 200, and
 *      the server recovers when the path comes back;
 *  (d) in multi-process mode, every worker is killed at once: the primary
 *      replaces them and never exits;
 *  (e) every write of (a) carries an Idempotency-Key; those answered 503 (some
 *      of which committed before their connection died) are retried with it
 *      once the database is back, and each ends as exactly one claim.
 *
 * Needs the PostgreSQL server binaries (initdb, pg_ctl, postgres; PG_BINDIR to
 * point at them); skipped without them. It makes its own cluster and ignores
 * CLAIMLEDGER_TEST_DATABASE_URL. About 80 s.
 */

// A private cluster, two workers and their restarts: more than the suite's usual file budget.
t.setTimeout(420_000);

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ADMIN_KEY = 'clk_faults-test-admin-key-not-a-secret-000000000000';
const PROBLEM_JSON = 'application/problem+json; charset=utf-8';

/** Every request while the database is down or flapping answers within this. */
const OUTAGE_ANSWER_MS = 6_000;
/** A request over a black-holed connection answers within this. */
const BLACKHOLE_ANSWER_MS = 7_000;
/** /readyz is 200 again within this after the database is back. */
const RECOVERY_MS = 10_000;
/** How long the database stays down in each outage. */
const OUTAGE_MS = 3_000;
/** Client-side bound on any request, so a hang is measured, never waited out. */
const CLIENT_TIMEOUT_MS = 30_000;

/** Workers of the first server when the code base has a multi-process mode (src/cluster.ts, CLAIMLEDGER_WORKERS); the second runs as one process. */
const WORKERS = 2;
const MULTI_PROCESS = existsSync(fileURLToPath(new URL('../src/cluster.ts', import.meta.url))) && existsSync('/proc/self/stat');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Answer {
  status: number; // 0: no HTTP answer (socket error or client timeout)
  ms: number;
  contentType?: string;
  body?: Record<string, unknown>;
  error?: string;
  /** The answer is a stored one, replayed for an Idempotency-Key. */
  replayed?: boolean;
}

async function call(base: string, method: string, path: string, body?: unknown, timeoutMs = CLIENT_TIMEOUT_MS, headers: Record<string, string> = {}): Promise<Answer> {
  const started = performance.now();
  try {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let parsed: Record<string, unknown> | undefined;
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    } catch {
      parsed = { unparsed: text.slice(0, 200) };
    }
    return {
      status: res.status,
      ms: performance.now() - started,
      contentType: res.headers.get('content-type') ?? undefined,
      body: parsed,
      replayed: res.headers.get('idempotent-replayed') === 'true',
    };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    return { status: 0, ms: performance.now() - started, error: `${e.name}: ${e.message}${e.cause ? ` (${e.cause.code ?? e.cause.message})` : ''}` };
  }
}

const isUnavailable = (a: Answer) => a.status === 503 && a.contentType === PROBLEM_JSON && a.body?.code === 'unavailable' && a.body?.status === 503;
const brief = (a: Answer) => `${a.status || a.error} in ${Math.round(a.ms)} ms${a.body?.code ? ` (${String(a.body.code)})` : ''}`;

/**
 * `node --import tsx src/server.ts` in its own process group, its output kept for
 * failure messages. With PostgreSQL the server is a node:cluster primary with
 * workers (src/cluster.ts) that replaces a worker that dies; a dying worker is a
 * crash all the same (its in-flight requests are lost), so both are read from the
 * logs into `crashes`.
 */
class ApiProcess {
  readonly base: string;
  output = '';
  /** Every crash seen in the output: an uncaught error, a worker that died, a failed start. */
  readonly crashes: string[] = [];
  /** Set from the primary's "N workers listening" line (multi-process mode). */
  workersListening = 0;
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly exited: Promise<void>;
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    /** 1: one process (no primary); more: a primary and this many workers. */
    readonly workers: number,
  ) {
    this.base = `http://127.0.0.1:${port}`;
    for (const stream of [child.stdout, child.stderr]) {
      let partial = '';
      let nextIsSecondError = false;
      stream?.on('data', (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        this.output = (this.output + text).slice(-20_000);
        const lines = (partial + text).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          if (nextIsSecondError) {
            this.crashes.push(`then it exited on a second uncaught ${line.trim()}`);
            nextIsSecondError = false;
          }
          if (line === 'second error, exiting') nextIsSecondError = true;
          else if (line.startsWith('claimledger failed to start:') || line.startsWith('claimledger: ')) this.crashes.push(line.slice(0, 200));
          else if (line.startsWith('{')) this.readLogLine(line);
        }
      });
    }
    this.exited = new Promise((resolve) =>
      child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        running.delete(child);
        resolve();
      }),
    );
  }

  private readLogLine(line: string) {
    try {
      const entry = JSON.parse(line) as { msg?: string; pid?: number; err?: { type?: string; message?: string; code?: string }; workers?: number; code?: number; signal?: string };
      if (entry.msg === 'shutting down after an error' && entry.err) {
        this.crashes.push(`process ${entry.pid}: uncaught ${entry.err.type ?? 'error'}${entry.err.code ? ` ${entry.err.code}` : ''} "${entry.err.message}"`);
      } else if (entry.msg?.startsWith('worker died')) {
        this.crashes.push(`the primary replaced a worker that died (code ${entry.code}, signal ${entry.signal})`);
      } else if (typeof entry.workers === 'number') {
        this.workersListening = entry.workers;
      }
    } catch {
      // not a log line
    }
  }

  static spawn(databaseUrl: string, port: number, workers: number): ApiProcess {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TMPDIR: process.env.TMPDIR,
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl,
      CLAIMLEDGER_ADMIN_KEY: ADMIN_KEY,
      CLAIMLEDGER_RATE_LIMIT: '10000000',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      // The write path under faults, without matching's background work beside it (its
      // encoder meeting a database that has gone is test/match-meanings.test.ts's).
      CLAIMLEDGER_MATCH_BACKGROUND: 'off',
      // A fixed process count (src/cluster.ts), whatever the machine's cores.
      CLAIMLEDGER_WORKERS: String(workers),
    };
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    return new ApiProcess(child, port, MULTI_PROCESS ? workers : 1);
  }

  /** Waits for /readyz 200 (and, in multi-process mode, for every worker to listen); throws if the process exits or takes too long. */
  async ready(timeoutMs = 90_000): Promise<this> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exit) throw new Error(`the server exited at start (${JSON.stringify(this.exit)}):\n${this.output}`);
      const allListening = this.workers === 1 || this.workersListening >= this.workers;
      if (allListening && (await call(this.base, 'GET', '/readyz', undefined, 2_000)).status === 200) return this;
      await sleep(250);
    }
    await this.stop();
    throw new Error(`the server did not become ready within ${timeoutMs} ms:\n${this.output}`);
  }

  get alive(): boolean {
    return !this.exit;
  }

  kill(signal: NodeJS.Signals) {
    try {
      process.kill(-this.child.pid!, signal);
    } catch {
      // the group is gone
    }
  }

  /** SIGTERM to the group (a graceful close), SIGKILL if it lingers. */
  async stop(): Promise<void> {
    if (!this.exit) {
      this.kill('SIGTERM');
      const timer = setTimeout(() => this.kill('SIGKILL'), 15_000);
      await this.exited;
      clearTimeout(timer);
    }
    this.kill('SIGKILL'); // anything the process group left behind
  }
}

/**
 * Keeps one API process on a fixed port, as systemd would: if it exits it is
 * started again (so one crash does not hide what happens next), and every crash is
 * recorded, because the test's first claim is that there are none.
 */
class Supervised {
  current: ApiProcess;
  private readonly retired: ApiProcess[] = [];
  private stopped = false;
  private constructor(
    readonly databaseUrl: string,
    readonly port: number,
    readonly workers: number,
  ) {
    this.current = this.launch();
  }

  static async start(databaseUrl: string, workers: number): Promise<Supervised> {
    const s = new Supervised(databaseUrl, await freePort(41000, 4000), workers);
    try {
      await s.current.ready();
    } catch (err) {
      await s.stop();
      throw err;
    }
    return s;
  }

  private launch(): ApiProcess {
    const p = ApiProcess.spawn(this.databaseUrl, this.port, this.workers);
    void p.exited.then(async () => {
      if (this.stopped) return;
      p.crashes.push(`the server process exited (${JSON.stringify(p.exit)}) and was started again`);
      this.retired.push(p);
      await sleep(500);
      if (!this.stopped) this.current = this.launch();
    });
    return p;
  }

  /** Every crash of every process this supervisor ran, oldest first. */
  get crashes(): string[] {
    return [...this.retired, this.current].flatMap((p) => p.crashes);
  }

  /** Output of the processes that crashed, for failure messages. */
  get crashOutput(): string {
    return [...this.retired, this.current]
      .filter((p) => p.crashes.length)
      .map((p) => p.output.slice(-3000))
      .join('\n---\n');
  }

  get base() {
    return this.current.base;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.current.stop();
  }
}

/** Pids of a server's workers: children of the primary that run src/server.ts (not tsx's esbuild service). */
function workerPids(primary: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === primary && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('server.ts')) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Child processes and the cluster, removed even if the test process is killed midway. */
const running = new Set<ChildProcess>();
let cluster: PgCluster | undefined;
process.on('exit', () => {
  for (const child of running) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  }
  cluster?.destroy();
});

const tools = findPgToolchain();
// Without the server's tools the file is skipped and says why; CI installs them and requires it.
requireTool(t, 'missing' in tools ? tools.missing : undefined);
if (!('missing' in tools)) await faults(tools);

async function faults(tools: PgToolchain) {
  const proxies: TcpProxy[] = [];
  const servers: Supervised[] = [];
  t.teardown(async () => {
    for (const server of servers) await server.stop();
    for (const proxy of proxies) await proxy.close();
    cluster?.destroy();
  });

  const setupStarted = performance.now();
  cluster = await PgCluster.create(tools);
  await cluster.start();
  await cluster.query('create database claimledger');
  const dbUrl = cluster.url('claimledger');
  // The second server (for the black hole) reaches the database through this proxy.
  const proxy = new TcpProxy(cluster.port);
  proxies.push(proxy);
  await proxy.listen();
  const proxiedUrl = new URL(dbUrl);
  proxiedUrl.port = String(proxy.port);
  const api = await Supervised.start(dbUrl, WORKERS);
  servers.push(api);
  t.comment(`private cluster on port ${cluster.port} (${tools.bindir}), API on ${api.port} (${MULTI_PROCESS ? `${WORKERS} workers` : 'one process'}); ready in ${Math.round(performance.now() - setupStarted)} ms`);

  // Rows every write refers to: one source whose text holds the quote, one claimant.
  const QUOTE = 'The harbour tunnel will cost 2.4 billion euros';
  const source = await call(api.base, 'POST', '/v1/sources', {
    kind: 'article',
    title: 'Harbour tunnel',
    url: 'https://harbourgazette.example/faults',
    text: `Council approves harbour tunnel. “${QUOTE} — not a cent more,” the mayor said.`,
  });
  const claimant = await call(api.base, 'POST', '/v1/claimants', { name: 'Ana Lindqvist', kind: 'person' });
  if (source.status !== 201 || claimant.status !== 201) throw new Error(`setup failed: ${JSON.stringify([source.body, claimant.body])}`);
  const sourceId = source.body!.id as string;
  const claimantId = claimant.body!.id as string;

  interface Write extends Answer {
    text: string;
    key: string;
    request: Record<string, unknown>;
    id?: string;
    startPhase: string;
    endPhase: string;
    startedAt: number;
  }
  const writes: Write[] = [];
  let phase = 'up';

  await t.test('(a) under write load: terminated backends and two database restarts', async (t) => {
    let stopping = false;
    let serial = 0;
    async function writer(n: number) {
      while (!stopping) {
        const text = `Fault test claim ${n}-${++serial}-${Math.random().toString(36).slice(2, 8)}`;
        const attribution =
          serial % 2 === 0
            ? { source_id: sourceId, claimant_id: claimantId, quote: QUOTE }
            : { source_id: sourceId, claimant_name: 'Ana Lindqvist', quote: QUOTE, kind: 'direct_quote', stance: 'asserts' };
        const startPhase = phase;
        const startedAt = performance.now();
        const request = { text, language: 'en', attributions: [attribution] };
        const key = `fault-write-${n}-${serial}`;
        const answer = await call(api.base, 'POST', '/v1/claims', request, CLIENT_TIMEOUT_MS, { 'idempotency-key': key });
        writes.push({ ...answer, text, key, request, startPhase, startedAt, endPhase: phase, id: answer.status === 201 ? (answer.body?.id as string) : undefined });
        await sleep(answer.status === 0 ? 100 : 5);
      }
    }
    const writers = [1, 2, 3, 4].map(writer);

    // /readyz while the database is down, and how long it takes to be ready again.
    const downReadiness: Answer[] = [];
    const recoveries: number[] = [];
    let lastRestart = 0;
    async function outage(mode: StopMode) {
      phase = `stopping (${mode})`;
      await cluster!.stop(mode);
      phase = 'down';
      const downSince = performance.now();
      while (performance.now() - downSince < OUTAGE_MS) {
        downReadiness.push(await call(api.base, 'GET', '/readyz', undefined, 10_000));
        await sleep(250);
      }
      phase = 'starting';
      await cluster!.start();
      phase = 'up';
      lastRestart = performance.now();
      let ready: Answer | undefined;
      while (performance.now() - lastRestart < RECOVERY_MS + 2_000) {
        ready = await call(api.base, 'GET', '/readyz', undefined, 5_000);
        if (ready.status === 200) break;
        await sleep(100);
      }
      recoveries.push(ready?.status === 200 ? performance.now() - lastRestart : Infinity);
    }

    const loadStarted = performance.now();
    await sleep(1_500);
    let terminated = 0;
    for (let round = 0; round < 3; round++) {
      phase = 'terminating';
      const rows = await cluster!.query<{ n: number }>(
        `select count(*)::int as n from (select pg_terminate_backend(pid) from pg_stat_activity
           where application_name = 'claimledger' and pid <> pg_backend_pid()) s`,
        [],
        'claimledger',
      );
      terminated += rows[0].n;
      phase = 'up';
      await sleep(1_000);
    }
    await outage('immediate');
    await sleep(1_500);
    await outage('fast');
    await sleep(2_000);
    stopping = true;
    await Promise.all(writers);
    const loadMs = performance.now() - loadStarted;

    const byStatus = new Map<string, number>();
    for (const w of writes) byStatus.set(String(w.status || w.error), (byStatus.get(String(w.status || w.error)) ?? 0) + 1);
    const slowest = Math.max(...writes.map((w) => w.ms));
    t.comment(
      `${writes.length} writes in ${Math.round(loadMs)} ms: ${[...byStatus].map(([s, n]) => `${s}×${n}`).join(', ')}; ` +
        `slowest ${Math.round(slowest)} ms; ${terminated} backends terminated; /readyz back after ${recoveries.map((r) => Math.round(r)).join(' and ')} ms`,
    );

    t.same(api.crashes, [], 'no server process crashed (a crashed one is replaced, to see the rest)');
    t.ok(terminated > 0, 'pg_terminate_backend hit the API’s connections');

    const other = writes.filter((w) => w.status !== 201 && w.status !== 503);
    t.same(other.map((w) => `${w.startPhase}: ${brief(w)}`).slice(0, 10), [], `every write answered 201 or 503: no socket error, hang, 409, 422 or 500 (${other.length} did not)`);
    const badProblems = writes.filter((w) => w.status === 503 && !isUnavailable(w));
    t.same(badProblems.slice(0, 5).map((w) => ({ ct: w.contentType, body: w.body })), [], 'every 503 is problem+json with code `unavailable`');
    const slow = writes.filter((w) => w.ms > OUTAGE_ANSWER_MS);
    t.same(slow.map((w) => `${w.startPhase}→${w.endPhase}: ${brief(w)}`).slice(0, 10), [], `every write answered within ${OUTAGE_ANSWER_MS} ms`);

    const duringOutage = writes.filter((w) => w.startPhase === 'down' && w.endPhase === 'down');
    t.ok(duringOutage.length > 0, `writes were attempted while the database was down (${duringOutage.length})`);
    t.same(duringOutage.filter((w) => !isUnavailable(w)).map(brief).slice(0, 5), [], 'each of them got 503 unavailable');

    t.ok(downReadiness.length >= 4, `/readyz was asked while the database was down (${downReadiness.length}×)`);
    t.same(downReadiness.filter((a) => !isUnavailable(a) || a.ms > OUTAGE_ANSWER_MS).map(brief).slice(0, 5), [], '/readyz answered 503 unavailable quickly each time');
    t.equal(recoveries.length, 2, 'two restarts');
    t.ok(recoveries.every((ms) => ms <= RECOVERY_MS), `/readyz was 200 again within ${RECOVERY_MS} ms of each restart (${recoveries.map((r) => Math.round(r)).join(', ')} ms)`);

    const after = writes.filter((w) => w.status === 201 && w.startedAt >= lastRestart);
    t.ok(after.length > 0, `writes succeeded again after the last restart (${after.length})`);
    t.ok(writes.filter((w) => w.status === 201).length >= 50, 'there was real write load (at least 50 acknowledged writes)');
  });

  // Started now, away from (a)'s faults, so it is ready by (c); the read-back below runs meanwhile.
  // One process (no primary): the other mode, and a quicker start.
  const shadowStarting = Supervised.start(proxiedUrl.toString(), 1);
  shadowStarting.catch(() => {}); // awaited (and reported) in (c)

  await t.test('(b) every acknowledged write is readable afterwards', async (t) => {
    await api.current.ready(30_000).catch(() => {}); // after a crash, its replacement may still be starting
    const acked = writes.filter((w) => w.status === 201);
    const missing: string[] = [];
    let read = 0;
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < acked.length) {
          const w = acked[next++];
          const got = await call(api.base, 'GET', `/v1/claims/${w.id}?include=attributions`);
          const attributions = got.body?.attributions as { quote?: string }[] | undefined;
          if (got.status === 200 && got.body?.text === w.text && attributions?.length === 1 && attributions[0].quote === QUOTE) read++;
          else missing.push(`${w.id}: ${brief(got)} ${JSON.stringify(got.body ?? null).slice(0, 200)}`);
        }
      }),
    );
    t.ok(acked.length > 0, 'there are acknowledged writes to check');
    t.equal(read, acked.length, `all ${acked.length} acknowledged writes read back through GET with their text and attribution`);
    t.same(missing.slice(0, 10), [], 'none is missing or different');
    const stored = await cluster!.query<{ n: number }>('select count(*)::int as n from claims where id = any($1::uuid[])', [acked.map((w) => w.id)], 'claimledger');
    t.equal(stored[0].n, acked.length, 'and all are in the database itself');
    const total = await cluster!.query<{ n: number }>("select count(*)::int as n from claims where text like 'Fault test claim %'", [], 'claimledger');
    t.comment(`${acked.length} acknowledged, ${total[0].n} stored (${total[0].n - acked.length} committed but unacknowledged, which is allowed)`);
  });

  await t.test('(e) a write answered 503 and retried with its Idempotency-Key is written exactly once', async (t) => {
    await api.current.ready(30_000).catch(() => {});
    const unanswered = writes.filter((w) => w.status !== 201);
    let replayed = 0;
    let ranAgain = 0;
    const failed: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < unanswered.length) {
          const w = unanswered[next++];
          const retry = () => call(api.base, 'POST', '/v1/claims', w.request, CLIENT_TIMEOUT_MS, { 'idempotency-key': w.key });
          let answer = await retry();
          // 409 only while the first attempt's transaction is still open on the server.
          for (let i = 0; answer.status === 409 && i < 40; i++) answer = await sleep(250).then(retry);
          if (answer.status !== 201) failed.push(`${w.key}: ${brief(answer)}`);
          else if (answer.replayed) replayed++;
          else ranAgain++;
        }
      }),
    );
    t.comment(`${unanswered.length} writes were not answered 201; on retry ${replayed} replayed a write that had committed after all, ${ranAgain} ran again`);
    t.ok(unanswered.length > 0, 'the faults left writes unanswered');
    t.same(failed.slice(0, 10), [], 'every retry is answered 201');
    const duplicates = await cluster!.query<{ text: string; n: number }>(
      "select text, count(*)::int as n from claims where text like 'Fault test claim %' group by text having count(*) > 1",
      [],
      'claimledger',
    );
    t.same(duplicates.slice(0, 10), [], 'no write exists twice');
    const total = await cluster!.query<{ n: number }>("select count(*)::int as n from claims where text like 'Fault test claim %'", [], 'claimledger');
    t.equal(total[0].n, writes.length, `every write of (a) exists exactly once (${writes.length})`);
  });

  await t.test('(c) a black-holed connection answers 503 quickly, never hangs', async (t) => {
    const shadow = await shadowStarting;
    servers.push(shadow);
    await shadow.current.ready(30_000); // it saw the restarts of (a) while idle
    t.comment(`second server (one process) on ${shadow.port}, its database through proxy ${proxy.port}`);

    // Warm the pool so it holds open (soon black-holed) connections, as a busy server does.
    const warm = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        i % 3 === 0
          ? call(shadow.base, 'POST', '/v1/claims', { text: `Black-hole warm-up ${i}`, attributions: [{ source_id: sourceId, claimant_id: claimantId, quote: QUOTE }] })
          : call(shadow.base, 'GET', '/v1/claims?limit=5'),
      ),
    );
    t.ok(warm.every((a) => a.status === 200 || a.status === 201), `the proxied server works (${warm.map((a) => a.status).join(',')})`);
    const existing = warm.find((a) => a.status === 201)?.body?.id as string;

    proxy.blackhole();
    const t0 = performance.now();
    const wave = async (label: string) => {
      const [health, ...answers] = await Promise.all([
        call(shadow.base, 'GET', '/healthz'),
        call(shadow.base, 'GET', '/readyz'),
        call(shadow.base, 'GET', `/v1/claims/${existing}`),
        call(shadow.base, 'GET', '/v1/claims?limit=5'),
        call(shadow.base, 'GET', '/v1/sources'),
        call(shadow.base, 'POST', '/v1/claims', { text: `Black-hole write ${label} 1` }),
        call(shadow.base, 'POST', '/v1/claims', { text: `Black-hole write ${label} 2`, attributions: [{ source_id: sourceId, claimant_id: claimantId, quote: QUOTE }] }),
        call(shadow.base, 'PATCH', `/v1/claims/${existing}`, { topics: [label] }),
      ]);
      t.comment(`${label}: /healthz ${brief(health)}; ${answers.map(brief).join('; ')}`);
      t.ok(health.status === 200 && health.ms < 1_000, `${label}: /healthz is still 200, at once (${brief(health)})`);
      t.same(answers.filter((a) => !isUnavailable(a)).map(brief), [], `${label}: every database request answered 503 unavailable`);
      t.same(answers.filter((a) => a.ms > BLACKHOLE_ANSWER_MS).map(brief), [], `${label}: each within ${BLACKHOLE_ANSWER_MS} ms`);
    };
    // The first wave meets the pooled connections that went silent; the second needs new ones, which never answer.
    await wave('pooled connections');
    await wave('new connections');
    t.ok(proxy.acceptedWhileBlackholed > 0, `the server tried new connections into the black hole (${proxy.acceptedWhileBlackholed})`);
    const crashesInHole = shadow.crashes.length;

    proxy.restore();
    const back = performance.now();
    let ready: Answer | undefined;
    while (performance.now() - back < RECOVERY_MS + 1_000) {
      ready = await call(shadow.base, 'GET', '/readyz', undefined, 10_000);
      if (ready.status === 200) break;
      await sleep(200);
    }
    const recovered = performance.now() - back;
    t.equal(ready?.status, 200, `ready again ${Math.round(recovered)} ms after the path came back`);
    t.ok(recovered <= RECOVERY_MS, `within ${RECOVERY_MS} ms`);
    const write = await call(shadow.base, 'POST', '/v1/claims', { text: 'After the black hole' });
    t.equal(write.status, 201, `and writes work again (${brief(write)})`);
    t.comment(`black-hole phase took ${Math.round(back - t0)} ms`);
    t.same(shadow.crashes.slice(0, crashesInHole), [], 'no process crashed while the connection was black-holed');
    t.same(shadow.crashes.slice(crashesInHole), [], 'nor when the dead connections were closed');
    await shadow.stop();
  });

  t.same(api.crashes, [], 'the first server never crashed');
  if (!t.passing()) {
    const outputs = servers.map((s) => s.crashOutput).filter(Boolean);
    if (outputs.length) t.comment(`output of the servers that crashed (tail):\n${outputs.join('\n---\n')}\npostgres log (tail):\n${cluster.logTail(2000)}`);
  }

  await t.test('(d) every worker dies at once: the primary replaces them and stays up', { skip: MULTI_PROCESS ? false : 'one process, no workers' }, async (t) => {
    const primary = api.current;
    const workers = workerPids(primary.child.pid!);
    t.equal(workers.length, WORKERS, `found the ${WORKERS} workers (${workers.join(', ')})`);
    for (const pid of workers) process.kill(pid, 'SIGKILL');
    const killedAt = performance.now();
    let ready: Answer | undefined;
    // A new worker compiles the sources (tsx) and connects before it listens: seconds on a quiet
    // machine, tens of seconds on a busy one. What is tested is that it comes back, not how fast.
    while (performance.now() - killedAt < 60_000 && primary.alive) {
      ready = await call(api.base, 'GET', '/readyz', undefined, 5_000);
      if (ready.status === 200) break;
      await sleep(250);
    }
    const back = performance.now() - killedAt;
    t.ok(primary.alive, `the primary is still running (${primary.exit ? `it exited with ${JSON.stringify(primary.exit)}` : 'yes'})`);
    t.equal(ready?.status, 200, `/readyz is 200 again (${ready ? brief(ready) : 'never asked'}, ${Math.round(back)} ms after the workers died)`);
    const write = await call(api.base, 'POST', '/v1/claims', { text: 'After every worker died' });
    t.equal(write.status, 201, `and a write succeeds (${brief(write)})`);
    if (!t.passing()) t.comment(`server output (tail):\n${primary.output.slice(-3000)}`);
  });
}
