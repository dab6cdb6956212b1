import { setPriority } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';
import { extractClaims, warmUp } from './index.js';
import type { ExtractionReply, ExtractionTask } from './pool.js';

/**
 * A thread of the extraction pool (pool.ts): loads the language model, warms
 * the rules up, says it is ready, then extracts one text at a time. Its
 * event loop does nothing else, so an extraction blocks only this thread.
 */
if (!parentPort) throw new Error('worker.ts runs as a worker thread of the extraction pool');
const port = parentPort;

/**
 * Niceness of an extraction thread. On Linux niceness is per thread, and the
 * priority of pid 0 is the calling thread's: the scheduler then prefers the
 * event loop (health checks, other requests) over extraction whenever the two
 * compete for a core. Elsewhere it would lower the whole process, so it is left.
 */
const EXTRACTION_NICENESS = 10;
if (process.platform === 'linux') setPriority(0, EXTRACTION_NICENESS);

warmUp();
port.on('message', (task: ExtractionTask) => {
  const started = performance.now();
  let reply: ExtractionReply;
  try {
    const result = extractClaims(task.text, { minCheckworthiness: task.minCheckworthiness });
    reply = { id: task.id, result, elapsedMs: performance.now() - started };
  } catch (err) {
    reply = { id: task.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
  port.postMessage(reply);
});
port.postMessage({ ready: true } satisfies ExtractionReply);
