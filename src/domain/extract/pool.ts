import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { threadBootstrap } from '../../lib/threads.js';
import type { ExtractionResult } from './index.js';

/**
 * Claim extraction on worker threads. Extraction is CPU work of up to a few
 * seconds on a long text; run on the event loop it would hold up every other
 * request of the process (a health check waited 15 s behind one text). Here
 * each text runs on one of a few threads, requests beyond them wait in a
 * bounded queue, and a thread that runs past the time limit is stopped and
 * replaced, so no text can hold a thread for longer.
 *
 * Written on node:worker_threads rather than with a pool library: the answer
 * depends on where a request's time went (waiting for a thread is "busy, try
 * again", 503; running too long is "this text is too hard", 422), which a
 * generic pool's single abort signal does not tell apart.
 */

export interface ExtractionTask {
  id: number;
  text: string;
  minCheckworthiness?: number;
}

export type ExtractionReply =
  | { ready: true }
  | { id: number; result: ExtractionResult; elapsedMs: number }
  | { id: number; error: string };

export interface TimedExtraction extends ExtractionResult {
  /** Time the extraction itself took on its thread, without waiting for one. */
  elapsedMs: number;
}

export interface ExtractionPoolOptions {
  /** Worker threads; each extracts one text at a time. */
  threads: number;
  /** Requests that may wait for a free thread; one more is refused at once. */
  maxQueue: number;
  /** Longest one extraction may run before its thread is stopped. */
  timeoutMs: number;
  /** Longest a request may wait for a thread. Default: `timeoutMs`. */
  maxWaitMs?: number;
  /**
   * A thread is replaced (between texts) once it has read this many characters:
   * wink's lexicon keeps every new word it meets for the life of the thread.
   */
  recycleAfterChars?: number;
}

/** Every thread is busy and the queue is full, or a request waited too long: retry later. */
export class ExtractionBusyError extends Error {
  override name = 'ExtractionBusyError';
}

/** The text took longer than the limit to analyse; the same text will again. */
export class ExtractionTimeoutError extends Error {
  override name = 'ExtractionTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`claim extraction did not finish within ${timeoutMs} ms`);
  }
}

/** Threads for one process: the cores shared among the processes serving requests, at least one. */
export function defaultExtractionThreads(processes: number, cores = availableParallelism()): number {
  return Math.max(1, Math.floor(cores / Math.max(1, processes)));
}

const DEFAULT_RECYCLE_AFTER_CHARS = 50_000_000;

interface Pending {
  task: ExtractionTask;
  resolve(result: TimedExtraction): void;
  reject(err: Error): void;
  waitTimer?: NodeJS.Timeout;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  current?: Pending;
  runTimer?: NodeJS.Timeout;
  charsRead: number;
}

export class ExtractionPool {
  readonly #options: Required<ExtractionPoolOptions>;
  readonly #slots = new Set<Slot>();
  readonly #queue: Pending[] = [];
  #nextId = 1;
  #closed = false;
  /** Some thread has become ready: the pool works. */
  #started = false;

  constructor(options: ExtractionPoolOptions) {
    if (!(options.threads >= 1)) throw new Error('an extraction pool needs at least one thread');
    this.#options = { maxWaitMs: options.timeoutMs, recycleAfterChars: DEFAULT_RECYCLE_AFTER_CHARS, ...options };
  }

  get options(): Readonly<Required<ExtractionPoolOptions>> {
    return this.#options;
  }

