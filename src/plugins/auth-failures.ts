import type { Redis } from 'ioredis';

/**
 * Failed authentications per client address, in fixed one-minute windows. Each
 * costs a database lookup, so an address past the limit is refused (429) before
 * its next lookup until the window ends.
 *
 * With Redis every process adds to one count and reads it before a lookup; a
 * process remembers the addresses it saw go over, so it needs no Redis round trip
 * to refuse them again. When Redis does
 * not answer at once the failure is counted in this process's memory instead:
 * a frozen Redis must not hold a request, and a count per process still bounds
 * the lookups.
 */

const WINDOW_MS = 60_000;
/** Entries kept in memory before those of past windows are swept. */
const SWEEP_AT = 50_000;

export class FailedAuthCounter {
  private readonly counts = new Map<string, { window: number; count: number }>();
  private readonly blockedUntil = new Map<string, number>();

  constructor(
    readonly limit: number,
    private readonly redis?: Redis,
    private readonly onRedisError: (err: Error) => void = () => {},
  ) {}

  /** Milliseconds until `address` may try a key again; 0 when it may now. */
  async retryAfterMs(address: string, now = Date.now()): Promise<number> {
    const until = this.blockedUntil.get(address);
    if (until !== undefined && until > now) return until - now;
    if (until !== undefined) this.blockedUntil.delete(address);
    if (!this.redis) return 0;
    // Another process may have seen this address go over the limit.
    const window = Math.floor(now / WINDOW_MS);
    try {
      const count = Number(await this.redis.get(this.redisKey(address, window)));
      if (count < this.limit) return 0;
      this.block(address, (window + 1) * WINDOW_MS, now);
      return (window + 1) * WINDOW_MS - now;
    } catch (err) {
      this.onRedisError(err as Error);
      return 0;
    }
  }

  /** Counts one failed authentication of `address`. */
  async record(address: string, now = Date.now()): Promise<void> {
    const window = Math.floor(now / WINDOW_MS);
    const end = (window + 1) * WINDOW_MS;
    let count: number;
    try {
      count = this.redis ? await this.countInRedis(address, window, end) : this.countHere(address, window);
    } catch (err) {
      this.onRedisError(err as Error);
      count = this.countHere(address, window);
    }
    if (count >= this.limit) this.block(address, end, now);
  }

  private block(address: string, until: number, now: number) {
    if (this.blockedUntil.size >= SWEEP_AT) this.sweep(now);
    this.blockedUntil.set(address, until);
  }

  private redisKey = (address: string, window: number) => `claimledger-auth-failures:${address}:${window}`;

  private async countInRedis(address: string, window: number, end: number): Promise<number> {
    const key = this.redisKey(address, window);
    const replies = await this.redis!.multi().incr(key).pexpireat(key, end + 1_000).exec();
    const [err, count] = replies?.[0] ?? [new Error('no reply from Redis'), 0];
    if (err) throw err;
    return Number(count);
  }

  private countHere(address: string, window: number): number {
    const entry = this.counts.get(address);
    if (entry && entry.window === window) return ++entry.count;
    if (!entry && this.counts.size >= SWEEP_AT) this.sweep(window * WINDOW_MS);
    this.counts.set(address, { window, count: 1 });
    return 1;
  }

  /**
   * Forgets past windows, so addresses that come and go cannot grow memory without
   * end; if as many are active within one window, the oldest are forgotten.
   */
  private sweep(now: number) {
    const window = Math.floor(now / WINDOW_MS);
    for (const [address, entry] of this.counts) if (entry.window < window) this.counts.delete(address);
    for (const [address, until] of this.blockedUntil) if (until <= now) this.blockedUntil.delete(address);
    for (const map of [this.counts, this.blockedUntil]) {
      for (const address of map.keys()) {
        if (map.size < SWEEP_AT / 2) break;
        map.delete(address);
      }
    }
  }
}
