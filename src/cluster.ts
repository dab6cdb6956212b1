import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Config } from './config.js';

/**
 * Multi-process mode. One Node process saturates one core long before PostgreSQL
 * is busy, so with a PostgreSQL server the service forks one worker per core
 * (CLAIMLEDGER_WORKERS). The workers share the listening port through node:cluster
 * (the primary hands connections out round-robin) and each has its own pool.
 * The embedded database can be opened by one process only: it always runs one.
 *
 * The primary does no request work. It prepares the database once (migrations, the
 * first admin key) before forking, so workers do not race to do it; replaces a
 * worker that dies unexpectedly (after a pause that grows while workers keep
 * crashing, so a broken configuration does not fork in a tight loop); and on
 * SIGTERM/SIGINT asks every worker to finish its requests and waits for them.
 */

export interface WorkerPlan {
  count: number;
  /** Database connections each process may open: all of them together stay within DB_CONNECTION_BUDGET. */
  poolSize: number;
  /** What an operator should know about this plan (a count ignored, a limit not shared), if anything. */
  note?: string;
}

/** Connections all processes together open at most (PostgreSQL allows 100 by default), and per process. */
const DB_CONNECTION_BUDGET = 40;
const POOL_SIZE = 10;
const MIN_POOL_SIZE = 2;

export function workerPlan(config: Pick<Config, 'DATABASE_URL' | 'CLAIMLEDGER_WORKERS' | 'REDIS_URL'>, cores = availableParallelism()): WorkerPlan {
  if (!config.DATABASE_URL) {
    return config.CLAIMLEDGER_WORKERS && config.CLAIMLEDGER_WORKERS > 1
      ? { count: 1, poolSize: POOL_SIZE, note: 'CLAIMLEDGER_WORKERS is ignored with the embedded database: only one process may open it' }
      : { count: 1, poolSize: POOL_SIZE };
  }
  const count = config.CLAIMLEDGER_WORKERS ?? cores;
  const poolSize = Math.min(POOL_SIZE, Math.max(MIN_POOL_SIZE, Math.floor(DB_CONNECTION_BUDGET / count)));
  const note =
    count > 1 && !config.REDIS_URL
      ? `without REDIS_URL each of the ${count} workers counts the rate limit on its own: a key may make up to ${count} × CLAIMLEDGER_RATE_LIMIT requests a minute; set REDIS_URL to share one budget`
      : undefined;
  return { count, poolSize, note };
}

type Log = (level: 'info' | 'warn' | 'error', msg: string, extra?: Record<string, unknown>) => void;

/** pino-shaped JSON lines, like the workers' logs. */
const jsonLog: Log = (level, msg, extra = {}) => {
  const levels = { info: 30, warn: 40, error: 50 };
  process.stdout.write(`${JSON.stringify({ level: levels[level], time: Date.now(), pid: process.pid, role: 'primary', ...extra, msg })}\n`);
};

const RESTART_DELAY_MS = 500;
const MAX_RESTART_DELAY_MS = 30_000;
/** A worker that lived this long was healthy: the restart delay starts over. */
const HEALTHY_AFTER_MS = 30_000;
const SHUTDOWN_GRACE_MS = 15_000;

export async function runPrimary(options: { workers: number; note?: string; prepare: () => Promise<void>; log?: Log }): Promise<void> {
  const log = options.log ?? jsonLog;
  if (options.note) log('warn', options.note);
  await options.prepare();

  let stopping = false;
  let delay = RESTART_DELAY_MS;
  const startedAt = new Map<Worker, number>();

  const fork = () => {
    const worker = cluster.fork();
    startedAt.set(worker, Date.now());
    return worker;
  };

  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (startedAt.get(worker) ?? Date.now());
    startedAt.delete(worker);
    if (stopping) return;
    if (lived > HEALTHY_AFTER_MS) delay = RESTART_DELAY_MS;
    log('warn', 'worker died; starting a new one', { worker_pid: worker.process.pid, code, signal, restart_in_ms: delay });
    // Not unref'd: with every worker gone, this timer is what keeps the primary alive.
    setTimeout(() => {
      if (!stopping) fork();
    }, delay);
    delay = Math.min(delay * 2, MAX_RESTART_DELAY_MS);
  });

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log('info', 'shutting down workers', { signal });
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => Boolean(w));
    for (const w of workers) w.process.kill('SIGTERM');
    const deadline = setTimeout(() => {
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    deadline.unref();
    const check = () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    };
    cluster.on('exit', check);
    check();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  for (let i = 0; i < options.workers; i++) fork();
  let listening = 0;
  cluster.on('listening', (_worker, address) => {
    listening++;
    if (listening === options.workers) log('info', `${options.workers} workers listening on ${address.address}:${address.port}`, { workers: options.workers });
  });
}

