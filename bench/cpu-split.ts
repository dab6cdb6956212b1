/**
 * Where the CPU goes while the API serves get-by-id at 50 connections: ticks of the
 * API processes (the primary and its workers), of PostgreSQL's processes and of this
 * process (autocannon), out of the machine's, over one 8-second run. It shows what
 * bounds multi-process mode on a small machine (bench/README.md, "All workers").
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/claimledger_bench npx tsx bench/cpu-split.ts 1
 *   … npx tsx bench/cpu-split.ts 2
 *
 * Ticks are 1/100 s (USER_HZ); a 2-core machine has 1,600 in 8 seconds.
 */
import { spawn, execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import autocannon, { type Result } from 'autocannon';
import { benchId } from './ids.js';
const KEY = process.env.CLAIMLEDGER_BENCH_KEY || `bench-${randomBytes(16).toString('hex')}`;
const port = 3997;
const workers = process.argv[2] ?? '1';
const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
  env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', CLAIMLEDGER_WORKERS: workers, CLAIMLEDGER_ADMIN_KEY: KEY, CLAIMLEDGER_RATE_LIMIT: '1000000000', LOG_LEVEL: 'warn' },
  stdio: ['ignore', 'ignore', 'inherit'], detached: true,
});
for (;;) {
  const up = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
  if (up) break;
  await new Promise((r) => setTimeout(r, 250));
}
await new Promise((r) => setTimeout(r, 2000));
const ticks = (pid: number) => { try { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return Number(f[11]) + Number(f[12]); } catch { return 0; } };
const total = () => { const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1).map(Number); return { busy: f.reduce((a, b) => a + b, 0) - f[3] - f[4], all: f.reduce((a, b) => a + b, 0) }; };
const pids = () => {
  const out: Record<string, number[]> = { api: [], postgres: [] };
  for (const line of execSync('ps -eo pid,pgid,comm --no-headers').toString().trim().split('\n')) {
    const [pid, pgid, comm] = line.trim().split(/\s+/);
    if (Number(pgid) === child.pid) out.api.push(Number(pid)); else if (comm.startsWith('postgres')) out.postgres.push(Number(pid));
  }
  return out;
};
const ids = Array.from({ length: 50000 }, () => benchId('claims', Math.floor(Math.random() * 1_000_000)));
let i = 0;
const p0 = pids(); const t0 = total(); const a0 = p0.api.map(ticks).reduce((a, b) => a + b, 0); const g0 = p0.postgres.map(ticks).reduce((a, b) => a + b, 0); const s0 = ticks(process.pid);
const result = await new Promise<Result>((resolve, reject) => autocannon({ url: `http://127.0.0.1:${port}`, connections: 50, duration: 8, headers: { authorization: `Bearer ${KEY}` }, requests: [{ setupRequest: (r) => ({ ...r, path: `/v1/claims/${ids[i++ % ids.length]}` }) }] }, (err, res) => (err ? reject(err) : resolve(res))));
const p1 = pids(); const t1 = total();
const a1 = p1.api.map(ticks).reduce((a, b) => a + b, 0); const g1 = p1.postgres.map(ticks).reduce((a, b) => a + b, 0); const s1 = ticks(process.pid);
console.log(JSON.stringify({ workers, rps: Math.round(result.requests.average), machine_busy: t1.busy - t0.busy, machine_all: t1.all - t0.all, api: a1 - a0, postgres: g1 - g0, autocannon: s1 - s0, other: (t1.busy - t0.busy) - (a1 - a0) - (g1 - g0) - (s1 - s0) }));
process.kill(-child.pid!, 'SIGTERM');
