import { sql } from 'drizzle-orm';
import t from 'tap';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { rowsOf } from '../src/db/client.js';
import { TEST_ADMIN_KEY, buildTestApp } from './helper.js';
import { HARBOUR_TEXT, countOf, eventLog, expectProblem, makeClaim, makeSource, type Json } from './factories.js';

const api = await buildTestApp(t);

const CLAIM = { text: 'The harbour tunnel will cost 2.4 billion euros', topics: ['transport'], language: 'en' };

const postWithKey = (url: string, key: string, payload: Json, headers: Record<string, string> = {}) =>
  api.request({ method: 'POST', url, payload, headers: { 'idempotency-key': key, ...headers } });

async function storedKeys(): Promise<Json[]> {
  return rowsOf<Json>(await api.database.db.execute(sql`select * from idempotency_keys order by created_at`));
}

t.test('the same key with the same body replays the first response without writing again', async (t) => {
  await api.reset();
  const first = await postWithKey('/v1/claims', 'desk-7f3a-001', CLAIM);
  t.equal(first.statusCode, 201);
  t.equal(first.headers['idempotent-replayed'], undefined, 'the first answer is no replay');
  const id = first.json().id;

  const again = await postWithKey('/v1/claims', 'desk-7f3a-001', { language: 'en', topics: ['transport'], text: CLAIM.text });
  t.equal(again.statusCode, 201, 'same status');
  t.equal(again.headers['idempotent-replayed'], 'true');
  t.equal(again.json().id, id, 'same id');
  t.strictSame(again.json(), first.json(), 'same body');
  t.equal(again.body, first.body, 'byte for byte');
  t.equal(again.headers.location, `/v1/claims/${id}`, 'same Location');
  t.equal(again.headers.location, first.headers.location);
  t.equal(again.headers.etag, first.headers.etag, 'same ETag');
  t.equal(again.headers['content-type'], 'application/json; charset=utf-8');

  const third = await postWithKey('/v1/claims', 'desk-7f3a-001', CLAIM);
  t.equal(third.json().id, id);
  t.equal(await countOf(api, '/v1/claims'), 1, 'one claim');
  t.same(await eventLog(api), [['claim.created', id]], 'one event');
});

t.test('replays work for every POST: a review is written once and moves the claim once', async (t) => {
  await api.reset();
  const claim = await makeClaim(api);
  const source = await makeSource(api);
  const body = { verdict: 'false', evidence: [{ source_id: source.id, stance: 'refutes' }] };
  const first = await postWithKey(`/v1/claims/${claim.id}/reviews`, 'review-1', body);
  const second = await postWithKey(`/v1/claims/${claim.id}/reviews`, 'review-1', body);
  t.equal(first.statusCode, 201);
  t.equal(second.statusCode, 201);
  t.equal(second.headers['idempotent-replayed'], 'true');
  t.equal(second.json().id, first.json().id);
  t.equal(second.headers.location, first.headers.location);
  t.equal(await countOf(api, '/v1/reviews'), 1);
  const read = (await api.get(`/v1/claims/${claim.id}`)).json();
  t.equal(read.review_count, 1);
  t.equal(read.version, 2, 'the claim moved once');

  const s1 = await postWithKey('/v1/sources', 'source-1', { kind: 'article', title: 'A', url: 'https://news.example/a' });
  const s2 = await postWithKey('/v1/sources', 'source-1', { kind: 'article', title: 'A', url: 'https://news.example/a' });
  t.equal(s1.statusCode, 201);
  t.equal(s2.statusCode, 201, 'a replay, not a duplicate-url 409');
  t.equal(s2.json().id, s1.json().id);
});

t.test('the same key with another body is 422 idempotency_key_reused and writes nothing', async (t) => {
  await api.reset();
  const first = await postWithKey('/v1/claims', 'reused-key', CLAIM);
  t.equal(first.statusCode, 201);
  const logBefore = await eventLog(api);

  const other = await postWithKey('/v1/claims', 'reused-key', { ...CLAIM, text: 'The harbour tunnel will cost 3 billion euros' });
  expectProblem(t, other, 422, 'idempotency_key_reused');
  t.equal(other.headers['idempotent-replayed'], undefined, 'a refusal, not a replay');
  expectProblem(t, await postWithKey('/v1/claims', 'reused-key', { ...CLAIM, topics: [] }), 422, 'idempotency_key_reused');
  expectProblem(t, await postWithKey('/v1/sources', 'reused-key', { kind: 'article', title: 'T' }), 422, 'idempotency_key_reused');
  expectProblem(t, await postWithKey('/v1/claimants', 'reused-key', { name: 'Ana Lindqvist', kind: 'person' }), 422, 'idempotency_key_reused');

  t.equal(await countOf(api, '/v1/claims'), 1);
  t.equal(await countOf(api, '/v1/sources'), 0);
  t.same(await eventLog(api), logBefore, 'nothing was logged');
  const replay = await postWithKey('/v1/claims', 'reused-key', CLAIM);
  t.equal(replay.json().id, first.json().id, 'the original request still replays');
});

