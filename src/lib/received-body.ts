import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApiError } from './errors.js';

/** 413: counted in bytes as received (decompressed, for a gzipped body). */
export const bodyTooLarge = (maxBytes: number) => new ApiError('payload_too_large', `The body is larger than ${maxBytes} bytes; split it into several requests.`);

/** Bodies up to this size are received in memory, larger ones into a temporary file. */
const IN_MEMORY_BYTES = 8 * 1024 * 1024;

/**
 * A request body received in full before any database work starts, so that no
 * database connection (and no open transaction) ever waits for a client's
 * bytes: a stalled or trickling upload costs a socket and a little memory or
 * disk, nothing the other requests need. Up to IN_MEMORY_BYTES it stays in
 * memory; beyond, it goes to a temporary file that `discard` deletes.
 */
export class ReceivedBody {
  private constructor(
    private readonly memory: Buffer[],
    private readonly file: string | undefined,
  ) {}

  static async receive(source: AsyncIterable<Buffer | string>, maxBytes: number): Promise<ReceivedBody> {
    const memory: Buffer[] = [];
    let total = 0;
    let dir: string | undefined;
    let handle: FileHandle | undefined;
    try {
      for await (const received of source) {
        const chunk = typeof received === 'string' ? Buffer.from(received) : received;
        total += chunk.length;
        if (total > maxBytes) throw bodyTooLarge(maxBytes);
        if (handle) {
          await handle.write(chunk);
          continue;
        }
        memory.push(chunk);
        if (total > IN_MEMORY_BYTES) {
          dir = await mkdtemp(path.join(tmpdir(), 'claimledger-bulk-'));
          handle = await open(path.join(dir, 'body.ndjson'), 'w');
          for (const kept of memory.splice(0)) await handle.write(kept);
        }
      }
      await handle?.close();
      handle = undefined;
      return new ReceivedBody(memory, dir && path.join(dir, 'body.ndjson'));
    } catch (err) {
      await handle?.close().catch(() => {});
      if (dir) await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  async *chunks(): AsyncGenerator<Buffer> {
    if (this.file) yield* createReadStream(this.file, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>;
    else yield* this.memory;
  }

  async discard() {
    this.memory.length = 0;
    if (this.file) await rm(path.dirname(this.file), { recursive: true, force: true });
  }
}
