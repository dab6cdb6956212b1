import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import t from 'tap';
import { buildTestApp } from './helper.js';

/** The API docs page as an operator deploys it (plain HTTP behind compose), and compressed answers. */
const api = await buildTestApp(t);
const anonymous = { authorization: null as never };

t.test('the docs page works over plain HTTP: its policy never upgrades asset requests to https', async (t) => {
  const docs = await api.request({ method: 'GET', url: '/docs/', headers: anonymous });
  t.equal(docs.statusCode, 200);
  const policy = String(docs.headers['content-security-policy']);
  t.match(policy, /default-src 'self'/, 'still helmet’s policy otherwise');
  t.notMatch(policy, /upgrade-insecure-requests/);
});

t.test('Try-it-out forms start empty: no query parameter carries an example that Swagger UI would fill in', async (t) => {
  const doc = (await api.request({ method: 'GET', url: '/docs/json', headers: anonymous })).json();
  const prefilled: string[] = [];
  for (const [path, item] of Object.entries<Record<string, { parameters?: { in: string; name: string; example?: unknown; examples?: unknown }[] }>>(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      for (const p of op.parameters ?? []) if (p.in === 'query' && (p.example !== undefined || p.examples !== undefined)) prefilled.push(`${method} ${path} ${p.name}`);
    }
  }
  t.same(prefilled, []);
  const language = doc.paths['/v1/claims'].get.parameters.find((p: { name: string }) => p.name === 'language');
  t.match(language.description, /Example: `en`/, 'the example is kept in the description');
});

t.test('the OpenAPI document declares the ETag, Location, Link and Idempotent-Replayed headers it sends', async (t) => {
  const doc = (await api.request({ method: 'GET', url: '/docs/json', headers: anonymous })).json();
  const created = doc.paths['/v1/claims'].post.responses['201'].headers;
  t.ok(created.Location, 'Location on 201');
  t.ok(created.ETag, 'ETag on a created resource');
  t.ok(created['Idempotent-Replayed'], 'Idempotent-Replayed on POST answers');
  t.ok(doc.paths['/v1/claims/{id}'].get.responses['200'].headers.ETag, 'ETag on a single resource');
  t.ok(doc.paths['/v1/claims'].get.responses['200'].headers.Link, 'Link on a list');
  t.notOk(doc.paths['/v1/claims'].get.responses['200'].headers.ETag, 'no ETag on a list, which has none');
  t.ok(doc.paths['/v1/claims'].get.responses['200'].headers['X-Request-Id']);

  // What the document says is what the server sends.
  const post = await api.post('/v1/claims', { text: 'The harbour tunnel will cost 2.4 billion euros.' });
  t.equal(post.statusCode, 201);
  t.match(post.headers.location, /^\/v1\/claims\//);
  t.match(post.headers.etag, /^"v1"$/);
  const list = await api.get('/v1/claims?limit=1');
  await api.post('/v1/claims', { text: 'A second claim so that there is a next page.' });
  const page = await api.get('/v1/claims?limit=1');
  t.equal(list.statusCode, 200);
  t.match(page.headers.link, /rel="next"/);
});

t.test('answers are compressed when the client asks, and only then', async (t) => {
  const plain = await api.request({ method: 'GET', url: '/docs/json', headers: anonymous });
  t.notOk(plain.headers['content-encoding'], 'no Accept-Encoding: identity');
  const gzip = await api.request({ method: 'GET', url: '/docs/json', headers: { ...anonymous, 'accept-encoding': 'gzip' } });
  t.equal(gzip.headers['content-encoding'], 'gzip');
  t.same(JSON.parse(gunzipSync(gzip.rawPayload).toString()), plain.json());
  t.ok(gzip.rawPayload.length * 5 < plain.rawPayload.length, `gzip ${gzip.rawPayload.length} B vs ${plain.rawPayload.length} B`);
  const br = await api.request({ method: 'GET', url: '/docs/json', headers: { ...anonymous, 'accept-encoding': 'br' } });
  t.equal(br.headers['content-encoding'], 'br');
  t.same(JSON.parse(brotliDecompressSync(br.rawPayload).toString()), plain.json());
  // Data answers too (a list of claims over 1 KiB).
  for (let i = 0; i < 20; i++) await api.post('/v1/claims', { text: `Claim number ${i} about the harbour tunnel and its cost overruns.` });
  const list = await api.request({ method: 'GET', url: '/v1/claims?limit=20', headers: { 'accept-encoding': 'gzip' } });
  t.equal(list.statusCode, 200);
  t.equal(list.headers['content-encoding'], 'gzip');
  t.equal(JSON.parse(gunzipSync(list.rawPayload).toString()).data.length, 20);
});
