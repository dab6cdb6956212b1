import rateLimit from '@fastify/rate-limit';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Redis } from 'ioredis';
import { Counter, Gauge, type Metric } from 'prom-client';
import { ApiError } from '../lib/errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The rate limiter's own metrics, for the metrics plugin to publish. */
    rateLimitMetrics: Metric[];
  }
}

/**
 * Per-key rate limiting (OWASP API4): `limit` requests a minute for each API key,
 * counted in memory for one process or in Redis (REDIS_URL) so several processes
 * share one budget. Answers carry the IETF draft `RateLimit-*` headers; a 429
 * carries `Retry-After`. Requests without a key count per client address.
 * `/healthz` is never counted, so the process looks alive whatever Redis does.
 * Routes registered before this plugin are not counted: the interactive docs and
 * the OpenAPI document (static answers).
 *
 * Redis is a shared counter, not a dependency: a Redis that is down, or frozen
 * with its connection still open, must not hold requests. Every command gives up
 * after `redisTimeoutMs`; from the first failure on, this process counts alone
 * (the limit then holds per process, so a client gets at most the limit times
 * the number of processes) and pings Redis in the background until it answers
 * again. No request waits for Redis while it is known to be failing, and none
 * queues behind it (no offline queue). The switch is logged as a warning (again
 * at most once a minute while it lasts) and shown by the metrics
 * `rate_limit_store_degraded` and `rate_limit_local_fallbacks_total`.
 */
export default fp(
  async function rateLimitPlugin(app: FastifyInstance, opts: { limit: number; redisUrl?: string; redisTimeoutMs: number }) {
    const degraded = new Gauge({
      name: 'rate_limit_store_degraded',
      help: '1 while Redis does not answer and this process counts rate limits on its own (the limit is then per process)',
      registers: [],
    });
    const fallbacks = new Counter({
      name: 'rate_limit_local_fallbacks_total',
      help: 'Requests counted in this process because Redis did not answer in time',
      registers: [],
    });
    app.decorate('rateLimitMetrics', [degraded, fallbacks] as Metric[]);

    const redis = opts.redisUrl
      ? new Redis(opts.redisUrl, {
          connectTimeout: 1_000,
          // A backstop that clears commands a frozen Redis never answers; requests give up far sooner (answerWithin).
          commandTimeout: Math.max(1_000, opts.redisTimeoutMs),
          maxRetriesPerRequest: 1,
          enableOfflineQueue: false,
          lazyConnect: false,
        })
      : undefined;
    let store: new () => LocalCounts | FailoverCounts = LocalCounts;
    if (redis) {
      const shared = redis;
      const health = new SharedStoreHealth(redis, app.log, opts.redisTimeoutMs, degraded, fallbacks);
      redis.on('error', (err) => health.failed(err));
      app.addHook('onClose', async () => {
        health.stop();
        redis.disconnect();
      });
      // Without an offline queue, requests before the connection is up would be counted locally.
      await new Promise((resolve) => {
        redis.once('ready', resolve);
        setTimeout(resolve, 2_000).unref();
      });
      store = class extends FailoverCounts {
        constructor() {
          super(shared, health, opts.redisTimeoutMs);
        }
      };
    }

    await app.register(rateLimit, {
      global: true,
      max: opts.limit,
      timeWindow: 60_000,
      store,
      skipOnError: true,
      enableDraftSpec: true,
      allowList: (request) => request.routeOptions.url === '/healthz',
      keyGenerator: (request) => (request.apiKeyId ? `key:${request.apiKeyId}` : `ip:${request.ip}`),
      errorResponseBuilder: (_request, context) =>
        new ApiError('rate_limited', `This key may make ${context.max} requests a minute; retry in ${context.after}.`),
    });
  },
  { name: 'rate-limit', dependencies: ['auth'] },
);

type Counted = (err: Error | null, result?: { current: number; ttl: number }) => void;

/** How often a failing Redis is pinged, and how often the warning is repeated while it fails. */
const PROBE_MS = 1_000;
const REPEAT_WARNING_MS = 60_000;
/** Keys remembered by the in-process counter; the oldest go first beyond this. */
const LOCAL_KEYS = 10_000;

/** Fixed one-minute windows counted in this process. */
class LocalCounts {
  private readonly windows = new Map<string, { count: number; endsAt: number }>();