t.test('an invalid key is 400 and writes nothing', async (t) => {
  await api.reset();
  for (const [what, key] of [
    ['300 characters', 'k'.repeat(300)],
    ['a space', 'desk tool 1'],
    ['a non-ASCII letter', 'clé-1'],
    ['empty', ''],
  ]) {
    const problem = expectProblem(t, await postWithKey('/v1/claims', key, CLAIM), 400, 'validation_failed');
    t.equal(problem.errors?.[0]?.path, 'headers.idempotency-key', what);
  }
  t.equal((await postWithKey('/v1/claims', 'k'.repeat(255), CLAIM)).statusCode, 201, '255 characters are fine');
  t.equal(await countOf(api, '/v1/claims'), 1);
  t.equal((await storedKeys()).length, 1);
});

t.test('keys are per key: two keys create two rows', async (t) => {
  await api.reset();
  const a = await postWithKey('/v1/claims', 'key-a', CLAIM);
  const b = await postWithKey('/v1/claims', 'key-b', CLAIM);
  t.equal(a.statusCode, 201);
  t.equal(b.statusCode, 201);
  t.not(a.json().id, b.json().id);
  t.equal(b.headers['idempotent-replayed'], undefined);
  const plain = await api.post('/v1/claims', CLAIM);
  t.equal(plain.statusCode, 201, 'without a key every POST writes');
  t.equal(await countOf(api, '/v1/claims'), 3);
});

t.test('a key belongs to the API key that used it: another client’s same key is its own request', async (t) => {
  await api.reset();
  const created = await api.post('/v1/keys', { name: 'desk tool', scopes: ['write'] });
  t.equal(created.statusCode, 201);
  const desk = `Bearer ${created.json().secret}`;
  const mine = await postWithKey('/v1/claims', 'shared-123', CLAIM);
  const theirs = await postWithKey('/v1/claims', 'shared-123', CLAIM, { authorization: desk });
  t.equal(mine.statusCode, 201);
  t.equal(theirs.statusCode, 201);
  t.equal(theirs.headers['idempotent-replayed'], undefined, 'no one else’s response is replayed');
  t.not(theirs.json().id, mine.json().id);
  const theirsAgain = await postWithKey('/v1/claims', 'shared-123', CLAIM, { authorization: desk });
  t.equal(theirsAgain.json().id, theirs.json().id);
  t.equal(await countOf(api, '/v1/claims'), 2);
});

t.test('8 parallel POSTs with one key: one claim; every answer is that claim or 409 in progress', async (t) => {
  await api.reset();
  const answers = await Promise.all(Array.from({ length: 8 }, () => postWithKey('/v1/claims', 'race-key', CLAIM)));
  const created = answers.filter((a) => a.statusCode === 201);
  const busy = answers.filter((a) => a.statusCode === 409);
  t.equal(created.length + busy.length, 8, `only 201 or 409 (got ${answers.map((a) => a.statusCode).join(',')})`);
  t.ok(created.length >= 1, 'at least the first ran');
  const ids = new Set(created.map((a) => a.json().id));
  t.equal(ids.size, 1, 'every 201 names the same claim');
  t.equal(created.filter((a) => a.headers['idempotent-replayed'] === undefined).length, 1, 'exactly one answer is not a replay');
  for (const b of busy) {
    t.equal(b.headers['content-type'], 'application/problem+json; charset=utf-8');
    t.equal(b.json().code, 'idempotency_key_in_progress');
  }
  t.equal(await countOf(api, '/v1/claims'), 1, 'exactly one claim exists');
  t.equal((await eventLog(api)).length, 1);
  const after = await postWithKey('/v1/claims', 'race-key', CLAIM);
  t.equal(after.statusCode, 201, 'once finished, a retry replays');
  t.equal(after.json().id, [...ids][0]);
});

