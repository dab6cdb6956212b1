import t from 'tap';
import { API_SECURITY_HEADERS } from '../src/plugins/security.js';
import { requestEncoder } from '../src/domain/sentence-vectors.js';
import { buildTestApp } from './helper.js';

const api = await buildTestApp(t, { CLAIMLEDGER_CORS_ORIGINS: 'https://desk.example, https://dash.example' });

// First in the file, before anything has loaded the matching model in this process.
t.test('a server that starts listening is not ready until its matching model is loaded, then is', async (t) => {
  const listening = await buildTestApp(t);
  await listening.app.listen({ host: '127.0.0.1', port: 0 });
  const first = await listening.app.inject({ method: 'GET', url: '/readyz' });
  t.equal(first.statusCode, 503, 'not ready right after the start');
  t.match(first.json(), { code: 'unavailable', detail: /matching model is still loading/ });
  let ready = first;
  for (let i = 0; i < 600 && ready.statusCode !== 200; i++) {
    await new Promise((r) => setTimeout(r, 100));
    ready = await listening.app.inject({ method: 'GET', url: '/readyz' });
  }
  t.equal(ready.statusCode, 200, 'ready once the model is loaded');
});

t.test('a server that loads the matching model only when a match asks for it stays ready while it loads', async (t) => {
  const onDemand = await buildTestApp(t, { CLAIMLEDGER_MATCH_BACKGROUND: 'off' });
  await onDemand.app.listen({ host: '127.0.0.1', port: 0 });
  // An app that never listens (built for a test, or a CLI) does not wait for it either.
  const notListening = await buildTestApp(t);
  await requestEncoder().close(); // the next use loads the model again, as a first match would
  requestEncoder().start();
  for (const [name, app] of [['listening, models on demand', onDemand.app], ['never listening', notListening.app]] as const) {
    t.ok(requestEncoder().loading, `${name}: the model is loading`);
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    t.ok(requestEncoder().loading, `${name}: and still was when /readyz answered`);
    t.equal(ready.statusCode, 200, `${name}: ready, only the match that asked waits`);
  }
});

t.test('health and readiness answer without a key', async (t) => {
  const health = await api.request({ method: 'GET', url: '/healthz', headers: { authorization: null as never } });
  t.same(health.json(), { status: 'ok' });
  const ready = await api.request({ method: 'GET', url: '/readyz', headers: { authorization: null as never } });
  t.equal(ready.statusCode, 200, 'database reachable and all migrations applied');
});

t.test('every answer carries security headers and its request id, which problem+json repeats', async (t) => {
  await api.reset();
  const res = await api.get('/v1/claims/0190f3a4-1b2c-7d3e-8f40-123456789abc');
  t.equal(res.statusCode, 404);
  // Data answers: the OWASP REST set, nothing may run or frame them.
  for (const [name, value] of Object.entries(API_SECURITY_HEADERS)) t.equal(res.headers[name], value, name);
  t.equal(res.headers['x-request-id'], res.json().request_id);
  const given = await api.request({ method: 'GET', url: '/v1/claims', headers: { 'x-request-id': 'desk-42' } });
  t.equal(given.headers['x-request-id'], 'desk-42', 'a caller’s request id is kept');
  t.equal(given.headers['content-security-policy'], API_SECURITY_HEADERS['content-security-policy']);

  // A malformed URL is answered before any route runs, with the same headers.
  const malformed = await api.get('/v1/claims/%E0%A4%A');
  t.equal(malformed.statusCode, 400);
  t.equal(malformed.headers['x-content-type-options'], 'nosniff');
  t.equal(malformed.headers['x-request-id'], malformed.json().request_id);

  // The HTML pages get helmet's full set, whose policy lets /docs load its own scripts.
  const docs = await api.request({ method: 'GET', url: '/docs/', headers: { authorization: null as never } });
  t.equal(docs.statusCode, 200);
  t.match(docs.headers['content-security-policy'], /default-src 'self'/);
  t.equal(docs.headers['x-frame-options'], 'SAMEORIGIN');
  t.ok(docs.headers['x-request-id']);
});

t.test('CORS answers only the configured origins', async (t) => {
  const preflight = (origin: string) =>
    api.request({
      method: 'OPTIONS',
      url: '/v1/claims',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
  const allowed = await preflight('https://desk.example');
  t.equal(allowed.headers['access-control-allow-origin'], 'https://desk.example');
  t.match(allowed.headers['access-control-allow-headers'], /authorization/);
  const other = await preflight('https://evil.example');
  t.notOk(other.headers['access-control-allow-origin']);
});

t.test('/metrics needs an admin key and reports requests by route and status, the pool and event-loop lag', async (t) => {
  await api.reset();
  await api.get('/v1/claims');
  await api.get('/v1/claims/not-a-uuid');
  const anonymous = await api.request({ method: 'GET', url: '/metrics', headers: { authorization: null as never } });
  t.equal(anonymous.statusCode, 401);
  const res = await api.get('/metrics');
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^text\/plain/);
  t.match(res.body, /http_requests_total\{method="GET",route="\/v1\/claims",status="200"\} \d+/);
  t.match(res.body, /http_requests_total\{method="GET",route="\/v1\/claims\/:id",status="400"\} 1/);
  t.match(res.body, /http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/v1\/claims",status="200"\}/);
  t.match(res.body, /nodejs_eventloop_lag_seconds/);
  t.match(res.body, /# HELP db_pool_connections/);
});
