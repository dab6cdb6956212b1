/**
 * Single-request writes of two checkouts of claimledger, side by side on one database:
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/claimledger_bench \
 *     npx tsx bench/ab-write.ts --a /path/to/other/checkout --b . --rounds 3 --duration 5
 *
 * Starts the API of each checkout (`node --import tsx src/server.ts`, one worker), then
 * sends `POST /v1/claims` with one inline attribution (a quote anchored in a
 * 5,000-character source, the same request as `npm run bench`'s create-claim scenario)
 * from one connection, alternating a and b round by round so that other load on the
 * machine hits both alike, and prints each round and the medians. The claims it
 * creates (topic `bench-write`) and their events are deleted at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import { benchId } from './ids.js';

const { values: args } = parseArgs({
  options: {
    a: { type: 'string' },
    b: { type: 'string', default: '.' },
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '5' },
  },
});
const DATABASE_URL = process.env.DATABASE_URL;
if (!DATABASE_URL || !args.a) throw new Error('set DATABASE_URL (a database `npm run bench:data` filled) and --a');
const KEY = `bench-${randomBytes(16).toString('hex')}`;
const TOPIC = 'bench-write';
const SOURCE_ID = '00000000-0000-7000-8000-00000000beef';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function start(dir: string): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: path.resolve(dir),
    env: { ...process.env, DATABASE_URL, PORT: String(port), HOST: '127.0.0.1', CLAIMLEDGER_WORKERS: '1', CLAIMLEDGER_ADMIN_KEY: KEY, CLAIMLEDGER_RATE_LIMIT: '1000000000', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (const deadline = Date.now() + 120_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
    if (child.exitCode !== null) throw new Error(`${dir}: the API exited with ${child.exitCode}`);
    if (await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false)) return { port, child };
  }
  throw new Error(`${dir}: the API did not start`);
}

async function post(port: number, body: string, seconds: number) {
  const latencies: number[] = [];
  let refused = 0;
  await new Promise((resolve, reject) => {
    const run = autocannon(
      { url: `http://127.0.0.1:${port}/v1/claims`, method: 'POST', body, connections: 1, duration: seconds, headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' } },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    run.on('response', (_c, status, _b, ms) => (status === 201 ? latencies.push(ms) : refused++));
  });
  if (refused) throw new Error(`${refused} requests were refused`);
  latencies.sort((x, y) => x - y);
  return { rps: latencies.length / seconds, p50: latencies[Math.floor(latencies.length / 2)], p95: latencies[Math.floor(latencies.length * 0.95)] };
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)];

const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
const text = Array.from({ length: 60 }, (_, i) => `Paragraph ${i}: the council said the harbour tunnel would cost ${i + 1}.4 billion euros over ten years.`).join(' ');
await pool.query(
  `insert into sources (id, kind, url, title, text, text_length, content_sha256) values ($1, 'article', 'https://bench.example/write-source', 'Bench write source', $2, $3, 'bench')
   on conflict (id) do nothing`,
  [SOURCE_ID, text, text.length],
);
const body = JSON.stringify({
  text: 'The harbour tunnel will cost 2.4 billion euros',
  language: 'en',
  topics: [TOPIC],
  attributions: [{ source_id: SOURCE_ID, claimant_id: benchId('claimants', 0), quote: 'the harbour tunnel would cost 2.4 billion euros', kind: 'direct_quote' }],
});
const servers = { a: await start(args.a), b: await start(args.b!) };
const seen: Record<'a' | 'b', { rps: number; p50: number; p95: number }[]> = { a: [], b: [] };
try {
  for (const side of ['a', 'b'] as const) await post(servers[side].port, body, 1); // warm up
  for (let round = 1; round <= Number(args.rounds); round++) {
    for (const side of ['a', 'b'] as const) {
      const m = await post(servers[side].port, body, Number(args.duration));
      seen[side].push(m);
      process.stderr.write(`round ${round} ${side}: ${m.rps.toFixed(1)} req/s, p50 ${m.p50} ms, p95 ${m.p95} ms\n`);
    }
  }
} finally {
  for (const { child } of Object.values(servers)) child.kill('SIGTERM');
  await pool.query(
    `with gone as (delete from claims where topics @> array[$1::text] returning id)
     delete from events where entity_id in (select id from gone)
        or (entity_type = 'attribution' and (after->>'claim_id')::uuid in (select id from gone))`,
    [TOPIC],
  );
  await pool.end();
}
for (const side of ['a', 'b'] as const) {
  const m = seen[side];
  console.log(`${side} (${side === 'a' ? args.a : args.b}): median ${median(m.map((x) => x.rps)).toFixed(1)} req/s, p50 ${median(m.map((x) => x.p50))} ms, p95 ${median(m.map((x) => x.p95))} ms`);
}
console.log(`b / a throughput: ${(median(seen.b.map((x) => x.rps)) / median(seen.a.map((x) => x.rps))).toFixed(2)}`);
