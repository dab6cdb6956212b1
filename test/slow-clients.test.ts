import t from 'tap';
import { buildTestApp, TEST_ADMIN_KEY, type TestApp } from './helper.js';
import { makeClaim } from './factories.js';
import { problemOf, rawRequest } from './support/raw-http.js';

/*
 * Clients that send headers and then a body slowly, or never: they must not hold
 * database connections, must be answered 408 problem+json and disconnected, and
 * bulk imports are capped per key and per process. Real sockets on a listening
 * server; the timeouts are shortened through the settings.
 */

const headOf = (method: string, path: string, secret: string, type: string, length: number) =>
  `${method} ${path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${secret}\r\nContent-Type: ${type}\r\nContent-Length: ${length}\r\n\r\n`;

async function writeKey(api: TestApp, name: string) {
  return (await api.post('/v1/keys', { name, scopes: ['write'] })).json().secret as string;
}

async function latencies(api: TestApp, base: string, claimId: string, rounds: number) {
  const times: number[] = [];
  const statuses: number[] = [];
  for (let i = 0; i < rounds; i++) {
    for (const [method, path, body] of [
      ['GET', `/v1/claims/${claimId}`, undefined],
      ['POST', '/v1/claims', JSON.stringify({ text: `Slow clients do not starve claim ${i}.` })],
    ] as const) {
      const started = performance.now();
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body,
        signal: AbortSignal.timeout(20_000),
      });
      await res.arrayBuffer();
      times.push(performance.now() - started);
      statuses.push(res.status);
    }
  }
  times.sort((a, b) => a - b);
  return { statuses, p50: times[Math.floor(times.length * 0.5)], max: times[times.length - 1] };
}

/**
 * Pooled connections in use, given up to a second to come back: the listening app's background
 * work (encoding the claims the test posts, every second) may hold one for a moment, while a
 * connection held by a stalled upload stays held for its whole stall.
 */
