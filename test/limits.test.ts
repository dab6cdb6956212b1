import t from 'tap';
import { Redis } from 'ioredis';
import { buildTestApp, type TestApp } from './helper.js';

const LIMIT = 5;

async function key(api: TestApp, name: string) {
  return (await api.post('/v1/keys', { name, scopes: ['read'] })).json().secret as string;
}

const get = (api: TestApp, secret: string) =>
  api.request({ method: 'GET', url: '/v1/claims?limit=1', headers: { authorization: `Bearer ${secret}` } });

t.test('in memory: a key over its budget gets 429 problem+json with Retry-After and RateLimit headers; other keys are unaffected', async (t) => {
  const api = await buildTestApp(t, { CLAIMLEDGER_RATE_LIMIT: String(LIMIT) });
  await api.reset();
  const flood = await key(api, 'flood');
  const calm = await key(api, 'calm');
  const answers = [];
  for (let i = 0; i < LIMIT + 3; i++) answers.push(await get(api, flood));
  t.same(answers.map((a) => a.statusCode), [...Array(LIMIT).fill(200), 429, 429, 429]);
  const refused = answers[LIMIT];
  t.equal(refused.headers['content-type'], 'application/problem+json; charset=utf-8');
  t.equal(refused.json().code, 'rate_limited');
  t.ok(Number(refused.headers['retry-after']) > 0, 'Retry-After in seconds');
  t.equal(refused.headers['ratelimit-limit'], String(LIMIT));
  t.equal(refused.headers['ratelimit-remaining'], '0');
  t.ok(Number(answers[0].headers['ratelimit-remaining']) < LIMIT, 'remaining counts down');
  t.equal((await get(api, calm)).statusCode, 200, 'another key has its own budget');
  const health = await api.request({ method: 'GET', url: '/healthz', headers: { authorization: null as never } });
  t.equal(health.statusCode, 200, 'health checks are never refused');
  t.equal(health.headers['ratelimit-limit'], undefined, '/healthz is never counted');
  const ready = await api.request({ method: 'GET', url: '/readyz', headers: { authorization: null as never } });
  t.equal(ready.headers['ratelimit-limit'], String(LIMIT), 'requests without a key have their own budget, per client address');
});

t.test('with REDIS_URL two API instances share one budget per key', async (t) => {
  const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
  } catch {
    t.comment('no Redis on 127.0.0.1:6379: skipped');
    return;
  }
  t.teardown(() => redis.disconnect());
  const env = { CLAIMLEDGER_RATE_LIMIT: String(LIMIT), REDIS_URL: 'redis://127.0.0.1:6379' };
  const one = await buildTestApp(t, env);
  await one.reset();
  const secret = await key(one, 'shared');
  // A second app on the same database, as a second process would be.
  const { buildApp } = await import('../src/app.js');
  const { loadConfig } = await import('../src/config.js');
  const two = await buildApp({ config: loadConfig({ ...env }), database: one.database, migrate: false });
  t.teardown(() => two.close());
  const statuses: number[] = [];
  for (let i = 0; i < LIMIT + 1; i++) {
    const app = i % 2 === 0 ? one.app : two;
    statuses.push((await app.inject({ method: 'GET', url: '/v1/claims?limit=1', headers: { authorization: `Bearer ${secret}` } })).statusCode);
  }
  t.same(statuses, [...Array(LIMIT).fill(200), 429], 'the sixth request is refused whichever instance gets it');
});

t.test('bodies over the limit are 413 problem+json', async (t) => {
  const api = await buildTestApp(t);
  await api.reset();
  const res = await api.post('/v1/claims', { text: 'x'.repeat(5 * 1024 * 1024) });
  t.equal(res.statusCode, 413);
  t.equal(res.json().code, 'payload_too_large');
});
