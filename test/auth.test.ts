import { sql } from 'drizzle-orm';
import { rowsOf } from '../src/db/client.js';
import t from 'tap';
import { TEST_ADMIN_KEY, buildTestApp, type TestApp } from './helper.js';
import { eventsOf, makeClaim } from './factories.js';

const api = await buildTestApp(t);

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Paths that need no key, by contract: docs, the document itself, health. */
const PUBLIC = new Set(['/healthz', '/readyz']);

async function makeKey(app: TestApp, scopes: string[], extra: Json = {}): Promise<Json> {
  const res = await app.post('/v1/keys', { name: `key ${scopes.join('+')}`, scopes, ...extra });
  if (res.statusCode !== 201) throw new Error(res.body);
  return res.json();
}

/** Every operation of the served document, with a concrete URL. */
async function operations(app: TestApp) {
  const doc = (await app.request({ method: 'GET', url: '/openapi.json', headers: { authorization: null as never } })).json();
  const ops: { method: string; url: string; path: string; security: unknown[] | undefined; scope: string | undefined }[] = [];
  for (const [path, item] of Object.entries<Json>(doc.paths)) {
    for (const [method, op] of Object.entries<Json>(item)) {
      ops.push({
        method: method.toUpperCase(),
        path,
        url: path.replace(/\{[^}]+\}/g, '0190f3a4-1b2c-7d3e-8f40-123456789abc'),
        security: op.security,
        scope: op['x-required-scope'],
      });
    }
  }
  return { doc, ops };
}

t.test('every operation in the OpenAPI document states its security, and only health is public', async (t) => {
  await api.reset();
  const { doc, ops } = await operations(api);
  t.same(doc.components.securitySchemes.bearerAuth, { ...doc.components.securitySchemes.bearerAuth, type: 'http', scheme: 'bearer' });
  t.ok(ops.length >= 20, `${ops.length} operations`);
  for (const op of ops) {
    if (PUBLIC.has(op.path)) {
      t.same(op.security, [], `${op.method} ${op.path} is public`);
    } else {
      t.same(op.security, [{ bearerAuth: [] }], `${op.method} ${op.path} needs a key`);
      t.ok(['read', 'write', 'admin'].includes(op.scope as string), `${op.method} ${op.path} names its scope`);
    }
  }
});

t.test('without a key every non-public route is 401 with WWW-Authenticate, and public ones answer', async (t) => {
  await api.reset();
  const { ops } = await operations(api);
  for (const op of ops) {
    const res = await api.request({ method: op.method as never, url: op.url, headers: { authorization: null as never }, payload: op.method === 'GET' || op.method === 'DELETE' ? undefined : {} });
    if (PUBLIC.has(op.path)) {
      t.equal(res.statusCode, 200, `${op.method} ${op.path} without a key`);
      continue;
    }
    t.equal(res.statusCode, 401, `${op.method} ${op.path} without a key`);
    t.equal(res.headers['www-authenticate'], 'Bearer realm="claimledger"');
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
    t.equal(res.json().code, 'unauthorized');
  }
  for (const url of ['/docs/', '/openapi.json']) {
    t.equal((await api.request({ method: 'GET', url, headers: { authorization: null as never } })).statusCode, 200, `${url} is public`);
  }
});

t.test('each scope opens exactly its routes: read → GETs, write → changes, admin → keys and metrics', async (t) => {
  await api.reset();
  const read = await makeKey(api, ['read']);
  const write = await makeKey(api, ['write']);
  const { ops } = await operations(api);
  for (const op of ops.filter((o) => !PUBLIC.has(o.path))) {
    for (const [name, key] of [['read', read], ['write', write]] as const) {
      const res = await api.request({
        method: op.method as never,
        url: op.url,
        headers: { authorization: `Bearer ${key.secret}` },
        payload: op.method === 'GET' || op.method === 'DELETE' ? undefined : {},
      });
      const allowed = op.scope === 'read' || (op.scope === 'write' && name === 'write');
      if (allowed) t.not(res.statusCode, 403, `${name} key may ${op.method} ${op.path}`);
      else t.equal(res.statusCode, 403, `${name} key may not ${op.method} ${op.path}`);
      t.not(res.statusCode, 401, `${name} key is known for ${op.method} ${op.path}`);
      if (res.statusCode === 403) t.equal(res.json().code, 'forbidden');
    }
  }
});