  incr(key: string, cb: Counted, timeWindow: number) {
    const now = Date.now();
    let window = this.windows.get(key);
    if (!window || window.endsAt <= now) {
      this.windows.delete(key);
      window = { count: 0, endsAt: now + timeWindow };
      // Map keeps insertion order: the first keys are the least recently started windows.
      if (this.windows.size >= LOCAL_KEYS) this.windows.delete(this.windows.keys().next().value!);
      this.windows.set(key, window);
    }
    window.count++;
    cb(null, { current: window.count, ttl: window.endsAt - now });
  }

  child() {
    return new LocalCounts();
  }
}

/** Whether Redis is to be asked, with the warnings and metrics of the switch. */
class SharedStoreHealth {
  private failing = false;
  private probe: NodeJS.Timeout | undefined;
  private lastWarning = 0;
  private localSinceWarning = 0;

  constructor(
    private readonly redis: Redis,
    private readonly log: FastifyBaseLogger,
    private readonly timeoutMs: number,
    private readonly degraded: Gauge,
    private readonly fallbacks: Counter,
  ) {}

  get usable() {
    return !this.failing;
  }

  countedLocally() {
    this.fallbacks.inc();
    this.localSinceWarning++;
    const now = Date.now();
    if (now - this.lastWarning >= REPEAT_WARNING_MS) {
      this.log.warn({ requests: this.localSinceWarning }, 'rate limits still counted per process: Redis does not answer');
      this.lastWarning = now;
      this.localSinceWarning = 0;
    }
  }

  failed(err: Error) {
    if (this.failing) return;
    this.failing = true;
    this.degraded.set(1);
    this.lastWarning = Date.now();
    this.localSinceWarning = 0;
    this.log.warn(
      { err: err.message, timeoutMs: this.timeoutMs },
      'Redis does not answer: rate limits are counted per process until it does',
    );
    this.probe = setInterval(() => {
      answerWithin(this.timeoutMs, this.redis.ping()).then(
        () => this.recovered(),
        () => {},
      );
    }, PROBE_MS);
    this.probe.unref();
  }

  private recovered() {
    if (!this.failing) return;
    this.failing = false;
    this.degraded.set(0);
    clearInterval(this.probe);
    this.log.info('Redis answers again: rate limits are shared by every process');
  }

  stop() {
    clearInterval(this.probe);
  }
}

/** Redis's Lua counter of @fastify/rate-limit (one INCR and PEXPIRE, atomic), falling back to LocalCounts. */
const INCREMENT = `
  local current = redis.call('INCR', KEYS[1])
  if current == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) return {current, tonumber(ARGV[1])} end
  return {current, redis.call('PTTL', KEYS[1])}
`;

class FailoverCounts {
  private readonly local = new LocalCounts();

  constructor(
    private readonly redis: Redis & { claimledgerRateLimit?: (key: string, window: number) => Promise<[number, number]> },
    private readonly health: SharedStoreHealth,
    private readonly timeoutMs: number,
  ) {
    if (!redis.claimledgerRateLimit) redis.defineCommand('claimledgerRateLimit', { numberOfKeys: 1, lua: INCREMENT });
  }

  incr(key: string, cb: Counted, timeWindow: number) {
    if (!this.health.usable) {
      this.health.countedLocally();
      return this.local.incr(key, cb, timeWindow);
    }
    answerWithin(this.timeoutMs, this.redis.claimledgerRateLimit!(`claimledger-rl:${key}`, timeWindow)).then(
      ([current, ttl]) => cb(null, { current, ttl }),
      (err: Error) => {
        this.health.failed(err);
        this.health.countedLocally();
        this.local.incr(key, cb, timeWindow);
      },
    );
  }

  child() {
    return this;
  }
}

/**
 * `promise`, or a rejection once `ms` have passed without an answer. The verdict
 * waits one more turn of the event loop (setImmediate runs after pending I/O):
 * on a busy process a timer can fire late, before an answer already sitting in
 * the socket is read, and that must not count as Redis failing.
 */
function answerWithin<T>(ms: number, promise: Promise<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => setImmediate(() => reject(new Error(`no answer within ${ms} ms`))), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err as Error);
      },
    );
  });
}
