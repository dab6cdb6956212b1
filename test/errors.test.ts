import t from 'tap';
import { rowsOf } from '../src/db/client.js';
import { sql } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { buildTestApp } from './helper.js';
import { makeAttribution, makeClaim, makeClaimant, makeSource, type Json } from './factories.js';
import { mulberry32 } from './support/random.js';

/*
 * Bad input is answered with RFC 9457 problem+json, never with a 5xx, never
 * leaks internals, and writes nothing.
 */

/** The type of the `t` a subtest callback receives. */
type TapTest = Parameters<Parameters<typeof t.test>[0]>[0];

// Hundreds of requests in a few seconds: lift the per-key rate limit for this file.
const api = await buildTestApp(t, { CLAIMLEDGER_RATE_LIMIT: '1000000' });

const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';
const MISSING_ID = '0190c1b2-0000-7000-8000-000000000000';
const TABLES = ['sources', 'claimants', 'claims', 'attributions', 'reviews', 'review_evidence', 'events', 'idempotency_keys'] as const;

/** Words and shapes that betray SQL, the driver, the ORM or a stack trace. */
const LEAKS: [string, RegExp][] = [
  ['SQL', /\bSELECT\b|\bINSERT INTO\b|\bUPDATE\s+"|\bWHERE\b|\bRETURNING\b/],
  ['the database', /postgres|pglite|sqlstate|relation "|violates|duplicate key/i],
  ['the ORM', /drizzle/i],
  ['a stack frame', /\bat [^\s]+ \(|\bat (file:|node:|\/)|\.ts:\d+:\d+|\.js:\d+:\d+/],
  ['a JS error name', /TypeError|RangeError|ReferenceError|SyntaxError/],
];

function leaksIn(body: string): string[] {
  return LEAKS.filter(([, re]) => re.test(body)).map(([what]) => what);
}

/** Asserts the response is a well-formed problem+json with this status (and code), and leaks nothing. */
function isProblem(t: TapTest, res: LightMyRequestResponse, status: number, code?: string): Json {
  t.equal(res.statusCode, status, `status ${status} (body: ${res.body.slice(0, 300)})`);
  t.equal(res.headers['content-type'], PROBLEM_TYPE, 'problem+json media type');
  let body: Json = {};
  try {
    body = res.json();
  } catch {
    t.fail(`the body is not JSON: ${res.body.slice(0, 200)}`);
  }
  t.match(
    body,
    { type: String, title: String, status: Number, detail: String, code: String, request_id: String },
    'has type, title, status, detail, code and request_id',
  );
  t.equal(body.status, res.statusCode, 'body.status equals the HTTP status');
  if (typeof body.code === 'string') t.equal(body.type, `urn:claimledger:problem:${body.code}`, 'type names the code');
  if (code) t.equal(body.code, code, `code ${code}`);
  t.same(leaksIn(res.body), [], 'leaks no SQL, driver, ORM or stack trace');
  return body;
}

type Counts = Record<(typeof TABLES)[number], number>;

async function rowCounts(): Promise<Counts> {
  const out = {} as Counts;
  for (const table of TABLES) {
    const res = await api.database.db.execute(sql.raw(`select count(*)::int as n from ${table}`));
    const rows = rowsOf<Json>(res);
    out[table] = Number(rows[0].n);
  }
  return out;
}

/** Runs `fn`, then asserts no table gained or lost a row. */
async function changesNothing(t: TapTest, fn: () => Promise<void>) {
  const before = await rowCounts();
  await fn();
  t.same(await rowCounts(), before, 'no row was written or deleted');
}

const rawJson = (method: 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload: string, contentType = 'application/json') =>
  api.request({ method, url, headers: { 'content-type': contentType }, payload });

t.test('malformed JSON is 400 malformed_json and writes nothing', async (t) => {
  await api.reset();
  const claim = await makeClaim(api);
  const bodies = ['{"text":', '{text: "x"}', "{'text':'x'}", '{"text":"x",}', 'undefined', 'NaN', '{"text":"x"}}', '\u0000', '{"text":"\\x41"}'];
  await changesNothing(t, async () => {
    for (const body of bodies) {
      isProblem(t, await rawJson('POST', '/v1/claims', body), 400, 'malformed_json');
      isProblem(t, await rawJson('POST', '/v1/sources', body), 400, 'malformed_json');
      isProblem(t, await rawJson('PATCH', `/v1/claims/${claim.id}`, body), 400, 'malformed_json');
    }
  });
  t.equal((await api.get(`/v1/claims/${claim.id}`)).json().version, 1, 'the claim was not changed');
});

t.test('an empty body with a JSON content type is 400 malformed_json', async (t) => {
  await api.reset();
  const claim = await makeClaim(api);
  await changesNothing(t, async () => {
    isProblem(t, await rawJson('POST', '/v1/claims', ''), 400, 'malformed_json');
    isProblem(t, await rawJson('POST', '/v1/attributions', ''), 400, 'malformed_json');
    isProblem(t, await rawJson('PATCH', `/v1/claims/${claim.id}`, ''), 400, 'malformed_json');
  });
});

t.test('a POST with no body at all is 400, not a crash', async (t) => {
  await api.reset();
  await changesNothing(t, async () => {
    const body = isProblem(t, await api.request({ method: 'POST', url: '/v1/claims' }), 400);
    t.equal(body.code, 'validation_failed');
  });
});

t.test('bodies in media types other than JSON are 415 unsupported_media_type', async (t) => {
  await api.reset();
  const types = [
    'application/xml',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'text/csv',
    'text/json',
    'application/merge-patch+json',
  ];
  await changesNothing(t, async () => {
    for (const type of types) {
      isProblem(t, await rawJson('POST', '/v1/claims', '{"text":"a claim"}', type), 415, 'unsupported_media_type');
      isProblem(t, await rawJson('POST', '/v1/sources', '<source/>', type), 415, 'unsupported_media_type');
    }
  });
});

t.test('a text/plain body is 415 unsupported_media_type like every other non-JSON type', async (t) => {
  // Fastify parses text/plain by default; the documented answer for a body that is not JSON is 415.
  await api.reset();
  await changesNothing(t, async () => {
    isProblem(t, await rawJson('POST', '/v1/claims', '{"text":"a claim"}', 'text/plain'), 415, 'unsupported_media_type');
    isProblem(t, await rawJson('POST', '/v1/claims', 'a claim', 'text/plain; charset=utf-8'), 415, 'unsupported_media_type');
  });
});

t.test('a value of the wrong type is 400 validation_failed naming the field, never coerced', async (t) => {
  await api.reset();
  await changesNothing(t, async () => {
    const body = isProblem(t, await api.post('/v1/claims', { text: 12345 }), 400, 'validation_failed');
    t.match(body.errors, [{ path: 'body.text', message: String }]);

    const wrong: [string, Json, string][] = [
      ['/v1/claims', { text: true }, 'body.text'],
      ['/v1/claims', { text: ['a claim'] }, 'body.text'],
      ['/v1/claims', { text: { value: 'a claim' } }, 'body.text'],
      ['/v1/claims', { text: null }, 'body.text'],
      ['/v1/claims', { text: 'a claim', topics: 'economy' }, 'body.topics'],
      ['/v1/claims', { text: 'a claim', topics: [1, 2] }, 'body.topics[0]'],
      ['/v1/claims', { text: 'a claim', language: 12 }, 'body.language'],
      ['/v1/claims', { text: 'a claim', status: true }, 'body.status'],
      ['/v1/sources', { kind: 'article', title: 123 }, 'body.title'],
      ['/v1/sources', { kind: 'article', title: 'T', authors: 'Jane Doe' }, 'body.authors'],
      ['/v1/sources', { kind: 'article', title: 'T', metadata: '{}' }, 'body.metadata'],
      ['/v1/sources', { kind: 'article', title: 'T', metadata: [] }, 'body.metadata'],
      ['/v1/sources', { kind: 'article', title: 'T', published_at: 1767225600000 }, 'body.published_at'],
      ['/v1/sources', { kind: 1, title: 'T' }, 'body.kind'],
      ['/v1/claimants', { name: 'Ana', aliases: 'Mayor' }, 'body.aliases'],
      ['/v1/claimants', { name: false }, 'body.name'],
    ];
    for (const [url, payload, path] of wrong) {
      const res = await api.post(url, payload);
      const problem = isProblem(t, res, 400, 'validation_failed');
      t.ok(
        (problem.errors ?? []).some((e: Json) => e.path === path),
        `${url} ${JSON.stringify(payload)} names ${path}: ${JSON.stringify(problem.errors)}`,
      );
    }
  });
});

t.test('strings that look like other types are kept as strings, not coerced', async (t) => {
  await api.reset();
  for (const text of ['true', '1', '0', 'null', '1e3', '[]']) {
    const res = await api.post('/v1/claims', { text, topics: ['1', 'true'] });
    t.equal(res.statusCode, 201, `text ${JSON.stringify(text)}`);
    t.equal(res.json().text, text, 'stored as the same string');
    t.same(res.json().topics, ['1', 'true']);
    t.equal(typeof res.json().text, 'string');
  }
});

t.test('unknown body fields are 400 with the field path, and are not assigned', async (t) => {
  await api.reset();
  const claim = await makeClaim(api);
  const source = await makeSource(api);
  await changesNothing(t, async () => {
    for (const field of ['version', 'id', 'attribution_count', 'review_count', 'verdict', 'first_seen_at', 'created_at', 'updated_at', 'is_admin']) {
      const value = field === 'id' ? MISSING_ID : field.endsWith('_at') ? '2020-01-01T00:00:00Z' : field === 'verdict' ? 'true' : 99;
      const created = await api.post('/v1/claims', { text: 'a claim', [field]: value });
      const problem = isProblem(t, created, 400, 'validation_failed');
      t.match(problem.errors, [{ path: `body.${field}` }], `POST body.${field}`);
      const patched = isProblem(t, await api.patch(`/v1/claims/${claim.id}`, { [field]: value }), 400, 'validation_failed');
      t.match(patched.errors, [{ path: `body.${field}` }], `PATCH body.${field}`);
    }
    for (const field of ['content_sha256', 'text_length', 'version']) {
      const problem = isProblem(t, await api.patch(`/v1/sources/${source.id}`, { [field]: 'x' }), 400, 'validation_failed');
      t.match(problem.errors, [{ path: `body.${field}` }]);
    }
    const nested = await api.post('/v1/claims', { text: 'a claim', attributions: [{ source_id: source.id, claimant_label: 'x', anchored: true }] });
    t.match(isProblem(t, nested, 400, 'validation_failed').errors, [{ path: 'body.attributions[0].anchored' }]);
  });
  const after = (await api.get(`/v1/claims/${claim.id}`)).json();
  t.equal(after.version, 1, 'the claim version was not assigned');
  t.equal(after.attribution_count, 0);
});

t.test('unknown query parameters are 400 naming the parameter, and a DELETE with one deletes nothing', async (t) => {
  await api.reset();
  const claim = await makeClaim(api);
  await changesNothing(t, async () => {
    for (const url of [
      '/v1/claims?foo=1',
      '/v1/sources?title=x',
      '/v1/claimants?q2=ana',
      '/v1/attributions?quote=x',
      `/v1/claims/${claim.id}?foo=1`,
      `/v1/sources/${MISSING_ID}?expand=all`,
      '/healthz?x=1',
    ]) {
      const problem = isProblem(t, await api.get(url), 400, 'validation_failed');
      t.ok((problem.errors ?? []).some((e: Json) => /^query\./.test(e.path)), `${url} names the query parameter`);
    }
    isProblem(t, await api.del(`/v1/claims/${claim.id}?force=true`), 400, 'validation_failed');
    isProblem(t, await api.request({ method: 'PATCH', url: `/v1/claims/${claim.id}?dry_run=1`, payload: { text: 'changed' } }), 400, 'validation_failed');
  });
  const after = await api.get(`/v1/claims/${claim.id}`);
  t.equal(after.statusCode, 200, 'the claim still exists');
  t.equal(after.json().version, 1, 'and was not changed');
});

t.test('a malformed id in a path is 400, never 500, for every method and resource', async (t) => {
  await api.reset();
  await makeClaim(api);
  const bad = [
    '123',
    'zzz',
    `${MISSING_ID}abc`,
    `${MISSING_ID}%00`,
    `${MISSING_ID.slice(0, -1)}g`,
    `urn:uuid:${MISSING_ID}`,
    `{${MISSING_ID}}`,
    MISSING_ID.replace(/-/g, ''),
    '%20',
    'null',
    'undefined',
    "1'%20or%20'1'='1",
    '..%2F..%2Fetc%2Fpasswd',
  ];
  await changesNothing(t, async () => {
    for (const resource of ['claims', 'sources', 'claimants', 'attributions']) {
      for (const id of bad) {
        for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
          const res = await api.request({ method, url: `/v1/${resource}/${id}`, ...(method === 'PATCH' ? { payload: { text: 'x' } } : {}) });
          t.ok(res.statusCode < 500, `${method} /v1/${resource}/${id} → ${res.statusCode}`);
          isProblem(t, res, 400);
        }
      }
    }
  });
});

t.test('a well-formed id that matches nothing is 404 not_found', async (t) => {
  await api.reset();
  for (const id of [MISSING_ID, '00000000-0000-0000-0000-000000000000', MISSING_ID.toUpperCase()]) {
    isProblem(t, await api.get(`/v1/claims/${id}`), 404, 'not_found');
    isProblem(t, await api.del(`/v1/sources/${id}`), 404, 'not_found');
  }
});

t.test('an over-long id in a path is answered with problem+json, not Fastify’s default error', async (t) => {
  // find-my-way refuses path parameters over 100 characters before our error handler runs.
  await api.reset();
  const res = await api.get(`/v1/claims/${'a'.repeat(101)}`);
  t.ok(res.statusCode >= 400 && res.statusCode < 500, `4xx, got ${res.statusCode}`);
  isProblem(t, res, res.statusCode);
  t.notMatch(res.body, /FST_ERR/, 'no Fastify error code');
});

t.test('a path with broken percent-encoding is answered with problem+json', async (t) => {
  await api.reset();
  for (const url of ['/v1/claims/%E0%A4%A', '/v1/claims/%', '/v1/sources/%zz']) {
    const res = await api.get(url);
    t.ok(res.statusCode >= 400 && res.statusCode < 500, `${url}: 4xx, got ${res.statusCode}`);
    isProblem(t, res, res.statusCode);
    t.notMatch(res.body, /FST_ERR/, 'no Fastify error code');
  }
});

t.test('malformed ids in bodies and query strings are 400, never 500', async (t) => {
  await api.reset();
  const claim = await makeClaim(api);
  const source = await makeSource(api);
  await changesNothing(t, async () => {
    for (const id of ['123', 'zzz', `${MISSING_ID}x`, `urn:uuid:${MISSING_ID}`, '']) {
      isProblem(t, await api.post('/v1/attributions', { claim_id: id, source_id: source.id, claimant_label: 'x' }), 400);
      isProblem(t, await api.post('/v1/attributions', { claim_id: claim.id, source_id: id, claimant_label: 'x' }), 400);
      isProblem(t, await api.post('/v1/claims', { text: 'a claim', attributions: [{ source_id: id, claimant_label: 'x' }] }), 400);
      isProblem(t, await api.get(`/v1/claims?claimant_id=${encodeURIComponent(id)}`), 400);
      isProblem(t, await api.get(`/v1/attributions?source_id=${encodeURIComponent(id)}`), 400);
    }
  });
});

t.test('limit outside 1–200 or not an integer is 400 naming query.limit', async (t) => {
  await api.reset();
  for (const limit of ['0', '201', '-1', 'abc', '1.5', '', '9999999999999999999', '50abc']) {
    for (const list of ['claims', 'sources', 'claimants', 'attributions']) {
      const problem = isProblem(t, await api.get(`/v1/${list}?limit=${limit}`), 400, 'validation_failed');
      t.match(problem.errors, [{ path: 'query.limit' }], `/v1/${list}?limit=${limit}`);
    }
  }
  t.equal((await api.get('/v1/claims?limit=1')).statusCode, 200, 'limit=1 is fine');
  t.equal((await api.get('/v1/claims?limit=200')).statusCode, 200, 'limit=200 is fine');
});

t.test('an unknown sort is 400 naming query.sort', async (t) => {
  await api.reset();
  for (const sort of ['text', '--created_at', '+created_at', 'created_at,id', "created_at;drop table claims", 'CREATED_AT', '']) {
    const problem = isProblem(t, await api.get(`/v1/claims?sort=${encodeURIComponent(sort)}`), 400, 'validation_failed');
    t.match(problem.errors, [{ path: 'query.sort' }], `sort=${sort}`);
  }
  isProblem(t, await api.get('/v1/sources?sort=first_seen_at'), 400, 'validation_failed');
  t.equal((await api.get('/v1/claims')).statusCode, 200, 'the claims table is still there');
});

const b64 = (payload: unknown) => Buffer.from(JSON.stringify(payload)).toString('base64url');

t.test('a garbage cursor is 400 invalid_cursor', async (t) => {
  await api.reset();
  await makeClaim(api);
  const garbage = ['garbage', '!!!', '%%%', 'e30', b64(null), b64('text'), b64([1, 2]), b64({}), b64({ s: '-created_at', v: null }), 'a'.repeat(2048)];
  for (const cursor of garbage) {
    const problem = isProblem(t, await api.get(`/v1/claims?cursor=${encodeURIComponent(cursor)}`), 400, 'invalid_cursor');
    t.match(problem.errors, [{ path: 'query.cursor' }], `cursor ${cursor.slice(0, 40)}`);
  }
  isProblem(t, await api.get(`/v1/claims?cursor=${'a'.repeat(2049)}`), 400, 'validation_failed');
  isProblem(t, await api.get('/v1/claims?cursor='), 400, 'validation_failed');
});

t.test('a forged cursor with a well-formed shape but impossible values is 400 invalid_cursor', async (t) => {
  // decodeCursor checks only the shape; these reach PostgreSQL and come back as generic
  // `validation_failed` (or, for a date Date.parse accepts, silently as a page).
  await api.reset();
  await makeClaim(api);
  const forged: [string, unknown][] = [
    ['-created_at', { s: '-created_at', v: null, id: '-'.repeat(36) }],
    ['-created_at', { s: '-created_at', v: '2026-01-01T00:00:00Z', id: 'ffffffffffffffffffffffffffffffffffff' }],
    ['-created_at', { s: '-created_at', v: '1', id: MISSING_ID }],
    ['-created_at', { s: '-created_at', v: 'Tue, 01 Jan 2026', id: MISSING_ID }],
    ['-created_at', { s: '-created_at', v: '+275760-09-13T00:00:00.000Z', id: MISSING_ID }],
    ['attribution_count', { s: 'attribution_count', v: 1e300, id: MISSING_ID }],
    ['attribution_count', { s: 'attribution_count', v: 2 ** 40, id: MISSING_ID }],
  ];
  for (const [sort, payload] of forged) {
    const res = await api.get(`/v1/claims?sort=${sort}&cursor=${b64(payload)}`);
    t.ok(res.statusCode < 500, `${JSON.stringify(payload)} → ${res.statusCode}`);
    isProblem(t, res, 400, 'invalid_cursor');
  }
});

t.test('a cursor made for another sort is 400 invalid_cursor', async (t) => {
  await api.reset();
  for (let i = 0; i < 3; i++) await makeClaim(api);
  const page = (await api.get('/v1/claims?sort=created_at&limit=1')).json();
  t.type(page.next_cursor, 'string');
  for (const sort of ['-created_at', 'updated_at', 'first_seen_at', 'attribution_count']) {
    const problem = isProblem(t, await api.get(`/v1/claims?sort=${sort}&limit=1&cursor=${page.next_cursor}`), 400, 'invalid_cursor');
    t.match(problem.detail, /sort/, `detail explains the sort mismatch for ${sort}`);
  }
  isProblem(t, await api.get(`/v1/claims?limit=1&cursor=${page.next_cursor}`), 400, 'invalid_cursor');
  t.equal((await api.get(`/v1/claims?sort=created_at&limit=1&cursor=${page.next_cursor}`)).statusCode, 200, 'with its own sort it works');
});

t.test('an unknown route or method is 404 problem+json', async (t) => {
  await api.reset();
  for (const [method, url] of [
    ['GET', '/v1/nothing'],
    ['GET', '/nothing'],
    ['GET', '/v2/claims'],
    ['POST', `/v1/claims/${MISSING_ID}/bogus`],
    ['PUT', '/v1/claims'],
    ['DELETE', '/v1/claims'],
    ['GET', '/v1'],
  ] as const) {
    const res = await api.request({ method, url });
    t.ok([404, 405].includes(res.statusCode), `${method} ${url} → ${res.statusCode}`);
    isProblem(t, res, res.statusCode);
  }
  const body = isProblem(t, await api.get('/v1/nothing?x=1'), 404, 'not_found');
  t.notMatch(body.detail, /x=1/, 'the detail does not echo the query string');
});

t.test('a body over the size limit is 413 payload_too_large and writes nothing', async (t) => {
  await api.reset();
  const source = await makeSource(api);
  const huge = 'a'.repeat(5 * 1024 * 1024);
  await changesNothing(t, async () => {
    isProblem(t, await rawJson('POST', '/v1/sources', JSON.stringify({ kind: 'article', title: 'big', text: huge })), 413, 'payload_too_large');
    isProblem(t, await rawJson('PATCH', `/v1/sources/${source.id}`, JSON.stringify({ text: huge })), 413, 'payload_too_large');
    isProblem(t, await rawJson('POST', '/v1/claims', JSON.stringify({ text: 'x', topics: [huge] })), 413, 'payload_too_large');
  });
  t.equal((await api.get(`/v1/sources/${source.id}`)).json().version, 1);
});

t.test('source text over 1 MiB (but under the body limit) is 400 naming body.text', async (t) => {
  await api.reset();
  await changesNothing(t, async () => {
    const res = await api.post('/v1/sources', { kind: 'article', title: 'long', text: 'a'.repeat(1_048_577) });
    const problem = isProblem(t, res, 400, 'validation_failed');
    t.match(problem.errors, [{ path: 'body.text' }]);
    // 600k two-byte characters: under the character limit, over 1 MiB of UTF-8.
    const wide = await api.post('/v1/sources', { kind: 'article', title: 'wide', text: 'é'.repeat(600_000) });
    t.match(isProblem(t, wide, 400, 'validation_failed').errors, [{ path: 'body.text' }]);
  });
});

t.test('claim text must be 1–2000 characters: 2001 is 400 naming body.text, 2000 is fine', async (t) => {
  await api.reset();
  await changesNothing(t, async () => {
    t.match(isProblem(t, await api.post('/v1/claims', { text: 'a'.repeat(2001) }), 400, 'validation_failed').errors, [{ path: 'body.text' }]);
    t.match(isProblem(t, await api.post('/v1/claims', { text: '😀'.repeat(2001) }), 400, 'validation_failed').errors, [{ path: 'body.text' }]);
    t.match(isProblem(t, await api.post('/v1/claims', { text: '' }), 400, 'validation_failed').errors, [{ path: 'body.text' }]);
  });
  const claim = await makeClaim(api);
  isProblem(t, await api.patch(`/v1/claims/${claim.id}`, { text: 'b'.repeat(2001) }), 400, 'validation_failed');
  t.equal((await api.get(`/v1/claims/${claim.id}`)).json().text, claim.text, 'the failed PATCH changed nothing');
  const max = await api.post('/v1/claims', { text: 'a'.repeat(2000) });
  t.equal(max.statusCode, 201);
  const emoji = await api.post('/v1/claims', { text: '😀'.repeat(2000) });
  t.equal(emoji.statusCode, 201, '2000 characters outside the BMP count as 2000');
  t.equal(emoji.json().text, '😀'.repeat(2000));
});

/** The first n code points: slicing UTF-16 units could split a surrogate pair. */
const cut = (s: string, n: number) => Array.from(s).slice(0, n).join('');

const INJECTIONS = [
  "'; drop table claims; --",
  "Robert'); DROP TABLE sources;--",
  '" OR 1=1 --',
  "' UNION SELECT secret_hash FROM api_keys --",
  '$1 $2 ${text} %s %n %x',
  '\\\\ \\n \\u0000 \\" \\\\',
  '<script>alert(1)</script>',
  '${jndi:ldap://example.com/a}',
  '{{7*7}} <%= 7*7 %>',
  '\u202Eevil\u202C \u200B\u200D \uFEFF',
  'e\u0301 n\u0303 \u0915\u094D\u0937 👨‍👩‍👧‍👦 🇸🇪',
  '東京の港湾トンネルは24億ユーロかかる',
  'ﷺ'.repeat(50),
  '\t\r\n  leading and trailing whitespace  \n',
  cut('𝔘𝔫𝔦𝔠𝔬𝔡𝔢 '.repeat(300), 2000),
];

t.test('injection-looking and unusual unicode strings are stored and returned verbatim', async (t) => {
  await api.reset();
  const source = await makeSource(api, { text: null });
  // Names, titles and tags refuse control and bidirectional formatting characters; claim text keeps them.
  // eslint-disable-next-line no-control-regex -- exactly the characters the API refuses
  const refusedInNames = /[\u0000-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/;
  for (const text of INJECTIONS) {
    if (refusedInNames.test(text)) {
      const refused = await api.post('/v1/claims', { text, topics: [cut(text, 100)] });
      t.equal(refused.statusCode, 400, `as a topic it is refused: ${JSON.stringify(cut(text, 40))}`);
      t.equal(refused.json().errors[0].path, 'body.topics[0]');
      const stored = await api.post('/v1/claims', { text });
      t.equal(stored.statusCode, 201, 'as claim text it is stored');
      t.equal((await api.get(`/v1/claims/${stored.json().id}`)).json().text, text, 'returned verbatim');
      continue;
    }
    const res = await api.post('/v1/claims', { text, topics: [cut(text, 100)] });
    t.equal(res.statusCode, 201, `stored: ${JSON.stringify(cut(text, 40))}`);
    const got = (await api.get(`/v1/claims/${res.json().id}`)).json();
    t.equal(got.text, text, 'returned verbatim');
    t.same(got.topics, [cut(text, 100)]);
    const filtered = await api.get(`/v1/claims?topic=${encodeURIComponent(cut(text, 100))}`);
    t.equal(filtered.statusCode, 200);
    t.same(filtered.json().data.map((c: Json) => c.id), [got.id], 'the topic filter finds exactly it');

    const src = await api.post('/v1/sources', { kind: 'report', title: cut(text, 1000), publisher: cut(text, 500), metadata: { [text]: text } });
    t.equal(src.statusCode, 201);
    t.equal(src.json().title, cut(text, 1000));
    t.same(src.json().metadata, { [text]: text });
    const byPublisher = await api.get(`/v1/sources?publisher=${encodeURIComponent(cut(text, 500))}`);
    t.same(byPublisher.json().data.map((s: Json) => s.id), [src.json().id]);

    const who = await makeClaimant(api, { name: cut(text, 300), aliases: [cut(text, 300)] });
    t.equal(who.name, cut(text, 300));
    const att = await makeAttribution(api, { claim_id: got.id, source_id: source.id, claimant_label: cut(text, 300), quote: text });
    t.equal(att.quote, text);
  }
  const list = await api.get('/v1/claims?count=true');
  t.equal(list.json().total, INJECTIONS.length, 'the claims table is intact and holds every row');
  t.equal((await api.get('/v1/sources?count=true')).json().total, INJECTIONS.filter((text) => !refusedInNames.test(text)).length + 1);
});

t.test('injection-looking query values are plain values: 200 with no match, or 400', async (t) => {
  await api.reset();
  await makeClaim(api);
  await makeSource(api);
  for (const value of INJECTIONS.map((s) => cut(s, 100))) {
    for (const url of [
      `/v1/claims?topic=${encodeURIComponent(value)}`,
      `/v1/sources?publisher=${encodeURIComponent(value)}`,
      `/v1/claimants?name=${encodeURIComponent(value)}`,
      `/v1/claims?language=${encodeURIComponent(value)}`,
    ]) {
      const res = await api.get(url);
      t.ok(res.statusCode === 200 || res.statusCode === 400, `${url} → ${res.statusCode}`);
      if (res.statusCode === 200) t.same(res.json().data, [], 'matches nothing');
      else isProblem(t, res, 400);
    }
  }
  t.equal((await api.get('/v1/claims?count=true')).json().total, 1, 'nothing was dropped');
  t.equal((await api.get('/v1/sources?count=true')).json().total, 1);
});

t.test('NUL characters, which PostgreSQL cannot store in text, are 400 not 500, and write nothing', async (t) => {
  await api.reset();
  const claim = await makeClaim(api);
  const source = await makeSource(api);
  const bare = await makeSource(api, { text: null });
  await changesNothing(t, async () => {
    isProblem(t, await api.post('/v1/claims', { text: 'a\u0000b' }), 400);
    isProblem(t, await api.post('/v1/claims', { text: 'ok', topics: ['a\u0000'] }), 400);
    isProblem(t, await api.patch(`/v1/claims/${claim.id}`, { text: '\u0000' }), 400);
    isProblem(t, await api.post('/v1/sources', { kind: 'article', title: 'a\u0000b' }), 400);
    isProblem(t, await api.post('/v1/sources', { kind: 'article', title: 'ok', text: 'x\u0000y' }), 400);
    isProblem(t, await api.post('/v1/sources', { kind: 'article', title: 'ok', metadata: { k: 'v\u0000' } }), 400);
    isProblem(t, await api.post('/v1/sources', { kind: 'article', title: 'ok', metadata: { 'k\u0000': 'v' } }), 400);
    isProblem(t, await api.post('/v1/claimants', { name: 'Ana\u0000' }), 400);
    isProblem(t, await api.post('/v1/attributions', { claim_id: claim.id, source_id: source.id, claimant_name: 'Ana\u0000' }), 400);
    isProblem(t, await api.post('/v1/attributions', { claim_id: claim.id, source_id: bare.id, claimant_label: 'x', quote: 'harbour\u0000' }), 400);
    // Against a source with text the quote is looked for first: 422 is an honest answer too.
    const anchored = await api.post('/v1/attributions', { claim_id: claim.id, source_id: source.id, claimant_label: 'x', quote: 'harbour\u0000' });
    isProblem(t, anchored, anchored.statusCode === 422 ? 422 : 400);
    isProblem(t, await api.get('/v1/claims?topic=a%00b'), 400);
    isProblem(t, await api.get('/v1/claimants?name=%00'), 400);
    isProblem(t, await api.get('/v1/sources?publisher=%00'), 400);
  });
  t.equal((await api.get(`/v1/claims/${claim.id}`)).json().version, 1);
});

t.test('a lone UTF-16 surrogate is stored verbatim or refused with 400, never silently replaced', async (t) => {
  // JSON may carry "\ud800"; PostgreSQL stores UTF-8, which cannot hold it, and the
  // driver's encoder turns it into U+FFFD: the client gets back a different string.
  await api.reset();
  for (const text of ['a\ud800b', 'end \udfff']) {
    const res = await api.post('/v1/claims', { text });
    t.ok(res.statusCode < 500, `status ${res.statusCode}`);
    if (res.statusCode === 201) t.equal(res.json().text, text, 'returned as sent');
    else isProblem(t, res, 400, 'validation_failed');
  }
});

t.test('timestamps that pass the date-time format but JavaScript cannot represent are 400, not 500', async (t) => {
  // RFC 3339 allows a leap second (:60); `new Date()` makes it an Invalid Date and the
  // insert throws RangeError. The same for filters.
  await api.reset();
  const claim = await makeClaim(api);
  const source = await makeSource(api, { text: null });
  await changesNothing(t, async () => {
    for (const ts of ['2026-12-31T23:59:60Z', '2016-12-31T23:59:60+00:00']) {
      const q = encodeURIComponent(ts);
      for (const [label, res] of [
        ['POST /v1/sources published_at', await api.post('/v1/sources', { kind: 'article', title: 'leap', published_at: ts })],
        ['PATCH /v1/sources published_at', await api.patch(`/v1/sources/${source.id}`, { published_at: ts })],
        ['POST /v1/attributions said_at', await api.post('/v1/attributions', { claim_id: claim.id, source_id: source.id, claimant_label: 'x', said_at: ts })],
        ['GET /v1/claims?seen_from', await api.get(`/v1/claims?seen_from=${q}`)],
        ['GET /v1/claims?seen_to', await api.get(`/v1/claims?seen_to=${q}`)],
        ['GET /v1/sources?published_from', await api.get(`/v1/sources?published_from=${q}`)],
        ['GET /v1/sources?published_to', await api.get(`/v1/sources?published_to=${q}`)],
      ] as const) {
        t.ok(res.statusCode < 500, `${label}=${ts} → ${res.statusCode}`);
        isProblem(t, res, 400, 'validation_failed');
      }
    }
  });
});

t.test('timestamps outside what the database can hold are 400, not 500', async (t) => {
  await api.reset();
  await changesNothing(t, async () => {
    for (const ts of ['0000-01-01T00:00:00Z', '0001-01-01T00:30:00+01:00', '9999-12-31T23:30:00-01:00', '99999-01-01T00:00:00Z', '2026-02-30T00:00:00Z', '2026-13-01T00:00:00Z', 'yesterday']) {
      isProblem(t, await api.post('/v1/sources', { kind: 'article', title: 't', published_at: ts }), 400);
      isProblem(t, await api.get(`/v1/claims?seen_from=${encodeURIComponent(ts)}`), 400);
    }
  });
});

t.test('a date-time written with a space for the T is the instant it says, whatever the year', async (t) => {
  // JavaScript reads "0050-01-01 00:00:00Z" as 1950; the API must not.
  await api.reset();
  for (const [sent, stored] of [
    ['0050-01-01 00:00:00Z', '0050-01-01T00:00:00.000Z'],
    ['2026-03-03t09:00:00+01:00', '2026-03-03T08:00:00.000Z'],
  ]) {
    const res = await api.post('/v1/sources', { kind: 'article', title: 'spaced', published_at: sent });
    t.equal(res.statusCode, 201, sent);
    t.equal(res.json().published_at, stored, `${sent} is ${stored}`);
  }
  const early = await api.post('/v1/claims/match', { text: 'tunnel', published_at: '0001-01-02T00:00:00Z' });
  t.equal(early.statusCode, 200, 'a time in the first days of year 1 matches: its window opens at year 1');
});

t.test('deeply nested metadata is refused with 400, not a 500 from a stack overflow', async (t) => {
  // 5000 levels is only ~30 KB of JSON, well under the body limit.
  await api.reset();
  await changesNothing(t, async () => {
    const deep = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
    const res = await rawJson('POST', '/v1/sources', `{"kind":"article","title":"deep","metadata":${deep}}`);
    t.ok(res.statusCode < 500, `status ${res.statusCode}`);
    isProblem(t, res, 400);
  });
});

t.test('JSON prototype-pollution keys are refused and pollute nothing', async (t) => {
  await api.reset();
  await changesNothing(t, async () => {
    for (const body of ['{"text":"x","__proto__":{"polluted":1}}', '{"text":"x","constructor":{"prototype":{"polluted":1}}}']) {
      isProblem(t, await rawJson('POST', '/v1/claims', body), 400);
    }
  });
  t.equal(({} as Json).polluted, undefined, 'Object.prototype is untouched');
});

t.test('the request id a client sends comes back in the problem', async (t) => {
  await api.reset();
  const res = await api.request({ method: 'GET', url: '/v1/claims/zzz', headers: { 'x-request-id': 'desk-tool-42' } });
  t.equal(isProblem(t, res, 400).request_id, 'desk-tool-42');
  const other = isProblem(t, await api.get('/v1/claims/zzz'), 400);
  t.match(other.request_id, /^[0-9a-f-]{36}$/, 'a generated one otherwise');
});

// --- a small generated fuzz -----------------------------------------------------------------


const FIELDS: Record<string, string[]> = {
  sources: ['kind', 'url', 'title', 'publisher', 'authors', 'language', 'published_at', 'text', 'metadata'],
  claimants: ['name', 'kind', 'aliases', 'description', 'wikidata_id', 'url'],
  claims: ['text', 'language', 'topics', 'status', 'attributions'],
  attributions: ['claim_id', 'source_id', 'claimant_id', 'claimant_name', 'claimant_label', 'kind', 'stance', 'quote', 'said_at'],
};
const QUERY: Record<string, string[]> = {
  sources: ['kind', 'publisher', 'url', 'published_from', 'published_to'],
  claimants: ['kind', 'wikidata_id', 'name'],
  claims: ['status', 'verdict', 'claimant_id', 'source_id', 'topic', 'language', 'seen_from', 'seen_to', 'has_review', 'include'],
  attributions: ['claim_id', 'source_id', 'claimant_id', 'kind', 'stance', 'include'],
};
const COMMON_QUERY = ['limit', 'cursor', 'sort', 'count', 'cascade'];

t.test('fuzz: 300 random bad requests never get a 5xx, and every 4xx is problem+json', async (t) => {
  await api.reset();
  const seed = Number(process.env.FUZZ_SEED ?? 20260303);
  t.comment(`FUZZ_SEED=${seed}`);
  const rnd = mulberry32(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)];

  const source = await makeSource(api);
  const claimant = await makeClaimant(api);
  const claim = await makeClaim(api);
  const attribution = await makeAttribution(api, { claim_id: claim.id, source_id: source.id, claimant_id: claimant.id, quote: 'harbour tunnel' });
  const existing: Record<string, string> = { sources: source.id, claimants: claimant.id, claims: claim.id, attributions: attribution.id };

  // Known-bug triggers (leap seconds, path params over 100 characters, broken percent-encoding,
  // deep nesting) have their own tests above and are left out here, so the fuzz watches for new ones.
  const jsonValues = (): unknown[] => [
    null, true, false, 0, -1, 1.5, 1e308, -1e-308, 2 ** 53 + 1, '', ' ', 'x', 'true', '1', 'null', 'a'.repeat(3000),
    "'; drop table claims; --", '\u0000', '😀'.repeat(10), [], [1], ['a'], [null], [{}], {}, { a: { b: [1, { c: null }] } },
    crypto.randomUUID(), MISSING_ID, `${MISSING_ID}x`, '2026-01-01T00:00:00Z', '2026-02-30T00:00:00Z', 'not a date', '1970-01-01',
    'https://example.com/x', 'javascript:alert(1)', 'ftp://example.com', 'article', 'person', 'direct_quote', 'asserts', 'en', 'Q42', 'Q0',
    existing.claims, existing.sources, existing.claimants, 'harbour tunnel', 'not in the text at all',
  ];
  const queryValues = [
    '', '0', '1', '-1', '201', 'abc', 'true', 'false', 'yes', 'null', '%00', '%27%3B%20drop%20table%20claims%3B--', 'created_at', '-created_at',
    'title', '--x', MISSING_ID, 'zzz', '2026-01-01T00:00:00Z', 'not-a-date', 'attributions', 'attributions,bogus', 'e30', 'garbage',
    b64({ s: '-created_at', v: null, id: MISSING_ID }), 'a'.repeat(300), '%F0%9F%98%80', 'Q42',
  ];
  const idVariants = () => [existing[pick(Object.keys(existing))], MISSING_ID, crypto.randomUUID(), '123', 'zzz', `${MISSING_ID}0`, 'null', '%20', 'a'.repeat(100)];

  const failures: string[] = [];
  let problems = 0;
  const RUNS = 300;
  for (let i = 0; i < RUNS; i++) {
    const resource = pick(Object.keys(FIELDS));
    const onItem = rnd() < 0.5;
    const url = onItem ? `/v1/${resource}/${pick(idVariants())}` : `/v1/${resource}`;
    const method = pick(['GET', 'POST', 'PATCH', 'DELETE', 'PUT', 'POST', 'PATCH', 'OPTIONS'] as const);

    const params = new URLSearchParams();
    const nParams = Math.floor(rnd() * 4);
    for (let p = 0; p < nParams; p++) {
      const name = rnd() < 0.15 ? pick(['foo', 'q', 'page', 'offset', 'fields', '__proto__', 'limit[]']) : pick([...QUERY[resource], ...COMMON_QUERY]);
      params.append(name, pick(queryValues));
    }
    const query = params.size ? `?${params.toString()}` : '';

    let payload: string | undefined;
    let contentType = 'application/json';
    if (method === 'POST' || method === 'PATCH' || method === 'PUT') {
      const shape = rnd();
      if (shape < 0.7) {
        const body: Json = {};
        for (const field of FIELDS[resource]) if (rnd() < 0.5) body[field] = pick(jsonValues());
        if (rnd() < 0.2) body[pick(['version', 'id', 'attribution_count', 'extra', 'created_at'])] = pick(jsonValues());
        if (resource === 'claims' && rnd() < 0.3) {
          body.attributions = [Object.fromEntries(FIELDS.attributions.filter(() => rnd() < 0.4).map((f) => [f, pick(jsonValues())]))];
        }
        payload = JSON.stringify(body);
      } else if (shape < 0.85) {
        payload = JSON.stringify(pick(jsonValues()));
      } else if (shape < 0.95) {
        payload = pick(['{', '{"text":', '[1,', 'nul', '{"a":1}}', '', '{"text":"x",}']);
      } else {
        contentType = pick(['text/plain', 'application/xml', 'application/x-www-form-urlencoded']);
        payload = 'text=x';
      }
    }

    const res = await api.request({
      method,
      url: url + query,
      ...(payload !== undefined ? { payload, headers: { 'content-type': contentType } } : {}),
    });
    const what = `#${i} ${method} ${url}${query} ${payload === undefined ? '' : `${contentType} ${payload.slice(0, 120)}`}`;
    if (res.statusCode >= 500) {
      failures.push(`${what} → ${res.statusCode} ${res.body.slice(0, 200)}`);
      continue;
    }
    if (res.statusCode >= 400) {
      problems++;
      const leaks = leaksIn(res.body);
      let body: Json | undefined;
      try {
        body = res.json();
      } catch {
        body = undefined;
      }
      const ok =
        res.headers['content-type'] === PROBLEM_TYPE &&
        body !== undefined &&
        body.status === res.statusCode &&
        typeof body.code === 'string' &&
        typeof body.type === 'string' &&
        typeof body.title === 'string' &&
        typeof body.detail === 'string' &&
        typeof body.request_id === 'string' &&
        leaks.length === 0;
      if (!ok) failures.push(`${what} → ${res.statusCode} ${res.headers['content-type']} ${res.body.slice(0, 200)} leaks=${leaks.join(',')}`);
    }
  }
  t.same(failures, [], 'no 5xx, and every 4xx is well-formed problem+json that leaks nothing');
  t.ok(problems > RUNS / 2, `most fuzz requests were refused (${problems} of ${RUNS}): the fuzz hits validation`);
  t.equal((await api.get('/readyz')).statusCode, 200, 'the database is still reachable');
  t.equal((await api.get(`/v1/claims?limit=200`)).statusCode, 200, 'and lists still work');
});
