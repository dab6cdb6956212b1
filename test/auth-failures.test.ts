import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import type { FastifyInstance, InjectOptions } from 'fastify';
import t from 'tap';
import { RedisProcess } from './support/redis-server.js';
import { skipWithout } from './support/requirements.js';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { hashSecret } from '../src/lib/keys.js';
import { TEST_ADMIN_KEY, buildTestApp, openTestDatabase } from './helper.js';

/*
 * Failed authentication: counted per client address against a stricter limit
 * than the rate limit (in Redis when there is one, in memory when it does not
 * answer), and never logged with the key or its hash. Building an app is slow,
 * so the file builds few: this one, and a second instance behind a trusted proxy
 * that shares a private Redis with a third.
 */

const LIMIT = 3;
const PROBLEM_JSON = 'application/problem+json; charset=utf-8';

const randomSecret = () => `clk_${randomBytes(32).toString('base64url')}`;
/** A client address of its own for each check, so counts never meet. */
const randomAddress = () => `10.${randomBytes(3).join('.')}`;

function inject(app: FastifyInstance, secret: string | undefined, options: Partial<InjectOptions> = {}) {
  const headers = { ...(secret ? { authorization: `Bearer ${secret}` } : {}), ...(options.headers ?? {}) };
  return app.inject({ method: 'GET', url: '/v1/claims?limit=1', ...options, headers } as InjectOptions);
}

// Several app builds: slow on a busy machine.
t.setTimeout(400_000);

const api = await buildTestApp(t, { CLAIMLEDGER_AUTH_FAILURE_LIMIT: String(LIMIT) });

/** A private redis-server (freezing it disturbs nobody else); undefined where none is installed. */
async function privateRedis(): Promise<RedisProcess | undefined> {
  if (!RedisProcess.available()) return undefined;
  const server = await RedisProcess.start();
  t.teardown(() => server.stop());
  return server;
}

const redis = await privateRedis();
const PROXY = randomAddress();
const instance = (env: Record<string, string>) =>
  buildApp({
    config: loadConfig({ CLAIMLEDGER_ADMIN_KEY: TEST_ADMIN_KEY, CLAIMLEDGER_AUTH_FAILURE_LIMIT: String(LIMIT), ...(redis ? { REDIS_URL: redis.url } : {}), ...env }),
    database: api.database,
    migrate: false,
  });
const proxied = await instance({ TRUST_PROXY: PROXY });
t.teardown(() => proxied.close());
const twin = redis ? await instance({}) : undefined;
t.teardown(() => twin?.close());