async function connectionsHeld(pool: { totalCount: number; idleCount: number } | undefined): Promise<number> {
  let held = 0;
  for (let i = 0; i < 10; i++) {
    held = pool ? pool.totalCount - pool.idleCount : 0;
    if (held === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return held;
}

const STALLED = 25;
const IDLE_MS = 4_000;

t.test(`${STALLED} bulk uploads stalled mid-body hold no database connection: other requests keep their latency, and each stalled upload gets 408`, async (t) => {
  const api = await buildTestApp(t, {
    CLAIMLEDGER_BULK_IMPORTS: '40',
    CLAIMLEDGER_BULK_IMPORTS_PER_KEY: '40',
    CLAIMLEDGER_BODY_IDLE_TIMEOUT_MS: String(IDLE_MS),
    CLAIMLEDGER_BULK_BODY_TIMEOUT_MS: '30000',
  });
  await api.reset();
  const claim = await makeClaim(api);
  const base = await api.app.listen({ host: '127.0.0.1', port: 0 });
  const port = Number(new URL(base).port);
  const secret = await writeKey(api, 'stalling importer');
  await latencies(api, base, claim.id, 3); // warm up
  const before = await latencies(api, base, claim.id, 10);
  t.comment(`without stalled uploads: p50 ${before.p50.toFixed(1)} ms, max ${before.max.toFixed(1)} ms`);

  const firstLine = `${JSON.stringify({ type: 'claim', data: { text: 'A line that arrives; the rest never does.' } })}\n`;
  const stalled = Array.from({ length: STALLED }, () => rawRequest(port, headOf('POST', '/v1/bulk', secret, 'application/x-ndjson', 1_000_000), firstLine));
  await new Promise((resolve) => setTimeout(resolve, 300));
  const pool = api.database.pool;
  t.equal(await connectionsHeld(pool), 0, 'no pooled connection is held by the stalled uploads');
  const during = await latencies(api, base, claim.id, 10);
  t.comment(`with ${STALLED} stalled uploads: p50 ${during.p50.toFixed(1)} ms, max ${during.max.toFixed(1)} ms`);
  t.ok(during.statuses.every((s) => s === 200 || s === 201), 'every other request succeeds');
  // A request starved by the stalled uploads would wait for a connection until they time out
  // (IDLE_MS) or its own wait for one does: seconds. Of twenty samples the slowest is set by any
  // hiccup of a loaded test machine (347 ms against a 61 ms baseline seen), so the slowest is
  // compared with that wait, and the typical request with its baseline (below).
  t.ok(during.max < IDLE_MS / 2, `no request waited for the stalled uploads (slowest ${during.max.toFixed(1)} ms)`);

  const answers = await Promise.all(stalled);
  t.same(new Set(answers.map((a) => a.status)), new Set([408]), 'each stalled upload is answered 408');
  const problem = problemOf(answers[0]);
  t.equal(answers[0].headers['content-type'], 'application/problem+json; charset=utf-8');
  t.equal(problem.code, 'request_timeout');
  t.equal(answers[0].headers.connection, 'close');
  const slowest = Math.max(...answers.map((a) => a.closedAfter));
  t.ok(slowest < IDLE_MS + 3_000, `and disconnected after the idle timeout (${slowest.toFixed(0)} ms)`);

  t.equal(await connectionsHeld(pool), 0, 'and none is held once they are answered');

  // The baseline is measured again once the stalled uploads are gone: test files run side by
  // side, and one that starts mid-test slows every request alike (in CI, p50 165 ms during the
  // stall against 41 ms before it; alone, this test gives about the same p50 with and without
  // stalled uploads). The typical request must stay near the slower of the two baselines,
  // which bracket the stall. Uploads that held connections fail the checks above instead: the
  // pooled-connection ones on a PostgreSQL server (PGlite has no pool), the slowest request's
  // on either.
  const after = await latencies(api, base, claim.id, 10);
  t.comment(`after the stalled uploads: p50 ${after.p50.toFixed(1)} ms, max ${after.max.toFixed(1)} ms`);
  const baseline = Math.max(before.p50, after.p50);
  t.ok(during.p50 < Math.max(baseline * 3, 100), `p50 ${during.p50.toFixed(1)} ms stays near ${baseline.toFixed(1)} ms`);
  t.equal((await api.get('/v1/claims?limit=100')).json().data.length, 1 + 33, 'nothing of the stalled uploads was written');
});

t.test('a JSON body trickled a byte at a time is answered 408 problem+json when its time is up, and the socket closed', async (t) => {
  const api = await buildTestApp(t, { CLAIMLEDGER_BODY_TIMEOUT_MS: '1500', CLAIMLEDGER_BODY_IDLE_TIMEOUT_MS: '1000' });
  await api.reset();
  const base = await api.app.listen({ host: '127.0.0.1', port: 0 });
  const port = Number(new URL(base).port);
  const body = JSON.stringify({ text: 'This claim arrives one byte at a time.' });
  const trickled = await rawRequest(port, headOf('POST', '/v1/claims', TEST_ADMIN_KEY, 'application/json', body.length), body[0], { byte: ' ', everyMs: 200 });
  t.equal(trickled.status, 408);
  t.equal(trickled.headers['content-type'], 'application/problem+json; charset=utf-8');
  t.equal(problemOf(trickled).code, 'request_timeout');
  t.ok(trickled.closedAfter >= 1_400 && trickled.closedAfter < 4_000, `closed after the body timeout (${trickled.closedAfter.toFixed(0)} ms)`);

  const silent = await rawRequest(port, headOf('POST', '/v1/claims', TEST_ADMIN_KEY, 'application/json', body.length));
  t.equal(silent.status, 408, 'a body that never starts is 408 too');
  t.ok(silent.closedAfter >= 900 && silent.closedAfter < 3_000, `after the idle timeout (${silent.closedAfter.toFixed(0)} ms)`);
  t.equal((await api.get('/v1/claims')).json().data.length, 0, 'nothing was written');
  t.equal((await api.post('/v1/claims', { text: 'A prompt client is served.' })).statusCode, 201);
});

t.test('bulk imports beyond a key’s share are 429 and beyond the process’s 503, both with Retry-After, before any body is read', async (t) => {
  const api = await buildTestApp(t, { CLAIMLEDGER_BULK_IMPORTS: '3', CLAIMLEDGER_BULK_IMPORTS_PER_KEY: '2', CLAIMLEDGER_BODY_IDLE_TIMEOUT_MS: '3000' });
  await api.reset();
  const base = await api.app.listen({ host: '127.0.0.1', port: 0 });
  const port = Number(new URL(base).port);
  const [a, b, c] = [await writeKey(api, 'a'), await writeKey(api, 'b'), await writeKey(api, 'c')];
  const stall = (secret: string) => rawRequest(port, headOf('POST', '/v1/bulk', secret, 'application/x-ndjson', 1000));
  const holding = [stall(a), stall(a), stall(b)];
  await new Promise((resolve) => setTimeout(resolve, 300));
  const [thirdOfA, firstOfC] = await Promise.all([stall(a), stall(c)]);
  t.equal(thirdOfA.status, 429, 'a key over its share');
  t.equal(problemOf(thirdOfA).code, 'rate_limited');
  t.ok(Number(thirdOfA.headers['retry-after']) > 0, 'with Retry-After');
  t.ok(thirdOfA.closedAfter < 2_000, 'at once');
  t.equal(firstOfC.status, 503, 'the process at its total');
  t.equal(problemOf(firstOfC).code, 'busy');
  t.ok(Number(firstOfC.headers['retry-after']) > 0, 'with Retry-After');
  t.same((await Promise.all(holding)).map((h) => h.status), [408, 408, 408], 'the stalled ones time out');
  const after = await fetch(`${base}/v1/bulk`, {
    method: 'POST',
    headers: { authorization: `Bearer ${c}`, 'content-type': 'application/x-ndjson' },
    body: `${JSON.stringify({ type: 'claim', data: { text: 'Slots come back.' } })}\n`,
  });
  t.equal(after.status, 200, 'and once they are gone, imports are taken again');
});
