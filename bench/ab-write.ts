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
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import { benchId } from './ids.js';
import { startCheckout } from './checkout-server.js';
import { deleteWritten, ensureWriteSource, writeBody } from './write-scenario.js';

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
await ensureWriteSource(pool);
const body = JSON.stringify(writeBody(benchId('claimants', 0)));
const env = { DATABASE_URL, CLAIMLEDGER_ADMIN_KEY: KEY };
const servers = { a: await startCheckout(args.a, env), b: await startCheckout(args.b!, env) };
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
  await deleteWritten(pool);
  await pool.end();
}
for (const side of ['a', 'b'] as const) {
  const m = seen[side];
  console.log(`${side} (${side === 'a' ? args.a : args.b}): median ${median(m.map((x) => x.rps)).toFixed(1)} req/s, p50 ${median(m.map((x) => x.p50))} ms, p95 ${median(m.map((x) => x.p95))} ms`);
}
console.log(`b / a throughput: ${(median(seen.b.map((x) => x.rps)) / median(seen.a.map((x) => x.rps))).toFixed(2)}`);
