import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import t from 'tap';
import { requireTool } from './support/requirements.js';
import { TEST_ADMIN_KEY, openTestDatabase } from './helper.js';
import { PgCluster, findPgToolchain, freePort } from './support/pg-cluster.js';
import { testServerUrl } from './targets.js';

/*
 * Revocation across processes, against the real server: one instance with two
 * workers (CLAIMLEDGER_WORKERS=2, src/cluster.ts) and a second instance, both on
 * one PostgreSQL database. While clients keep sending a key to every worker of
 * both instances, the key is revoked through one of them: no request sent after
 * the revoke answered may be admitted. Then the bootstrap admin key is revoked and
 * a worker killed: the worker started in its place must not bring it back.
 *
 * Needs PostgreSQL (the embedded database runs one process): the test server
 * when CLAIMLEDGER_TEST_DATABASE_URL is set, else a private cluster.
 */

// Two servers start (tsx compiles on the fly): slow on a busy machine.
t.setTimeout(600_000);

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ROUNDS = 6;
/** Concurrent clients per instance while a key is revoked. */
const CLIENTS = 4;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Answer {
  status: number;
  sentAt: number;
  body: string;
}

/** One request on a connection of its own, so node:cluster hands each to the next worker. */
function call(port: number, method: string, path: string, secret: string, body?: unknown): Promise<Answer> {
  const sentAt = performance.now();
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: false,
        timeout: 15_000,
        headers: { authorization: `Bearer ${secret}`, ...(payload ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, sentAt, body: text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ status: 0, sentAt, body: err.message }));
    req.end(payload);
  });
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

interface Server {
  port: number;
  child: ChildProcess;
  output: string;
}