t.test('failed authentications past the limit get 429 with Retry-After; known keys, other addresses and health checks are not held', async (t) => {
  await api.reset();
  const key = (await api.post('/v1/keys', { name: 'desk', scopes: ['read'] })).json();
  const address = randomAddress();
  t.equal((await inject(api.app, key.secret, { remoteAddress: address })).statusCode, 200, 'a valid key, seen once');
  for (let i = 0; i < LIMIT; i++) t.equal((await inject(api.app, randomSecret(), { remoteAddress: address })).statusCode, 401, `failure ${i + 1}`);
  const refused = await inject(api.app, randomSecret(), { remoteAddress: address });
  t.equal(refused.statusCode, 429, `failing key ${LIMIT + 1} in a minute is refused before any lookup`);
  t.equal(refused.headers['content-type'], PROBLEM_JSON);
  t.equal(refused.json().code, 'rate_limited');
  t.match(refused.json().detail, /failed authentications/);
  const retryAfter = Number(refused.headers['retry-after']);
  t.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter} s, until the minute ends`);
  t.equal((await inject(api.app, undefined, { remoteAddress: address, headers: { authorization: 'Basic eDp5' } })).statusCode, 429, 'a malformed credential too');
  t.equal((await inject(api.app, key.secret, { remoteAddress: address })).statusCode, 200, 'the valid key from the same address still passes');
  t.equal((await inject(api.app, randomSecret(), { remoteAddress: randomAddress() })).statusCode, 401, 'another address has its own count');
  t.equal((await inject(api.app, randomSecret(), { remoteAddress: address, url: '/healthz' })).statusCode, 200, '/healthz answers the blocked address');
  t.equal((await inject(api.app, randomSecret(), { remoteAddress: address, url: '/readyz' })).statusCode, 200, 'and /readyz');
  const keyless = randomAddress();
  for (let i = 0; i <= LIMIT; i++) t.equal((await inject(api.app, undefined, { remoteAddress: keyless })).statusCode, 401, 'a request without a key is 401 and not counted');
});

t.test('a repeated unknown key counts each time, though it is looked up once', async (t) => {
  await api.reset();
  const address = randomAddress();
  const secret = randomSecret();
  const statuses = [];
  for (let i = 0; i <= LIMIT; i++) statuses.push((await inject(api.app, secret, { remoteAddress: address })).statusCode);
  t.same(statuses, [...Array(LIMIT).fill(401), 429]);
});

t.test('with TRUST_PROXY the address before the proxy is counted; without it X-Forwarded-For is ignored', async (t) => {
  await api.reset();
  const attempt = (app: FastifyInstance, forwardedFor: string, remoteAddress = PROXY) =>
    inject(app, randomSecret(), { remoteAddress, headers: { 'x-forwarded-for': forwardedFor } }).then((r) => r.statusCode);
  const series = async (app: FastifyInstance, forwardedFor: () => string, remoteAddress = PROXY) => {
    const statuses = [];
    for (let i = 0; i <= LIMIT; i++) statuses.push(await attempt(app, forwardedFor(), remoteAddress));
    return statuses;
  };
  const blocked = [...Array(LIMIT).fill(401), 429];
  const alice = randomAddress();
  t.same(await series(proxied, () => alice), blocked, 'one client behind the trusted proxy is counted by its forwarded address');
  t.equal(await attempt(proxied, randomAddress()), 401, 'another client behind the same proxy is not held');
  t.same(await series(proxied, randomAddress, randomAddress()), blocked, 'a sender that is not the trusted proxy cannot pick its address with X-Forwarded-For');
  t.same(await series(api.app, randomAddress, randomAddress()), blocked, 'without TRUST_PROXY the socket address counts, whatever X-Forwarded-For says');
});

t.test('with REDIS_URL every instance adds to one count of failed authentications', { skip: skipWithout(redis ? undefined : 'no redis-server binary') }, async (t) => {
  await api.reset();
  // A Redis command slower than the bound (a loaded test machine) is counted in memory
  // instead, so a series may miss; one that is shared never misses three times.
  const expected = [...Array(LIMIT).fill(401), 429];
  let statuses: number[] = [];
  for (let series = 0; series < 3 && statuses.join() !== expected.join(); series++) {
    const address = randomAddress();
    statuses = [];
    for (let i = 0; i <= LIMIT; i++) statuses.push((await inject(i % 2 ? twin! : proxied, randomSecret(), { remoteAddress: address })).statusCode);
  }
  t.same(statuses, expected, 'the next failure is refused whichever instance gets it');
});

t.test('a failed key lookup during a database outage logs neither the key nor its hash', async (t) => {
  const database = await openTestDatabase();
  const lines: string[] = [];
  const app = await buildApp({
    config: loadConfig({ CLAIMLEDGER_ADMIN_KEY: TEST_ADMIN_KEY }),
    database,
    migrate: false,
    logger: {
      level: 'trace',
      stream: new Writable({
        write(chunk, _enc, cb) {
          lines.push(String(chunk));
          cb();
        },
      }),
    },
  });
  t.teardown(() => app.close());
  t.equal((await inject(app, TEST_ADMIN_KEY)).statusCode, 200, 'up');
  await database.close();
  app.forgetKeys();
  const unknown = randomSecret();
  for (const secret of [TEST_ADMIN_KEY, unknown, TEST_ADMIN_KEY]) {
    const res = await inject(app, secret);
    t.equal(res.statusCode, 503, 'the outage answers 503');
    t.equal(res.json().code, 'unavailable');
  }
  const log = lines.join('');
  t.match(log, /request failed/, 'the failures are logged');
  for (const secret of [TEST_ADMIN_KEY, unknown]) {
    t.notOk(log.includes(hashSecret(secret)), 'no key hash in the log');
    t.notOk(log.includes(secret), 'no key in the log');
  }
  // The start of a process whose database is down fails too, with the same care.
  const failure = await buildApp({ config: loadConfig({ CLAIMLEDGER_ADMIN_KEY: TEST_ADMIN_KEY }), database, migrate: false }).then(
    () => undefined,
    (err: Error) => err,
  );
  t.ok(failure, 'a start on a database that is down fails');
  t.notOk(inspect(failure, { depth: 10 }).includes(hashSecret(TEST_ADMIN_KEY)), 'and its error does not carry the admin key hash');
});

// Last: it leaves the private Redis frozen.
t.test('a Redis that does not answer holds no failed authentication: they are counted per process', { skip: skipWithout(redis ? undefined : 'no redis-server binary') }, async (t) => {
  await api.reset();
  redis!.freeze();
  const address = randomAddress();
  const answers: { status: number; ms: number }[] = [];
  for (let i = 0; i <= LIMIT; i++) {
    const started = performance.now();
    const res = await inject(twin!, randomSecret(), { remoteAddress: address });
    answers.push({ status: res.statusCode, ms: performance.now() - started });
  }
  t.same(answers.map((a) => a.status), [...Array(LIMIT).fill(401), 429], 'counted in this process while Redis is frozen');
  const slowest = Math.max(...answers.map((a) => a.ms));
  t.ok(slowest < 1_000, `each answer came within a second (slowest ${Math.round(slowest)} ms)`);
});
