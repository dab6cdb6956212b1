import type { Readable } from 'node:stream';
import { bodyTooLarge } from '../../lib/received-body.js';

/**
 * An NDJSON request body, left unread: the handler pulls it line by line, so a
 * 100 MB upload never sits in memory. Private fields keep it opaque to code
 * that walks request bodies (the idempotency fingerprint sees `{}`).
 */
export class NdjsonBody {
  readonly #stream: Readable;
  constructor(stream: Readable) {
    this.#stream = stream;
  }
  get stream(): Readable {
    return this.#stream;
  }
}

export interface RawLine {
  /** 1-based, counting blank lines too, as an editor shows them. */
  number: number;
  text?: string;
  /** Why the line could not be read (too long, not UTF-8). */
  unreadable?: string;
  bytes: number;
}

const NEWLINE = 0x0a;

/**
 * Splits a byte stream at `\n` (a newline byte never occurs inside a multi-byte
 * UTF-8 character, so splitting bytes is safe), decodes each line strictly as
 * UTF-8 and drops a trailing `\r` and a leading byte-order mark. Blank lines are
 * not yielded. Pulls the next chunk only when the consumer asks for the next
 * line (back-pressure).
 */
export async function* ndjsonLines(source: AsyncIterable<Buffer | string>, limits: { maxBytes: number; maxLineBytes: number }): AsyncGenerator<RawLine> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let total = 0;
  let number = 0;
  let carry: Buffer[] = [];
  let carryBytes = 0;
  let tooLong = false;

  const finish = (piece: Buffer): RawLine | undefined => {
    number++;
    const bytes = carryBytes + piece.length;
    if (tooLong) return { number, bytes, unreadable: `is longer than ${limits.maxLineBytes} bytes` };
    const whole = carry.length ? Buffer.concat([...carry, piece]) : piece;
    let text: string;
    try {
      text = decoder.decode(whole);
    } catch {
      return { number, bytes, unreadable: 'is not valid UTF-8' };
    }
    if (number === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.trim() === '') return undefined;
    return { number, bytes, text };
  };

  for await (const received of source) {
    const chunk = typeof received === 'string' ? Buffer.from(received) : received;
    total += chunk.length;
    if (total > limits.maxBytes) throw bodyTooLarge(limits.maxBytes);
    let start = 0;
    for (;;) {
      const end = chunk.indexOf(NEWLINE, start);
      if (end === -1) {
        if (start < chunk.length) {
          carryBytes += chunk.length - start;
          // Beyond the limit the line is only counted, not kept.
          if (carryBytes > limits.maxLineBytes) {
            tooLong = true;
            carry = [];
          } else carry.push(chunk.subarray(start));
        }
        break;
      }
      const piece = chunk.subarray(start, end);
      if (carryBytes + piece.length > limits.maxLineBytes) tooLong = true;
      const line = finish(piece);
      carry = [];
      carryBytes = 0;
      tooLong = false;
      if (line) yield line;
      start = end + 1;
    }
  }
  if (carryBytes > 0) {
    const line = finish(Buffer.alloc(0));
    if (line) yield line;
  }
}