async function startServer(databaseUrl: string, workers: number): Promise<Server> {
  const port = await freePort(43000, 3000);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TMPDIR: process.env.TMPDIR,
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl,
      CLAIMLEDGER_ADMIN_KEY: TEST_ADMIN_KEY,
      CLAIMLEDGER_MATCH_BACKGROUND: 'off', // keys across instances, not matching
      CLAIMLEDGER_RATE_LIMIT: '10000000',
      CLAIMLEDGER_AUTH_FAILURE_LIMIT: '10000000',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      CLAIMLEDGER_WORKERS: String(workers),
    },
  });
  children.add(child);
  const server: Server = { port, child, output: '' };
  let listening = workers === 1;
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.on('data', (chunk: Buffer) => {
      server.output = (server.output + chunk.toString('utf8')).slice(-20_000);
      if (server.output.includes(`"workers":${workers}`)) listening = true;
    });
  }
  const deadline = Date.now() + 150_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited at start:\n${server.output}`);
    if (listening && (await call(port, 'GET', '/readyz', '')).status === 200) return server;
    await sleep(250);
  }
  throw new Error(`the server did not become ready:\n${server.output}`);
}

async function stopServer(server: Server) {
  if (server.child.exitCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  process.kill(-server.child.pid!, 'SIGTERM');
  const timer = setTimeout(() => process.kill(-server.child.pid!, 'SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
  children.delete(server.child);
}

/** The primary's workers: its child processes (tsx's esbuild service aside). */
function workerPids(primary: number): number[] {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(primary)], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.includes('server.ts'))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

async function database(): Promise<{ url: string; close(): Promise<void> } | { skip: string }> {
  if (testServerUrl()) {
    const db = await openTestDatabase();
    return { url: db.url!, close: () => db.close() };
  }
  const tools = findPgToolchain();
  if ('missing' in tools) return { skip: `needs PostgreSQL: ${tools.missing}, and CLAIMLEDGER_TEST_DATABASE_URL is not set` };
  const cluster = await PgCluster.create(tools);
  await cluster.start();
  await cluster.query('create database claimledger');
  return { url: cluster.url('claimledger'), close: async () => cluster.destroy() };
}

const db = await database();
if ('skip' in db) {
  requireTool(t, db.skip);
} else {
  t.teardown(() => db.close());
  const servers: Server[] = [];
  t.teardown(async () => {
    for (const s of servers) await stopServer(s);
  });
  // One after the other: the first prepares the database (migrations, the admin key).
  const multi = await startServer(db.url, 2);
  servers.push(multi);
  const single = await startServer(db.url, 1);
  servers.push(single);
  const instances = [multi, single];

  t.test('no request is admitted after a revoke answered, across 2 workers and 2 instances', { timeout: 300_000 }, async (t) => {
    const revokeMs: number[] = [];
    let admittedAfter = 0;
    let sentAfter = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const revoker = instances[round % 2];
      const created = await call(revoker.port, 'POST', '/v1/keys', TEST_ADMIN_KEY, { name: `round ${round}`, scopes: ['read'] });
      if (created.status !== 201) throw new Error(`round ${round}: could not create a key: ${created.status} ${created.body}`);
      const key = JSON.parse(created.body) as { id: string; secret: string };
      // Every worker of both instances admits (and caches) the key.
      const warm = await Promise.all(instances.flatMap((s) => Array.from({ length: 6 }, () => call(s.port, 'GET', '/v1/claims?limit=1', key.secret))));
      t.ok(warm.every((a) => a.status === 200), `round ${round}: the key works everywhere before (${warm.map((a) => a.status).join(' ')})`);

      let stop = false;
      const answers: Answer[] = [];
      const client = async (s: Server) => {
        while (!stop) answers.push(await call(s.port, 'GET', '/v1/claims?limit=1', key.secret));
      };
      const clients = instances.flatMap((s) => Array.from({ length: CLIENTS }, () => client(s)));
      await sleep(100);
      const revoked = await call(revoker.port, 'DELETE', `/v1/keys/${key.id}`, TEST_ADMIN_KEY);
      const answeredAt = performance.now();
      revokeMs.push(answeredAt - revoked.sentAt);
      t.equal(revoked.status, 204, `round ${round}: revoked through ${revoker === multi ? 'the 2-worker instance' : 'the second instance'}`);
      await sleep(300);
      stop = true;
      await Promise.all(clients);

      const after = answers.filter((a) => a.sentAt > answeredAt);
      const admitted = after.filter((a) => a.status !== 401);
      sentAfter += after.length;
      admittedAfter += admitted.length;
      t.same(admitted.map((a) => `${a.status} ${a.body.slice(0, 80)}`), [], `round ${round}: every request sent after the revoke answered is 401 (${after.length})`);
      t.ok(answers.some((a) => a.sentAt < answeredAt && a.status === 200), `round ${round}: the key was in use up to the revoke`);
    }
    t.ok(sentAfter >= ROUNDS * 10, `${sentAfter} requests sent after a revoke answered`);
    t.equal(admittedAfter, 0, `0 of them admitted`);
    t.comment(`DELETE /v1/keys/{id} answered in ${revokeMs.map((ms) => Math.round(ms)).join(', ')} ms (every process confirmed first)`);
  });

  t.test('the revoked CLAIMLEDGER_ADMIN_KEY key stays revoked when a worker is killed and started again', { timeout: 300_000 }, async (t) => {
    const other = await call(multi.port, 'POST', '/v1/keys', TEST_ADMIN_KEY, { name: 'second admin', scopes: ['admin'] });
    const otherSecret = (JSON.parse(other.body) as { secret: string }).secret;
    const list = JSON.parse((await call(multi.port, 'GET', '/v1/keys', otherSecret)).body) as { data: { id: string; name: string }[] };
    const bootstrap = list.data.find((k) => k.name === 'CLAIMLEDGER_ADMIN_KEY')!;
    t.equal((await call(multi.port, 'DELETE', `/v1/keys/${bootstrap.id}`, otherSecret)).status, 204);

    const before = workerPids(multi.child.pid!);
    t.equal(before.length, 2, 'two workers');
    process.kill(before[0], 'SIGKILL');
    const deadline = Date.now() + 120_000;
    let now: number[] = [];
    while (Date.now() < deadline) {
      now = workerPids(multi.child.pid!);
      if (now.length === 2 && !now.includes(before[0])) break;
      await sleep(250);
    }
    t.ok(now.length === 2 && !now.includes(before[0]), 'the primary started a new worker');
    // Wait until the new worker answers: its start ran the bootstrap again.
    while (Date.now() < deadline && !multi.output.includes('CLAIMLEDGER_ADMIN_KEY names a revoked key')) await sleep(250);
    t.match(multi.output, /CLAIMLEDGER_ADMIN_KEY names a revoked key; it stays revoked/, 'the new worker says the key stays revoked');
    const answers = await Promise.all(instances.flatMap((s) => Array.from({ length: 8 }, () => call(s.port, 'GET', '/v1/claims?limit=1', TEST_ADMIN_KEY))));
    t.same([...new Set(answers.map((a) => a.status))], [401], 'every worker of both instances refuses it');
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query('select revoked_at from api_keys where id = $1', [bootstrap.id]);
    await client.end();
    t.ok(rows[0].revoked_at, 'revoked_at is still set');
  });
}
