import { ApiError } from '../../lib/errors.js';

export interface ImportLimits {
  /** Imports running at once in this process, all keys together. */
  total: number;
  /** Imports running at once in this process for one API key. */
  perKey: number;
}

/**
 * Counts the imports running in this process. An import holds its slot from the
 * moment its headers are in until it answers, upload included, so neither one
 * key nor many slow uploads can take every database connection or all the
 * memory and disk that bodies are received into.
 */
export class ImportSlots {
  private running = 0;
  private readonly byKey = new Map<string, number>();

  constructor(readonly limits: ImportLimits) {}

  /** Takes a slot for `keyId`, or refuses: 429 when this key has its share, 503 when the process has. Returns the release. */
  take(keyId: string): () => void {
    const mine = this.byKey.get(keyId) ?? 0;
    if (mine >= this.limits.perKey) {
      throw new ApiError('rate_limited', `This key already runs ${mine} imports, as many as one key may at once; retry when one has finished.`);
    }
    if (this.running >= this.limits.total) {
      throw new ApiError('busy', `${this.running} imports are running, as many as the service takes at once; retry shortly.`);
    }
    this.running++;
    this.byKey.set(keyId, mine + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      const left = (this.byKey.get(keyId) ?? 1) - 1;
      if (left === 0) this.byKey.delete(keyId);
      else this.byKey.set(keyId, left);
    };
  }
}