  /** Threads running a text, and requests waiting for one. */
  get load(): { threads: number; busy: number; queued: number } {
    let busy = 0;
    for (const slot of this.#slots) if (slot.current) busy++;
    return { threads: this.#slots.size, busy, queued: this.#queue.length };
  }

  /** Starts the threads (each loads the language model); run() also does, on first use. */
  start(): void {
    while (!this.#closed && this.#slots.size < this.#options.threads) this.#spawn();
  }

  run(text: string, options: { minCheckworthiness?: number } = {}): Promise<TimedExtraction> {
    if (this.#closed) return Promise.reject(new Error('the extraction pool is closed'));
    this.start();
    return new Promise<TimedExtraction>((resolve, reject) => {
      const pending: Pending = { task: { id: this.#nextId++, text, minCheckworthiness: options.minCheckworthiness }, resolve, reject };
      const idle = [...this.#slots].find((s) => s.ready && !s.current);
      if (idle) return this.#dispatch(idle, pending);
      if (this.#queue.length >= this.#options.maxQueue) {
        return reject(new ExtractionBusyError(`all ${this.#options.threads} extraction threads are busy and ${this.#queue.length} requests are waiting`));
      }
      this.#queue.push(pending);
      if (this.#started) this.#startWaitClock(pending);
      this.#keepAliveWhileWorking();
    });
  }

  /**
   * A request waits for a thread at most maxWaitMs, counted once the pool has
   * a working thread: the first requests wait for the threads to load the
   * language model (a second or so) without that counting against them.
   */
  #startWaitClock(pending: Pending): void {
    pending.waitTimer = setTimeout(() => {
      const at = this.#queue.indexOf(pending);
      if (at < 0) return;
      this.#queue.splice(at, 1);
      pending.reject(new ExtractionBusyError(`no extraction thread was free within ${this.#options.maxWaitMs} ms`));
      this.#keepAliveWhileWorking();
    }, this.#options.maxWaitMs);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const closing = new Error('the extraction pool is closing');
    for (const pending of this.#queue.splice(0)) {
      clearTimeout(pending.waitTimer);
      pending.reject(closing);
    }
    const slots = [...this.#slots];
    this.#slots.clear();
    for (const slot of slots) {
      clearTimeout(slot.runTimer);
      slot.current?.reject(closing);
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  #spawn(): void {
    const worker = new Worker(threadBootstrap(import.meta.url, 'worker'), { eval: true });
    const slot: Slot = { worker, ready: false, charsRead: 0 };
    this.#slots.add(slot);
    worker.on('message', (reply: ExtractionReply) => this.#onReply(slot, reply));
    worker.on('error', (err) => this.#onFailure(slot, err));
    worker.on('exit', (code) => this.#onFailure(slot, new Error(`an extraction thread exited with code ${code}`)));
    this.#keepAliveWhileWorking();
  }

  /** An idle pool does not keep the process alive; one with requests running or waiting does. */
  #keepAliveWhileWorking(): void {
    const working = this.#queue.length > 0 || [...this.#slots].some((s) => s.current);
    for (const slot of this.#slots) {
      if (working) slot.worker.ref();
      else slot.worker.unref();
    }
  }

  /** Stops a thread that is no longer wanted; its 'exit' is then ignored. */
  #retire(slot: Slot): void {
    this.#slots.delete(slot);
    clearTimeout(slot.runTimer);
    void slot.worker.terminate();
  }

  #dispatch(slot: Slot, pending: Pending): void {
    clearTimeout(pending.waitTimer);
    slot.current = pending;
    this.#keepAliveWhileWorking();
    slot.runTimer = setTimeout(() => {
      this.#retire(slot);
      pending.reject(new ExtractionTimeoutError(this.#options.timeoutMs));
      this.#replace();
    }, this.#options.timeoutMs);
    slot.worker.postMessage(pending.task);
  }

  #onReply(slot: Slot, reply: ExtractionReply): void {
    if (!this.#slots.has(slot)) return;
    if ('ready' in reply) {
      slot.ready = true;
      if (!this.#started) {
        this.#started = true;
        for (const pending of this.#queue) this.#startWaitClock(pending);
      }
      return this.#next(slot);
    }
    const pending = slot.current;
    if (!pending || pending.task.id !== reply.id) return;
    clearTimeout(slot.runTimer);
    slot.current = undefined;
    slot.charsRead += pending.task.text.length;
    if ('error' in reply) pending.reject(new Error(`claim extraction failed: ${reply.error}`));
    else pending.resolve({ ...reply.result, elapsedMs: reply.elapsedMs });
    if (slot.charsRead >= this.#options.recycleAfterChars) {
      this.#retire(slot);
      this.#replace();
    } else {
      this.#next(slot);
    }
    this.#keepAliveWhileWorking();
  }

  #onFailure(slot: Slot, err: Error): void {
    if (!this.#slots.has(slot)) return;
    this.#retire(slot);
    slot.current?.reject(err);
    if (!slot.ready) {
      // The thread died before it could work (its module failed to load): the queue would
      // wait for threads that fail the same way. Fail it now; the next request tries again.
      for (const pending of this.#queue.splice(0)) {
        clearTimeout(pending.waitTimer);
        pending.reject(err);
      }
    } else {
      this.#replace();
    }
    this.#keepAliveWhileWorking();
  }

  #replace(): void {
    if (!this.#closed && this.#slots.size < this.#options.threads) this.#spawn();
  }

  #next(slot: Slot): void {
    const pending = this.#queue.shift();
    if (pending) this.#dispatch(slot, pending);
  }
}