t.test('a 4xx first response is replayed as the same 4xx', async (t) => {
  await api.reset();
  const source = await makeSource(api, { text: HARBOUR_TEXT });
  const claim = await makeClaim(api);
  const body = { claim_id: claim.id, source_id: source.id, claimant_label: 'the mayor', quote: 'The tunnel will cost nothing at all' };
  const first = expectProblem(t, await postWithKey('/v1/attributions', 'quote-1', body), 422, 'quote_not_in_source');
  const again = await postWithKey('/v1/attributions', 'quote-1', body);
  expectProblem(t, again, 422, 'quote_not_in_source');
  t.equal(again.headers['idempotent-replayed'], 'true');
  t.strictSame(again.json(), first, 'the same problem document');
  t.equal(await countOf(api, '/v1/attributions'), 0);

  const missing = { verdict: 'false' };
  expectProblem(t, await postWithKey('/v1/claims/0190a5b0-0000-7000-8000-000000000000/reviews', 'review-404', missing), 404, 'not_found');
  const replay404 = await postWithKey('/v1/claims/0190a5b0-0000-7000-8000-000000000000/reviews', 'review-404', missing);
  expectProblem(t, replay404, 404, 'not_found');
  t.equal(replay404.headers['idempotent-replayed'], 'true');
});

t.test('a request refused by validation stores no key: the corrected request may use it', async (t) => {
  await api.reset();
  expectProblem(t, await postWithKey('/v1/claims', 'fix-me', { text: '' }), 400, 'validation_failed');
  const fixed = await postWithKey('/v1/claims', 'fix-me', CLAIM);
  t.equal(fixed.statusCode, 201);
  t.equal(fixed.headers['idempotent-replayed'], undefined);
  t.equal(await countOf(api, '/v1/claims'), 1);
});

t.test('keys are kept 24 hours; an expired key is forgotten and may be used again', async (t) => {
  await api.reset();
  const first = await postWithKey('/v1/claims', 'old-key', CLAIM);
  const [stored] = await storedKeys();
  t.equal(stored.key, 'old-key');
  t.equal(stored.state, 'done');
  const kept = new Date(stored.expires_at).getTime() - new Date(stored.created_at).getTime();
  t.ok(kept >= 24 * 60 * 60 * 1000, `kept ${kept} ms`);

  await api.database.db.execute(sql`update idempotency_keys set expires_at = now() - interval '1 minute' where key = 'old-key'`);
  const fresh = await postWithKey('/v1/claims', 'old-key', { ...CLAIM, text: 'Another claim entirely' });
  t.equal(fresh.statusCode, 201, 'not 422: the old use has expired');
  t.not(fresh.json().id, first.json().id);
  t.equal(await countOf(api, '/v1/claims'), 2);
});

t.test('keys live in the database: a second app on the same database replays them', async (t) => {
  await api.reset();
  const first = await postWithKey('/v1/claims', 'restart-key', CLAIM);
  t.equal(first.statusCode, 201);

  const second = await buildApp({ config: loadConfig({ CLAIMLEDGER_ADMIN_KEY: TEST_ADMIN_KEY }), database: api.database, migrate: false });
  t.teardown(() => second.close());
  const headers = { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'idempotency-key': 'restart-key' };
  const replay = await second.inject({ method: 'POST', url: '/v1/claims', payload: CLAIM, headers });
  t.equal(replay.statusCode, 201);
  t.equal(replay.headers['idempotent-replayed'], 'true');
  t.equal(replay.json().id, first.json().id);
  t.equal(replay.headers.location, first.headers.location);
  const reused = await second.inject({ method: 'POST', url: '/v1/claims', payload: { text: 'Something else' }, headers });
  t.equal(reused.statusCode, 422);
  t.equal(reused.json().code, 'idempotency_key_reused');
  await second.close();
  t.equal(await countOf(api, '/v1/claims'), 1);
});

t.test('a streamed NDJSON import refuses Idempotency-Key instead of replaying another body', async (t) => {
  await api.reset();
  const res = await api.request({
    method: 'POST',
    url: '/v1/bulk',
    headers: { 'content-type': 'application/x-ndjson', 'idempotency-key': 'import-1' },
    payload: '{"type":"claim","data":{"text":"One"}}\n',
  });
  t.equal(res.statusCode, 400);
  t.equal(res.json().code, 'validation_failed');
  t.equal((await api.get('/v1/claims?count=true')).json().total, 0, 'nothing was imported');
});