t.test('unknown, malformed, revoked and expired keys are 401 with error="invalid_token"', async (t) => {
  await api.reset();
  const revoked = await makeKey(api, ['read']);
  t.equal((await api.del(`/v1/keys/${revoked.id}`)).statusCode, 204);
  // A key cannot be created already expired: let one expire by moving its date back.
  const expired = await makeKey(api, ['read'], { expires_at: new Date(Date.now() + 3_600_000).toISOString() });
  await api.database.db.execute(sql`update api_keys set expires_at = now() - interval '1 second' where id = ${expired.id}::uuid`);
  const cases: [string, string][] = [
    ['unknown', `Bearer clk_${'A'.repeat(43)}`],
    ['not bearer', `Basic ${Buffer.from('a:b').toString('base64')}`],
    ['revoked', `Bearer ${revoked.secret}`],
    ['expired', `Bearer ${expired.secret}`],
  ];
  for (const [why, authorization] of cases) {
    const res = await api.request({ method: 'GET', url: '/v1/claims', headers: { authorization } });
    t.equal(res.statusCode, 401, why);
    t.equal(res.headers['www-authenticate'], 'Bearer realm="claimledger", error="invalid_token"', why);
    t.equal(res.json().code, 'unauthorized', why);
  }
  // The key may not travel in the URL.
  const inQuery = await api.request({ method: 'GET', url: `/v1/claims?access_token=${revoked.secret}`, headers: { authorization: null as never } });
  t.equal(inQuery.statusCode, 401);
});

t.test('a key is shown once, stored only as a hash, and lists show prefix and last four', async (t) => {
  await api.reset();
  const created = await api.post('/v1/keys', { name: 'desk tool', scopes: ['read', 'write'] });
  t.equal(created.statusCode, 201);
  t.equal(created.headers['cache-control'], 'no-store');
  const key = created.json();
  t.match(key.secret, /^clk_[A-Za-z0-9_-]{43}$/, '256 bits of randomness after the prefix');
  t.equal(key.prefix, key.secret.slice(0, 10));
  t.equal(key.last4, key.secret.slice(-4));
  const listed = (await api.get('/v1/keys')).json().data.find((k: Json) => k.id === key.id);
  t.notOk('secret' in listed, 'lists never show the secret');
  t.notOk('secret_hash' in listed);
  const rows = await api.database.db.execute(sql`select * from api_keys where id = ${key.id}::uuid`);
  const row = rowsOf<Json>(rows)[0];
  t.notOk(JSON.stringify(row).includes(key.secret), 'the secret is not stored');
  t.equal(row.secret_hash.length, 64);
  const write = await api.request({ method: 'POST', url: '/v1/claims', headers: { authorization: `Bearer ${key.secret}` }, payload: { text: 'Keyed claim' } });
  t.equal(write.statusCode, 201);
  const [event] = await eventsOf(api, write.json().id);
  t.equal(event.key_id, key.id, 'the change log records which key made the change');
});

t.test('last_used_at is recorded without a write per request', async (t) => {
  await api.reset();
  const key = await makeKey(api, ['read']);
  for (let i = 0; i < 3; i++) await api.request({ method: 'GET', url: '/v1/claims', headers: { authorization: `Bearer ${key.secret}` } });
  let listed = (await api.get('/v1/keys')).json().data.find((k: Json) => k.id === key.id);
  t.equal(listed.last_used_at, null, 'not written on the request path');
  await api.app.flushKeyUse();
  listed = (await api.get('/v1/keys')).json().data.find((k: Json) => k.id === key.id);
  t.ok(Date.now() - Date.parse(listed.last_used_at) < 60_000);
});

t.test('revoking takes effect at once, and revoked keys are listed only on request', async (t) => {
  await api.reset();
  const key = await makeKey(api, ['read']);
  const auth = { authorization: `Bearer ${key.secret}` };
  t.equal((await api.request({ method: 'GET', url: '/v1/claims', headers: auth })).statusCode, 200);
  t.equal((await api.del(`/v1/keys/${key.id}`)).statusCode, 204);
  t.equal((await api.request({ method: 'GET', url: '/v1/claims', headers: auth })).statusCode, 401);
  t.notOk((await api.get('/v1/keys')).json().data.some((k: Json) => k.id === key.id));
  t.ok((await api.get('/v1/keys?include_revoked=true')).json().data.some((k: Json) => k.id === key.id && k.revoked_at));
  t.equal((await api.del(`/v1/keys/0190f3a4-1b2c-7d3e-8f40-123456789abc`)).statusCode, 404);
  await makeClaim(api);
});

t.test('the admin key from CLAIMLEDGER_ADMIN_KEY works', async (t) => {
  await api.reset();
  const res = await api.request({ method: 'GET', url: '/v1/keys', headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` } });
  t.equal(res.statusCode, 200);
});
